/**
 * Every component's observed spectrum on Gaia's full grid (120 samples per band), precomputed on a
 * fine redshift grid.
 *
 * The instrument is linear, so a galaxy made of components observes as the
 * same combination of the components' observed spectra. Redshifting then
 * convolving each component once per grid redshift (Δz = 0.001) and
 * interpolating linearly in z between grid rows replaces a per-galaxy
 * convolution by ~4,000 multiply–adds (checked against direct observation in
 * tests/simulate_test.ts). Built lazily in well under a second.
 *
 * @module
 */
import { Z_MAX } from "../spectra.ts";
import {
  GRID_WAVELENGTHS,
  N_GRID,
  N_OBS,
  OBS_MIN_NM,
  OBS_STEP_NM,
  observe,
  observeLine,
} from "./_instrument.ts";
import { GROUP_LINES, N_TEMPLATES, restAt, restContinua } from "./_sed.ts";
import { calzettiK, LINE_GROUPS } from "./_sed_model.ts";

/** Redshift step of the grid. */
export const Z_STEP = 0.001;
/** Grid rows: z = 0 … Z_MAX and one beyond, so that z = Z_MAX interpolates. */
export const N_Z = Math.round(Z_MAX / Z_STEP) + 2;
/** Components per galaxy: the template continua, then the line groups. */
export const N_COMPONENTS = N_TEMPLATES + LINE_GROUPS.length;

/**
 * Arbitrary constant bringing W m⁻² Å⁻¹-normalised components to e⁻/s-like magnitudes.
 *
 * Brightness is set later from each galaxy's magnitude, so only shapes matter here.
 */
const SCALE = 5e-19;

/** The precomputed tables. */
export interface Basis {
  /** `values[(zi * N_COMPONENTS + k) * N_GRID + g]`: component k at grid z_i, sample g (e⁻/s). */
  values: Float32Array;
  /** `dustK[zi * N_GRID + g]`: Calzetti k(λ) at sample g's rest wavelength for grid z_i. */
  dustK: Float32Array;
}

/**
 * Observed spectrum (the full grid's 240 samples, e⁻/s) of template `t` at redshift `z`, computed
 * directly.
 *
 * F_λ,obs(λ) = F_λ,rest(λ / (1 + z)) / (1 + z): wavelengths stretch, so flux per unit
 * wavelength thins by 1 + z. The common 1 / (4π d_L²) is left to the brightness.
 */
export function observeTemplate(
  t: number,
  z: number,
  out: Float64Array | Float32Array,
  offset = 0,
  restFlux: (lambdaA: number) => number = (l) => restAt(restContinua()[t], l),
): void {
  const f = new Float64Array(N_OBS);
  for (let i = 0; i < N_OBS; i++) {
    const lamA = (OBS_MIN_NM + i * OBS_STEP_NM) * 10;
    f[i] = restFlux(lamA / (1 + z)) / (1 + z) * SCALE;
  }
  observe(f, out, offset);
}

/** Observed spectrum (240 samples) of line group `g` (total flux 1 in Å × F_λ(5500)) at `z`. */
export function observeGroup(g: number, z: number, out: Float64Array | Float32Array, offset = 0) {
  out.fill(0, offset, offset + N_GRID);
  for (const line of GROUP_LINES[LINE_GROUPS[g]]) {
    observeLine(line.restA * (1 + z) / 10, line.share * SCALE, out, offset);
  }
}

let basis: Basis | null = null;

/** The tables, built on first use. */
export function getBasis(): Basis {
  if (basis) return basis;
  const values = new Float32Array(N_Z * N_COMPONENTS * N_GRID);
  const dustK = new Float32Array(N_Z * N_GRID);
  for (let zi = 0; zi < N_Z; zi++) {
    const z = zi * Z_STEP;
    for (let k = 0; k < N_COMPONENTS; k++) {
      const offset = (zi * N_COMPONENTS + k) * N_GRID;
      if (k < N_TEMPLATES) observeTemplate(k, z, values, offset);
      else observeGroup(k - N_TEMPLATES, z, values, offset);
    }
    for (let g = 0; g < N_GRID; g++) {
      dustK[zi * N_GRID + g] = calzettiK(GRID_WAVELENGTHS[g] * 10 / (1 + z));
    }
  }
  basis = { values, dustK };
  return basis;
}
