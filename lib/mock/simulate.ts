/**
 * A seeded, physical mock of the dissertation's Gaia × SDSS galaxy spectra.
 *
 * Each galaxy is a mix of five stellar-population continua (fitted to SDSS
 * galaxy templates) plus emission lines, reddened by dust, redshifted, seen
 * through Gaia's BP/RP photometers, smeared along the scan by its own extent,
 * and sampled like the dissertation's 186 fluxes, with photon, background and
 * correlated noise. Galaxy `i` of seed `s`
 * depends only on (s, i), so chunks of any size give the same rows.
 *
 * @module
 */
import { Random } from "../random.ts";
import { N_FLUX, type Spectra } from "../spectra.ts";
import { getBasis, N_COMPONENTS, N_Z, Z_STEP } from "./_basis.ts";
import { drawGalaxy, type Galaxy, luminosityDistance } from "./_population.ts";
import { GROUP_STRENGTH, N_TEMPLATES } from "./_sed.ts";
import { LINE_GROUPS } from "./_sed_model.ts";
import { addNoise } from "./_noise.ts";
import {
  KEPT_IN_GRID,
  N_GRID,
  SAMPLES_PER_BAND,
  VALUE_PER_COUNT_RATE,
  VALUE_PER_COUNT_RATE_BY_BAND,
} from "./_instrument.ts";
import { angularSize, smear } from "./_extent.ts";

export { SAMPLE_WAVELENGTHS_NM } from "./gaia_xp.ts";

/** Version of the simulator: a change in it may change every generated value. */
export const SIMULATOR_VERSION = "3.0.0";

/** Number of galaxies in the dissertation's data set, the default mock size. */
export const DISSERTATION_N = 520_393;

/** Gaia DR3 G-band zero point (mag for 1 e⁻/s), used for the brightness of the 186 samples. */
export const G_ZERO_POINT = 25.6874;

/**
 * Light in the BP/RP window (3.5″ × 2.1″) over the light a point source of the same G gives.
 *
 * A galaxy is extended: the XP windows take in more of its light than its G magnitude (a narrow
 * window's flux) implies, which is why Gaia's BP/RP flux excess of galaxies is well above the
 * 1.2 of stars. 2.0 with {@link VALUE_PER_COUNT_RATE} and the along-scan smear puts Table 1's
 * quoted rows inside the mock's range (data/README.md, issue 17).
 */
export const XP_LIGHT_EXCESS = 2.0;

/** Options of {@link simulateSpectra}. */
export interface SimulateOptions {
  /** Number of galaxies. */
  n: number;
  /** Seed; same seed and version, same galaxies. */
  seed: number;
  /** Index of the first galaxy (default 0): galaxies firstIndex … firstIndex + n − 1. */
  firstIndex?: number;
  /** Add measurement noise (default true); false gives the noiseless signal of the same galaxies. */
  noise?: boolean;
}

/** Simulated spectra with the properties each galaxy was drawn with. */
export interface SimulatedSpectra extends Spectra {
  /** Apparent G-like magnitude (of the 186 kept samples' light). */
  gMag: Float32Array;
  /** Star-formation activity, 0 (quiescent) to 1 (strongly star-forming). */
  activity: Float32Array;
  /** Extra dust reddening E(B−V) in magnitudes. */
  ebv: Float32Array;
  /** Half-light radius on the sky, arcseconds: how much the spectrum is smeared. */
  sizeArcsec: Float32Array;
}

/** The seed of galaxy `index`'s own generator: a bijective 32-bit hash of (seed, index). */
function galaxySeed(seed: number, index: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) + index) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Room for `n` galaxies. */
function allocate(n: number): SimulatedSpectra {
  const f32 = () => new Float32Array(n);
  const flux = new Float32Array(n * N_FLUX), ids = new Float64Array(n);
  return { n, z: f32(), flux, ids, gMag: f32(), activity: f32(), ebv: f32(), sizeArcsec: f32() };
}

/** Writes galaxy `g` (galaxy `index` of its seed) into row `r` of `out`, with noise from `rng`. */
function store(out: SimulatedSpectra, r: number, g: Galaxy, index: number, rng: Random | null) {
  out.z[r] = g.z, out.ids[r] = index, out.gMag[r] = g.gMag;
  out.activity[r] = g.activity, out.ebv[r] = g.ebv;
  out.sizeArcsec[r] = renderGalaxy(g, out.flux, r * N_FLUX, rng);
}

/**
 * Simulates `n` galaxies in memory; `ids` are the galaxies' indices.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulateSpectra } from "./simulate.ts";
 * const data = simulateSpectra({ n: 10, seed: 1 });
 * assert.ok(data.flux.length === 10 * 186);
 * ```
 */
export function simulateSpectra(options: SimulateOptions): SimulatedSpectra {
  const { n, seed, firstIndex = 0, noise = true } = options;
  const out = allocate(n);
  for (let r = 0; r < n; r++) {
    const index = firstIndex + r, rng = new Random(galaxySeed(seed, index));
    store(out, r, drawGalaxy(rng), index, noise ? rng : null);
  }
  return out;
}

/** Highest redshift the precomputed tables cover. */
const MAX_SIMULATED_Z = (N_Z - 1) * Z_STEP;

/** Luminosity distance (units of c/H0) at which a galaxy at `z` is seen, z floored at 0.005. */
const distance = (z: number) => luminosityDistance(Math.max(z, 0.005));

/**
 * Simulates one galaxy (galaxy `index` of `seed`) moved to each of `redshifts`:
 * the same stellar populations, lines and dust, seen farther away, so its
 * spectrum shifts to the red by (1 + z) and dims with luminosity distance.
 * For teaching what redshift does; the mock itself uses {@link simulateSpectra}.
 */
export function simulateGalaxyAtRedshifts(
  options: { seed: number; index?: number; redshifts: readonly number[]; noise?: boolean },
): SimulatedSpectra {
  const { seed, index = 0, redshifts, noise = false } = options;
  const rng = new Random(galaxySeed(seed, index));
  const own = drawGalaxy(rng);
  const out = allocate(redshifts.length);
  redshifts.forEach((z, r) => {
    if (!(z >= 0 && z <= MAX_SIMULATED_Z)) {
      throw new RangeError(`redshift ${z} is outside [0, ${MAX_SIMULATED_Z}]`);
    }
    // Distance modulus relative to where the galaxy was drawn: inverse-square dimming.
    const gMag = own.gMag + 5 * Math.log10(distance(z) / distance(own.z));
    store(out, r, { ...own, z, gMag }, index, noise ? rng : null);
  });
  return out;
}

/**
 * Writes galaxy `g`'s observed 186 fluxes at `flux[offset…]`, with noise from `rng` if given;
 * returns its angular half-light radius (″).
 */
function renderGalaxy(g: Galaxy, flux: Float32Array, offset: number, rng: Random | null): number {
  const { values, dustK } = getBasis();
  const coef = new Float64Array(N_COMPONENTS);
  const spec = new Float64Array(N_GRID);
  for (let t = 0; t < N_TEMPLATES; t++) coef[t] = g.weights[t];
  for (let l = 0; l < LINE_GROUPS.length; l++) {
    let s = 0;
    for (let t = 0; t < N_TEMPLATES; t++) s += g.weights[t] * GROUP_STRENGTH[t][l];
    coef[N_TEMPLATES + l] = s * g.lineScatter[l];
  }

  // Interpolate the component table between the two grid redshifts around z.
  const x = g.z / Z_STEP;
  const zi = Math.min(Math.floor(x), N_Z - 2), f = x - zi;
  for (let k = 0; k < N_COMPONENTS; k++) {
    const c0 = coef[k] * (1 - f), c1 = coef[k] * f;
    const o0 = (zi * N_COMPONENTS + k) * N_GRID, o1 = o0 + N_COMPONENTS * N_GRID;
    for (let s = 0; s < N_GRID; s++) spec[s] += c0 * values[o0 + s] + c1 * values[o1 + s];
  }

  // Dust (smooth on the scale of the line spread function, so applied after it), then values per
  // unit pseudo-wavelength; the galaxy's extent smears each band along the scan.
  const a = -0.4 * Math.LN10 * g.ebv;
  for (let s = 0; s < N_GRID; s++) {
    const dust = Math.exp(
      a * ((1 - f) * dustK[zi * N_GRID + s] + f * dustK[(zi + 1) * N_GRID + s]),
    );
    spec[s] = spec[s] * dust * VALUE_PER_COUNT_RATE_BY_BAND[s < SAMPLES_PER_BAND ? 0 : 1];
  }
  const sizeArcsec = angularSize(g.radiusKpc, g.z, distance(g.z));
  smear(spec, g.profile, sizeArcsec);
  // Brightness: the 186 kept samples' count rates add up to the G-band count rate times the XP
  // light excess.
  let total = 0;
  for (let j = 0; j < N_FLUX; j++) total += spec[KEPT_IN_GRID[j]] / VALUE_PER_COUNT_RATE[j];
  const scale = XP_LIGHT_EXCESS * Math.pow(10, 0.4 * (G_ZERO_POINT - g.gMag)) / total;
  for (let j = 0; j < N_FLUX; j++) flux[offset + j] = spec[KEPT_IN_GRID[j]] * scale;
  if (rng) addNoise(flux, offset, rng);
  return sizeArcsec;
}

/** Options of {@link simulateChunks}: those of {@link simulateSpectra}, `n` being the total. */
export interface SimulateChunksOptions extends Omit<SimulateOptions, "firstIndex"> {
  /** Galaxies per chunk (default 16,384). */
  chunkSize?: number;
}

/**
 * Yields the same galaxies as `simulateSpectra({ n, seed })`, `chunkSize` at a time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulateChunks } from "./simulate.ts";
 * let rows = 0;
 * for (const chunk of simulateChunks({ n: 25, seed: 1, chunkSize: 10 })) rows += chunk.n;
 * assert.ok(rows === 25);
 * ```
 */
export function* simulateChunks(options: SimulateChunksOptions): Generator<SimulatedSpectra> {
  const { n, seed, chunkSize = 16_384, noise = true } = options;
  for (let first = 0; first < n; first += chunkSize) {
    yield simulateSpectra({ n: Math.min(chunkSize, n - first), seed, firstIndex: first, noise });
  }
}
