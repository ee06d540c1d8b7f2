/**
 * Measurement noise of a Gaia sampled mean spectrum.
 *
 * Three parts: photon noise of the galaxy's own light, background noise
 * (sky, read-out, and the faint unresolved light of the galaxy's outskirts;
 * what makes faint spectra noisy and lets fluxes go negative), and the smooth
 * correlated ripples of real XP spectra, which are reconstructed from ~55
 * basis functions per band, so errors spread over neighbouring samples and
 * into slow waves. Values are e⁻ s⁻¹ nm⁻¹: a sample's count rate is its value
 * times its width, so narrow samples (blue end of BP) are the noisiest.
 *
 * @module
 */
import type { Random } from "../random.ts";
import { N_BP, N_FLUX } from "../spectra.ts";
import { SAMPLE_WIDTHS } from "./_instrument.ts";

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

/** The two bands as [first, end) sample ranges of the 186 kept samples. */
const BANDS: readonly [number, number][] = [[0, N_BP], [N_BP, N_FLUX]];

/** cos(π m (i + ½) / n) for m = 1..modes, i in band: slow waves across each band. */
const RIPPLE_TABLES: Float64Array[] = BANDS.map(([a, b]) => {
  const n = b - a;
  const t = new Float64Array(NOISE.rippleModes * n);
  for (let m = 0; m < NOISE.rippleModes; m++) {
    for (let i = 0; i < n; i++) t[m * n + i] = Math.cos(Math.PI * (m + 1) * (i + 0.5) / n);
  }
  return t;
});

/** Adds noise to `flux[offset .. offset + 186)` in place, drawing from `rng`. */
export function addNoise(flux: Float32Array, offset: number, rng: Random): void {
  const white = new Float64Array(N_FLUX + 2);
  for (let band = 0; band < 2; band++) {
    const [a, b] = BANDS[band];
    const n = b - a;
    const background = band === 0 ? NOISE.backgroundBp : NOISE.backgroundRp;
    const bgSigma = Math.sqrt(background / NOISE.exposureS);
    for (let i = 0; i < n + 2; i++) white[i] = rng.normal();
    const table = RIPPLE_TABLES[band];
    const amp = new Float64Array(NOISE.rippleModes);
    for (let m = 0; m < NOISE.rippleModes; m++) amp[m] = NOISE.ripple * bgSigma * rng.normal();
    for (let i = 0; i < n; i++) {
      const k = offset + a + i;
      const s = flux[k], w = SAMPLE_WIDTHS[a + i];
      const variance = (Math.max(s, 0) * w + background) / (NOISE.exposureS * w * w) +
        (NOISE.calibrationFraction * s) ** 2;
      // A [1, 2, 1] smoothing of white noise (unit variance): neighbouring samples correlate.
      const correlated = (white[i] + 2 * white[i + 1] + white[i + 2]) * 0.408248290463863;
      let ripple = 0;
      for (let m = 0; m < NOISE.rippleModes; m++) ripple += amp[m] * table[m * n + i];
      flux[k] = s + Math.sqrt(variance) * correlated + ripple;
    }
  }
}
