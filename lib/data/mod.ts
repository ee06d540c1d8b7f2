/**
 * Spectra on disk: reading a CSV or Parquet file of galaxies with every value checked and every
 * bad row reported ({@link loadSpectra}), and writing spectra in the dissertation's layout
 * ({@link writeSpectra}, or in chunks with {@link writeSpectraChunks}). The file format is
 * described in `data/README.md`: an optional header, then z and the 186 fluxes `flux_0`…`flux_185`
 * per row.
 *
 * @module
 */
export * from "./load.ts";
export * from "./write_spectra.ts";
