/**
 * A seeded, physical mock of the dissertation's Gaia × SDSS galaxy spectra.
 *
 * Each galaxy is a mix of five stellar-population continua (fitted to SDSS
 * galaxy templates) plus emission lines, reddened by dust, redshifted, seen
 * through Gaia's BP/RP photometers and sampled like the dissertation's 186
 * fluxes, with photon, background and correlated noise. Galaxy `i` of seed `s`
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
import { SAMPLE_WIDTHS, VALUE_PER_COUNT_RATE } from "./_instrument.ts";

export { SAMPLE_WAVELENGTHS_NM } from "./gaia_xp.ts";

/** Version of the simulator: a change in it may change every generated value. */
export const SIMULATOR_VERSION = "2.0.0";

/** Number of galaxies in the dissertation's data set, the default mock size. */
export const DISSERTATION_N = 520_393;

/** Gaia DR3 G-band zero point (mag for 1 e⁻/s), used for the brightness of the 186 samples. */
export const G_ZERO_POINT = 25.6874;

/**
 * Light in the BP/RP window (3.5″ × 2.1″) over the light a point source of the same G gives.
 *
 * A galaxy is extended: the XP windows take in more of its light than its G magnitude (a narrow
 * window's flux) implies, which is why Gaia's BP/RP flux excess of galaxies is well above the
 * 1.2 of stars. 2.5 (1 mag) with {@link VALUE_PER_COUNT_RATE} puts Table 1's quoted rows in the
 * middle of the mock's range (data/README.md, issue 17).
 */
export const XP_LIGHT_EXCESS = 2.5;

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
}

/** The seed of galaxy `index`'s own generator: a bijective 32-bit hash of (seed, index). */
function galaxySeed(seed: number, index: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) + index) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
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
  const z = new Float32Array(n), ids = new Float64Array(n);
  const gMag = new Float32Array(n), activity = new Float32Array(n), ebv = new Float32Array(n);
  const flux = new Float32Array(n * N_FLUX);
  for (let r = 0; r < n; r++) {
    const index = firstIndex + r;
    const rng = new Random(galaxySeed(seed, index));
    const g = drawGalaxy(rng);
    z[r] = g.z, ids[r] = index, gMag[r] = g.gMag, activity[r] = g.activity, ebv[r] = g.ebv;
    renderGalaxy(g, flux, r * N_FLUX, noise ? rng : null);
  }
  return { n, z, flux, ids, gMag, activity, ebv };
}

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
  const n = redshifts.length;
  const out: SimulatedSpectra = {
    n,
    z: Float32Array.from(redshifts),
    flux: new Float32Array(n * N_FLUX),
    ids: new Float64Array(n).fill(index),
    gMag: new Float32Array(n),
    activity: new Float32Array(n).fill(own.activity),
    ebv: new Float32Array(n).fill(own.ebv),
  };
  redshifts.forEach((zNew, r) => {
    if (!(zNew >= 0 && zNew <= MAX_SIMULATED_Z)) {
      throw new RangeError(`redshift ${zNew} is outside [0, ${MAX_SIMULATED_Z}]`);
    }
    // Distance modulus relative to where the galaxy was drawn: inverse-square dimming.
    const dm = 5 * Math.log10(
      luminosityDistance(Math.max(zNew, 0.005)) /
        luminosityDistance(Math.max(own.z, 0.005)),
    );
    const moved = { ...own, z: zNew, gMag: own.gMag + dm };
    out.gMag[r] = moved.gMag;
    renderGalaxy(moved, out.flux, r * N_FLUX, noise ? rng : null);
  });
  return out;
}

/** Highest redshift the precomputed tables cover. */
const MAX_SIMULATED_Z = (N_Z - 1) * Z_STEP;

/** Writes galaxy `g`'s observed 186 fluxes at `flux[offset…]`, with noise from `rng` if given. */
function renderGalaxy(g: Galaxy, flux: Float32Array, offset: number, rng: Random | null): void {
  const { values, dustK } = getBasis();
  const coef = new Float64Array(N_COMPONENTS);
  const spec = new Float64Array(N_FLUX);
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
    const o0 = (zi * N_COMPONENTS + k) * N_FLUX, o1 = o0 + N_COMPONENTS * N_FLUX;
    for (let j = 0; j < N_FLUX; j++) spec[j] += c0 * values[o0 + j] + c1 * values[o1 + j];
  }

  // Dust (smooth on the scale of the line spread function, so applied after it), then
  // brightness: the 186 samples' count rates (e⁻ s⁻¹ nm⁻¹ × width) add up to the G-band count
  // rate times the XP light excess; values are count rates per unit pseudo-wavelength.
  const a = -0.4 * Math.LN10 * g.ebv;
  let total = 0;
  for (let j = 0; j < N_FLUX; j++) {
    const k = (1 - f) * dustK[zi * N_FLUX + j] + f * dustK[(zi + 1) * N_FLUX + j];
    spec[j] *= Math.exp(a * k);
    total += spec[j] * SAMPLE_WIDTHS[j];
  }
  const scale = XP_LIGHT_EXCESS * Math.pow(10, 0.4 * (G_ZERO_POINT - g.gMag)) / total;
  for (let j = 0; j < N_FLUX; j++) {
    flux[offset + j] = spec[j] * SAMPLE_WIDTHS[j] * scale * VALUE_PER_COUNT_RATE[j];
  }
  if (rng) addNoise(flux, offset, rng);
}

/** Options of {@link simulateChunks}. */
export interface SimulateChunksOptions {
  /** Total number of galaxies. */
  n: number;
  /** Seed, as in {@link simulateSpectra}. */
  seed: number;
  /** Galaxies per chunk (default 16,384). */
  chunkSize?: number;
  /** Add measurement noise (default true). */
  noise?: boolean;
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
