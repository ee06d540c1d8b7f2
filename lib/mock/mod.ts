/**
 * The seeded mock: a physics-based simulator of Gaia BP/RP spectra of galaxies, standing in for
 * the dissertation's private data set. A galaxy is drawn from a population (redshift, template
 * mix, emission lines, brightness), its spectral energy distribution is redshifted and passed
 * through the Gaia XP instrument model (dispersion, responses, the 186 kept samples), and noise is
 * added. The instrument tables and template fits are data (`calibration.json`, written by
 * `tools/calibrate_simulator.ts`). One seed fixes every galaxy: {@link simulateSpectra}.
 *
 * @module
 */
export * from "./simulate.ts";
export * from "./gaia_xp.ts";
export * from "./caveats.ts";
