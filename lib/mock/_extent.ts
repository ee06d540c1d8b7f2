/**
 * Galaxies are extended: in a slitless photometer their spectra are smeared along the scan.
 *
 * Gaia disperses BP/RP light along the scan, so every part of a galaxy lays down its own copy
 * of the spectrum, shifted in pseudo-wavelength by its along-scan offset. The observed spectrum
 * is the point-source spectrum convolved with the galaxy's light profile projected on the scan
 * direction (summed across the 2.1″ window, cut at the 3.5″ window's ends). One along-scan pixel
 * is 58.9 mas and the line spread is 1–1.3 pixels, so a galaxy 1″ across blurs the emission
 * lines and the 4000 Å break that carry z over about 17 pixels; near galaxies, larger on the
 * sky, are blurred most.
 *
 * Profiles are Sérsic: exponential discs (n = 1) for star-forming galaxies, de Vaucouleurs
 * spheroids (n = 4, a sharp core that keeps features) for quiescent ones. Half-light radii are
 * ln-normal in kpc ({@link GALAXY_SIZE}) and seen at the angular-diameter distance.
 *
 * @module
 */
import { INSTRUMENT } from "./_calibration.ts";
import { SAMPLES_PER_BAND } from "./_instrument.ts";

/** Half-light radius in kpc: median per profile and ln-normal scatter (data/README.md, issue 17). */
export const GALAXY_SIZE = { discKpc: 0.75, spheroidKpc: 0.75, sigmaLn: 0.4 } as const;

/** Gaia's along-scan pixel in arcseconds. */
export const AL_PIXEL_ARCSEC = 0.0589;
/** Half of the BP/RP window: 3.5″ along the scan, 2.1″ across it. */
const WINDOW_HALF_AL = 1.75, WINDOW_HALF_AC = 1.05;
/** Hubble distance c/H0 in Mpc for H0 = 70 km/s/Mpc. */
const HUBBLE_DISTANCE_MPC = 4282.7;
const ARCSEC_PER_RADIAN = 206_264.8;

/** Sérsic b_n, for which the radius `re` encloses half the light: n = 1 and n = 4. */
const SERSIC_B = { disc: 1.6783, spheroid: 7.6692 } as const;
/** A light profile: exponential disc or de Vaucouleurs spheroid. */
export type Profile = keyof typeof SERSIC_B;

/** Half-light radii (″) of the kernel table: log-spaced; a galaxy takes the nearest. */
const SIZE_GRID = { min: 0.01, max: 20, count: 96 } as const;
const SIZE_RATIO = Math.pow(SIZE_GRID.max / SIZE_GRID.min, 1 / (SIZE_GRID.count - 1));

/**
 * Angular half-light radius (″) of `radiusKpc` at redshift `z`, for luminosity distance `dl` in
 * units of c/H0: θ = R / D_A with D_A = d_L / (1 + z)².
 */
export function angularSize(radiusKpc: number, z: number, dl: number): number {
  const dA = HUBBLE_DISTANCE_MPC * dl / ((1 + z) * (1 + z));
  return radiusKpc / (1000 * dA) * ARCSEC_PER_RADIAN;
}

/** Sample step (″ along the scan) of each band: samples are evenly spaced in pseudo-wavelength. */
const STEP_ARCSEC = [INSTRUMENT.sampleStepBp, INSTRUMENT.sampleStepRp].map((s) =>
  s * AL_PIXEL_ARCSEC
);

/**
 * The profile's light per sample of along-scan offset d = −h…h: each sample's share of the
 * projected profile, integrated over the sample's width, normalised to 1.
 */
function buildKernel(profile: Profile, sizeArcsec: number, band: number): Float64Array {
  const step = STEP_ARCSEC[band], b = SERSIC_B[profile], n = profile === "disc" ? 1 : 4;
  const half = Math.floor(WINDOW_HALF_AL / step);
  const light = (x: number) => {
    // ∫ I(√(x² + y²)) dy over |y| < 1.05″, with y = Y t² to resolve the core.
    let s = 0;
    const m = 48;
    for (let i = 0; i < m; i++) {
      const t = (i + 0.5) / m, y = WINDOW_HALF_AC * t * t;
      const r = Math.sqrt(x * x + y * y) / sizeArcsec;
      s += Math.exp(-b * Math.pow(r, 1 / n)) * t;
    }
    return s;
  };
  const kernel = new Float64Array(2 * half + 1);
  const subs = 12;
  let total = 0;
  for (let d = 0; d <= half; d++) {
    let s = 0;
    for (let k = 0; k < subs; k++) s += light(Math.abs((d - 0.5 + (k + 0.5) / subs) * step));
    kernel[half + d] = kernel[half - d] = s;
    total += d === 0 ? s : 2 * s;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] /= total;
  // Trim tails below 1e-5 of the light: they only cost time.
  let h = half;
  while (h > 0 && kernel[half + h] < 1e-5) h--;
  return kernel.slice(half - h, half + h + 1);
}

const kernels = new Map<string, Float64Array>();

/** The kernel of the table size nearest `sizeArcsec`, built on first use. */
export function smearKernel(profile: Profile, sizeArcsec: number, band: number): Float64Array {
  const x = Math.log(Math.max(sizeArcsec, SIZE_GRID.min) / SIZE_GRID.min) / Math.log(SIZE_RATIO);
  const i = Math.min(Math.round(x), SIZE_GRID.count - 1);
  const key = `${profile} ${i} ${band}`;
  if (!kernels.has(key)) {
    kernels.set(key, buildKernel(profile, SIZE_GRID.min * Math.pow(SIZE_RATIO, i), band));
  }
  return kernels.get(key)!;
}

/**
 * Smears a galaxy's values on the full grid (`grid`: BP 0..119, then RP 0..119) in place by its
 * along-scan profile. Each band is convolved on its own (its samples are evenly spaced in
 * pseudo-wavelength); beyond the 120 samples the band's response is zero, so no light comes in.
 */
export function smear(grid: Float64Array, profile: Profile, sizeArcsec: number): void {
  const copy = grid.slice();
  for (let band = 0; band < 2; band++) {
    const kernel = smearKernel(profile, sizeArcsec, band);
    const h = (kernel.length - 1) / 2;
    if (h === 0) continue;
    const a = band * SAMPLES_PER_BAND, end = a + SAMPLES_PER_BAND;
    for (let j = a; j < end; j++) {
      const lo = Math.max(a, j - h), hi = Math.min(end - 1, j + h);
      let s = 0;
      for (let k = lo; k <= hi; k++) s += kernel[k - j + h] * copy[k];
      grid[j] = s;
    }
  }
}
