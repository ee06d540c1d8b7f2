/**
 * Measurement noise of a Gaia sampled mean spectrum.
 *
 * Three parts: photon noise of the galaxy's own light, background noise
 * (sky, read-out, and the faint unresolved light of the galaxy's outskirts;
 * what makes faint spectra noisy and lets fluxes go negative), and the smooth
 * correlated ripples of real XP spectra, which are reconstructed from ~55
 * basis functions per band, so errors spread over neighbouring samples and
 * into slow waves. Noise is drawn on each sample's count rate (e⁻/s), then
 * carried into the values' units ({@link VALUE_PER_COUNT_RATE}).
 *
 * @module
 */
import type { Random } from "../random.ts";
import { N_BP, N_FLUX } from "../spectra.ts";
import { VALUE_PER_COUNT_RATE } from "./_instrument.ts";

/** Noise parameters (calibrated in data/README.md). */
export const NOISE = {
  /** Effective exposure (s) that turns e⁻/s into photon counts for a mean spectrum. */
  exposureS: 100,
  /** Background count rate per sample (e⁻/s) in BP and RP. */
  backgroundBp: 1.2,
  backgroundRp: 1.2,
  /** Flat-field and calibration error, as a fraction of the signal. */
  calibrationFraction: 0.01,
  /** Ripple amplitude per mode, in units of the band's background noise. */
  ripple: 0.5,
  /** Number of cosine ripple modes per band. */
  rippleModes: 6,
} as const;

/** Each band: its first kept sample and count, background (e⁻/s) and its noise, ripple table. */
const BANDS = ([[0, N_BP, NOISE.backgroundBp], [N_BP, N_FLUX, NOISE.backgroundRp]] as const).map(
  ([a, b, background]) => {
    const n = b - a;
    // cos(π m (i + ½) / n) for m = 1..modes, i in band: slow waves across each band.
    const ripples = new Float64Array(NOISE.rippleModes * n);
    for (let m = 0; m < NOISE.rippleModes; m++) {
      for (let i = 0; i < n; i++) ripples[m * n + i] = Math.cos(Math.PI * (m + 1) * (i + 0.5) / n);
    }
    return { a, n, background, bgSigma: Math.sqrt(background / NOISE.exposureS), ripples };
  },
);

/** Variance (e⁻/s)² of a sample's count rate `c` from photons, background and calibration. */
function countVariance(c: number, background: number): number {
  return (Math.max(c, 0) + background) / NOISE.exposureS + (NOISE.calibrationFraction * c) ** 2;
}

/**
 * Expected standard deviation, in the values' units, of the noise {@link addNoise} adds to
 * sample `j` of noiseless value `s`: photon, background and calibration noise plus the ripples'
 * share of that sample.
 */
export function noiseSigma(s: number, j: number): number {
  const { a, n, background, bgSigma, ripples } = BANDS[j < N_BP ? 0 : 1];
  const unit = VALUE_PER_COUNT_RATE[j];
  let variance = countVariance(s / unit, background);
  for (let m = 0; m < NOISE.rippleModes; m++) {
    variance += (NOISE.ripple * bgSigma * ripples[m * n + j - a]) ** 2;
  }
  return unit * Math.sqrt(variance);
}

/** Adds noise to the values `flux[offset .. offset + 186)` in place, drawing from `rng`. */
export function addNoise(flux: Float32Array, offset: number, rng: Random): void {
  const white = new Float64Array(N_FLUX + 2);
  for (const { a, n, background, bgSigma, ripples } of BANDS) {
    for (let i = 0; i < n + 2; i++) white[i] = rng.normal();
    const amp = new Float64Array(NOISE.rippleModes);
    for (let m = 0; m < NOISE.rippleModes; m++) amp[m] = NOISE.ripple * bgSigma * rng.normal();
    for (let i = 0; i < n; i++) {
      const k = offset + a + i;
      const unit = VALUE_PER_COUNT_RATE[a + i], c = flux[k] / unit;
      // A [1, 2, 1] smoothing of white noise (unit variance): neighbouring samples correlate.
      const correlated = (white[i] + 2 * white[i + 1] + white[i + 2]) * 0.408248290463863;
      let ripple = 0;
      for (let m = 0; m < NOISE.rippleModes; m++) ripple += amp[m] * ripples[m * n + i];
      flux[k] = (c + Math.sqrt(countVariance(c, background)) * correlated + ripple) * unit;
    }
  }
}
