/**
 * Gaia's BP/RP photometers as a linear operator from a spectrum to 186 samples.
 *
 * The instrument model of the Gaia DR3 external calibration (Montegriffo et
 * al. 2023): the internally calibrated mean spectrum, in e⁻/s, is
 * n(u) = P ∫ n_p(λ) L(u − u_d(λ)) R(λ) dλ, with P the telescope pupil area,
 * n_p the photon flux, L the line spread function in pseudo-wavelength u,
 * u_d the dispersion and R the response. The operator here gives each
 * sample's count rate (e⁻/s integrated over the sample) on Gaia's full grid of
 * 120 samples per band, so that an extended galaxy's smear can bring in light
 * from samples the dissertation did not keep; the simulator turns it into the
 * dissertation's "instrument units", SMSgen's integrated flux per sample
 * expressed per unit pseudo-wavelength ({@link VALUE_PER_COUNT_RATE}; chosen by
 * evidence in data/README.md, issue 17).
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

/** Linear interpolation of an instrument table (1 nm steps) at `lambdaNm`; NaN across a gap. */
function tableAt(values: readonly (number | null)[], lambdaNm: number): number {
  const x = lambdaNm - INSTRUMENT.responseWavelengthNm.start;
  const i = Math.min(Math.max(Math.floor(x), 0), values.length - 2);
  const a = values[i], b = values[i + 1];
  if (a === null || b === null) return NaN;
  return a + (b - a) * (x - i);
}

/** Each band's pseudo-wavelength u_d(λ) and response tables, LSF σ (pixels) and sample step. */
const BANDS = (["Bp", "Rp"] as const).map((b) => ({
  pseudo: INSTRUMENT[`pseudoWavelength${b}`],
  response: INSTRUMENT[`response${b}`],
  sigma: LSF_FWHM_PIXELS[b === "Bp" ? "bp" : "rp"] / 2.3548,
  step: INSTRUMENT[`sampleStep${b}`],
}));

/** Gaia's samples per band, numbered 0..119; the dissertation kept BP 34..113 and RP 4..109. */
export const SAMPLES_PER_BAND = 120;
/** Samples of both bands' full grids: BP 0..119, then RP 0..119. */
export const N_GRID = 2 * SAMPLES_PER_BAND;

/** Position in the full grid of kept sample `j`: band × 120 + Gaia's sample number. */
export const KEPT_IN_GRID: Int32Array = Int32Array.from(
  { length: N_FLUX },
  (_, j) => (j < N_BP ? 0 : SAMPLES_PER_BAND) + INSTRUMENT.sampleIndex[j],
);

/**
 * The full grid's pseudo-wavelengths and wavelengths. Samples are evenly spaced in u, so the
 * kept samples fix every other one; a sample the dissertation did not keep takes the wavelength
 * where the band's dispersion reaches its u (the nearest table end beyond the table).
 */
const GRID: { u: Float64Array; wavelengthNm: Float64Array } = (() => {
  const u = new Float64Array(N_GRID), wavelengthNm = new Float64Array(N_GRID).fill(NaN);
  for (const [band, first] of [[0, 0], [1, N_BP]]) {
    const u0 = INSTRUMENT.samplePseudoWavelength[first];
    const du = INSTRUMENT.samplePseudoWavelength[first + 1] - u0;
    const s0 = INSTRUMENT.sampleIndex[first];
    for (let s = 0; s < SAMPLES_PER_BAND; s++) u[band * SAMPLES_PER_BAND + s] = u0 + (s - s0) * du;
  }
  KEPT_IN_GRID.forEach((g, j) => wavelengthNm[g] = INSTRUMENT.sampleWavelengthNm[j]);
  for (let g = 0; g < N_GRID; g++) {
    if (!Number.isNaN(wavelengthNm[g])) continue;
    const { pseudo } = BANDS[g < SAMPLES_PER_BAND ? 0 : 1];
    let best = OBS_MIN_NM, bestDistance = Infinity;
    for (let lam = OBS_MIN_NM; lam <= OBS_MAX_NM; lam += 0.05) {
      const distance = Math.abs(tableAt(pseudo, lam) - u[g]);
      if (distance < bestDistance) bestDistance = distance, best = lam;
    }
    wavelengthNm[g] = best;
  }
  return { u, wavelengthNm };
})();

/** Wavelength (nm) of each sample of the full grid (BP 0..119, RP 0..119). */
export const GRID_WAVELENGTHS: Float64Array = GRID.wavelengthNm;

/**
 * e⁻/s in sample `g` of the full grid per photon/s/m² arriving at `lambdaNm`.
 *
 * P × R(λ) × L(u_g − u_d(λ)) × Δu, with L a unit-area Gaussian in u and Δu the sample step.
 */
export function sampleKernel(g: number, lambdaNm: number): number {
  const { pseudo, response, sigma, step } = BANDS[g < SAMPLES_PER_BAND ? 0 : 1];
  const r = tableAt(response, lambdaNm);
  if (!(r > 0)) return 0;
  const d = (GRID.u[g] - tableAt(pseudo, lambdaNm)) / sigma;
  if (!(Math.abs(d) <= 6)) return 0; // also a u_d(λ) of NaN
  return PUPIL_AREA_M2 * r * step * Math.exp(-0.5 * d * d) / (sigma * Math.sqrt(2 * Math.PI));
}

/** Photons per joule at `lambdaNm`: converts energy flux to photon flux. */
export function photonsPerJoule(lambdaNm: number): number {
  return lambdaNm * 10 / HC_J_A;
}

/** The operator as sparse rows: for sample g, weights over the observed grid from `first[g]`. */
export interface ObservationOperator {
  first: Int32Array;
  weights: Float64Array[];
}

let operator: ObservationOperator | null = null;

/**
 * Weights turning F_λ (W m⁻² Å⁻¹) on the observed grid into e⁻/s in each sample of the full grid.
 *
 * Built once: 240 rows, each nonzero only within ±6σ of the sample's u.
 */
export function observationOperator(): ObservationOperator {
  if (operator) return operator;
  const first = new Int32Array(N_GRID);
  const weights = Array.from({ length: N_GRID }, (_, g) => {
    const row = Float64Array.from({ length: N_OBS }, (_, i) => {
      const lam = OBS_MIN_NM + i * OBS_STEP_NM;
      return sampleKernel(g, lam) * photonsPerJoule(lam) * (OBS_STEP_NM * 10);
    });
    first[g] = Math.max(row.findIndex((w) => w > 0), 0);
    return row.slice(first[g], row.findLastIndex((w) => w > 0) + 1);
  });
  operator = { first, weights };
  return operator;
}

/** Applies the operator to F_λ on the observed grid; writes the 240 samples' e⁻/s into `out`. */
export function observe(fluxObs: Float64Array, out: Float64Array | Float32Array, offset = 0): void {
  const { first, weights } = observationOperator();
  for (let g = 0; g < N_GRID; g++) {
    const w = weights[g], s = first[g];
    let acc = 0;
    for (let i = 0; i < w.length; i++) acc += w[i] * fluxObs[s + i];
    out[offset + g] = acc;
  }
}

/** Adds the 240 samples of an unresolved emission line of `fluxW` (W m⁻²) at `lambdaNm`. */
export function observeLine(
  lambdaNm: number,
  fluxW: number,
  out: Float64Array | Float32Array,
  offset = 0,
): void {
  const photons = fluxW * photonsPerJoule(lambdaNm);
  for (let g = 0; g < N_GRID; g++) out[offset + g] += photons * sampleKernel(g, lambdaNm);
}

/** A sample's value per e⁻/s of its count rate, in BP and in RP. */
export const VALUE_PER_COUNT_RATE_BY_BAND: readonly [number, number] = [
  1 / INSTRUMENT.sampleStepBp,
  1 / INSTRUMENT.sampleStepRp,
];

/**
 * A sample's value per e⁻/s of its count rate: 1 / (the band's sample step in pseudo-wavelength),
 * about 3.0 (BP) and 2.9 (RP), i.e. e⁻ s⁻¹ per pixel (one unit of u), GaiaXPy's internal unit.
 */
export const VALUE_PER_COUNT_RATE: readonly number[] = Array.from(
  { length: N_FLUX },
  (_, j) => VALUE_PER_COUNT_RATE_BY_BAND[j < N_BP ? 0 : 1],
);
