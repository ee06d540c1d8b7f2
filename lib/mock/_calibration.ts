// The simulator's calibration: instrument tables derived from GaiaXPy and galaxy-model
// parameters fitted to the kcorrect templates. The numbers are data, in calibration.json, written
// by tools/calibrate_simulator.ts from ../shared/reference/; its `provenance` field says from what.
import calibration from "./calibration.json" with { type: "json" };

/** Instrument tables derived from GaiaXPy. */
export const INSTRUMENT = calibration.instrument;

/** Galaxy-model parameters fitted to the kcorrect templates. */
export const TEMPLATES = calibration.templates;
