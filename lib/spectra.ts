/**
 * The shape of the data every module shares: redshifts and their spectra.
 *
 * @module
 */

/** Number of flux samples per spectrum: 80 BP + 106 RP sampled-mean-spectrum values. */
export const N_FLUX = 186;

/** Number of BP samples kept (indices 0..79 of a spectrum); RP follows. */
export const N_BP = 80;

/** Largest redshift in the dissertation's sample. */
export const Z_MAX = 0.6;

/** Column names of the dissertation's CSV: `z`, then `flux_0` … `flux_185`. */
export const FLUX_COLUMNS: readonly string[] = Array.from(
  { length: N_FLUX },
  (_, i) => `flux_${i}`,
);

/**
 * A set of galaxies in memory: `n` redshifts and `n × 186` fluxes, row-major.
 *
 * `ids` identifies each row in its source (the 1-based data row number of a
 * file, or the index of a simulated galaxy), so that rows can be traced back
 * after filtering, splitting or shuffling.
 */
export interface Spectra {
  /** Number of galaxies. */
  n: number;
  /** Spectroscopic redshift of each galaxy. */
  z: Float32Array;
  /** Fluxes, row-major: galaxy i's sample j is `flux[i * 186 + j]`. */
  flux: Float32Array;
  /** Row identifier of each galaxy in its source. */
  ids: Float64Array;
}

/** Copies the rows `indices` of `data` into a new {@link Spectra}. */
export function selectRows(data: Spectra, indices: ArrayLike<number>): Spectra {
  const n = indices.length;
  const z = new Float32Array(n);
  const flux = new Float32Array(n * N_FLUX);
  const ids = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    z[k] = data.z[i];
    ids[k] = data.ids[i];
    flux.set(data.flux.subarray(i * N_FLUX, (i + 1) * N_FLUX), k * N_FLUX);
  }
  return { n, z, flux, ids };
}
