/**
 * Gaia's BP/RP photometers as a linear operator from a spectrum to 186 samples.
 *
 * The instrument model of the Gaia DR3 external calibration (Montegriffo et
 * al. 2023): the internally calibrated mean spectrum, in e⁻/s, is
 * n(u) = P ∫ n_p(λ) L(u − u_d(λ)) R(λ) dλ, with P the telescope pupil area,
 * n_p the photon flux, L the line spread function in pseudo-wavelength u,
 * u_d the dispersion and R the response. The operator here gives n(u) in
 * e⁻ s⁻¹ nm⁻¹ (a sample's count rate over its width); the simulator turns it
 * into the dissertation's "instrument units", SMSgen's integrated flux per
 * sample expressed per unit pseudo-wavelength ({@link VALUE_PER_COUNT_RATE};
 * chosen by evidence in data/README.md, issue 17).
 *
 * @module
 */
import { INSTRUMENT } from "./_calibration.ts";
import { N_BP, N_FLUX } from "../spectra.ts";

/** Gaia's rectangular pupil, 1.45 m × 0.50 m, in m². */
export const PUPIL_AREA_M2 = 1.45 * 0.5;

/**
 * FWHM of the Gaussian line spread function in pseudo-wavelength (AL pixels).
 *
 * About one pixel, as the prisms are built for: with the dispersion this gives
 * λ/Δλ of about 90 → 25 across BP (330 → 680 nm) and 80 → 50 across RP
 * (640 → 1000 nm), the "30 to 100" of the Gaia documentation.
 */
export const LSF_FWHM_PIXELS = { bp: 1.0, rp: 1.3 } as const;

/** Planck constant × speed of light, in J·Å: photon energy is HC / λ. */
const HC_J_A = 6.62607015e-34 * 2.99792458e8 * 1e10;

/** Wavelength step (nm) of the observed-frame grid the continuum is integrated on. */
export const OBS_STEP_NM = 0.5;
/** First and last wavelength (nm) of that grid: both bands' responses vanish outside. */
export const OBS_MIN_NM = 320, OBS_MAX_NM = 1070;
/** Number of points of the observed-frame grid. */
export const N_OBS = Math.round((OBS_MAX_NM - OBS_MIN_NM) / OBS_STEP_NM) + 1;

const TABLE_START = INSTRUMENT.responseWavelengthNm.start;

function tableAt(values: readonly (number | null)[], lambdaNm: number): number {
  const x = lambdaNm - TABLE_START;
  const i = Math.min(Math.max(Math.floor(x), 0), values.length - 2);
  const t = x - i;
  const a = values[i], b = values[i + 1];
  if (a === null || b === null) return NaN;
  return a + (b - a) * t;
}

/** Band of each kept sample: true for BP (samples 0..79). */
function isBp(j: number): boolean {
  return j < N_BP;
}

/** Response R(λ) of the band of sample `j` at `lambdaNm`. */
function response(j: number, lambdaNm: number): number {
  return tableAt(isBp(j) ? INSTRUMENT.responseBp : INSTRUMENT.responseRp, lambdaNm);
}

/** Pseudo-wavelength u_d(λ) in the band of sample `j`. */
function dispersion(j: number, lambdaNm: number): number {
  return tableAt(isBp(j) ? INSTRUMENT.pseudoWavelengthBp : INSTRUMENT.pseudoWavelengthRp, lambdaNm);
}

/**
 * e⁻ s⁻¹ nm⁻¹ in sample `j` per photon/s/m² arriving at `lambdaNm`.
 *
 * P × R(λ) × L(u_j − u_d(λ)) × Δu / w_j, with L a unit-area Gaussian in u and
 * w_j the sample's width in nm.
 */
export function sampleKernel(j: number, lambdaNm: number): number {
  const r = response(j, lambdaNm);
  if (!(r > 0)) return 0;
  const u = dispersion(j, lambdaNm);
  if (Number.isNaN(u)) return 0;
  const bp = isBp(j);
  const sigma = (bp ? LSF_FWHM_PIXELS.bp : LSF_FWHM_PIXELS.rp) / 2.3548;
  const step = bp ? INSTRUMENT.sampleStepBp : INSTRUMENT.sampleStepRp;
  const d = (INSTRUMENT.samplePseudoWavelength[j] - u) / sigma;
  if (Math.abs(d) > 6) return 0;
  const width = INSTRUMENT.sampleWidthNm[j];
  return PUPIL_AREA_M2 * r * step * Math.exp(-0.5 * d * d) /
    (sigma * Math.sqrt(2 * Math.PI) * width);
}

/** Photons per joule at `lambdaNm`: converts energy flux to photon flux. */
export function photonsPerJoule(lambdaNm: number): number {
  return lambdaNm * 10 / HC_J_A;
}

/** The operator as sparse rows: for sample j, weights over the observed grid from `first[j]`. */
export interface ObservationOperator {
  first: Int32Array;
  weights: Float64Array[];
}

let operator: ObservationOperator | null = null;

/**
 * Weights turning F_λ (W m⁻² Å⁻¹) on the observed grid into e⁻/s per sample.
 *
 * Built once: 186 rows, each nonzero only within ±6σ of the sample's u.
 */
export function observationOperator(): ObservationOperator {
  if (operator) return operator;
  const first = new Int32Array(N_FLUX);
  const weights: Float64Array[] = [];
  const dLambdaA = OBS_STEP_NM * 10;
  for (let j = 0; j < N_FLUX; j++) {
    const row: number[] = [];
    let start = -1;
    for (let i = 0; i < N_OBS; i++) {
      const lam = OBS_MIN_NM + i * OBS_STEP_NM;
      const w = sampleKernel(j, lam) * photonsPerJoule(lam) * dLambdaA;
      if (w > 0 && start < 0) start = i;
      if (start >= 0) row.push(w);
    }
    while (row.length > 0 && row[row.length - 1] === 0) row.pop();
    first[j] = start;
    weights.push(Float64Array.from(row));
  }
  operator = { first, weights };
  return operator;
}

/** Applies the operator to F_λ sampled on the observed grid; writes 186 values into `out`. */
export function observe(fluxObs: Float64Array, out: Float64Array | Float32Array, offset = 0): void {
  const { first, weights } = observationOperator();
  for (let j = 0; j < N_FLUX; j++) {
    const w = weights[j], s = first[j];
    let acc = 0;
    for (let i = 0; i < w.length; i++) acc += w[i] * fluxObs[s + i];
    out[offset + j] = acc;
  }
}

/** Adds the samples of an unresolved emission line of `fluxW` (W m⁻²) at `lambdaNm`. */
export function observeLine(
  lambdaNm: number,
  fluxW: number,
  out: Float64Array | Float32Array,
  offset = 0,
): void {
  const photons = fluxW * photonsPerJoule(lambdaNm);
  for (let j = 0; j < N_FLUX; j++) out[offset + j] += photons * sampleKernel(j, lambdaNm);
}

/** Wavelength (nm) of each of the 186 kept samples. */
export const SAMPLE_WAVELENGTHS: readonly number[] = INSTRUMENT.sampleWavelengthNm;

/** Width (nm) of each of the 186 kept samples: multiplies e⁻ s⁻¹ nm⁻¹ into e⁻/s per sample. */
export const SAMPLE_WIDTHS: readonly number[] = INSTRUMENT.sampleWidthNm;

/**
 * A sample's value per e⁻/s of its count rate: 1 / (the band's sample step in pseudo-wavelength),
 * about 3.0 (BP) and 2.9 (RP), i.e. e⁻ s⁻¹ per pixel (one unit of u), GaiaXPy's internal unit.
 */
export const VALUE_PER_COUNT_RATE: readonly number[] = Array.from(
  { length: N_FLUX },
  (_, j) => 1 / (isBp(j) ? INSTRUMENT.sampleStepBp : INSTRUMENT.sampleStepRp),
);
