/**
 * Where the 186 fluxes sit in wavelength: Gaia's BP/RP sample grid.
 *
 * Gaia's sampled mean spectra have 120 samples per band, evenly spaced in
 * pseudo-wavelength; the dissertation kept BP samples 34..113 and RP 4..109.
 * The wavelengths come from a reconstruction of the Apsis grid from the
 * published dispersion (see lib/mock/_calibration.ts for provenance).
 *
 * @module
 */
import { N_BP, N_FLUX } from "../spectra.ts";
import { INSTRUMENT } from "./_calibration.ts";

/** Wavelength (nm) of each of the 186 kept samples: BP 366–631 nm, then RP 628–997 nm. */
export const SAMPLE_WAVELENGTHS_NM: Float64Array = Float64Array.from(INSTRUMENT.sampleWavelengthNm);

/** Width (nm) each kept sample spans: from ~1.5 nm at the blue end of BP to ~7.5 nm at its red end. */
export const SAMPLE_WIDTHS_NM: Float64Array = Float64Array.from(INSTRUMENT.sampleWidthNm);

/** Kept BP samples in Gaia's 0..119 numbering (inclusive): spectrum positions 0..79. */
export const BP_KEPT = { first: 34, last: 113 } as const;

/** Kept RP samples in Gaia's 0..119 numbering (inclusive): spectrum positions 80..185. */
export const RP_KEPT = { first: 4, last: 109 } as const;

/**
 * Index (0..185) of the kept sample nearest to `lambdaNm` in the given band.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nearestSample } from "./gaia_xp.ts";
 * assert.ok(nearestSample(656.3, "rp") > 80);
 * ```
 */
export function nearestSample(lambdaNm: number, band: "bp" | "rp"): number {
  const [a, b] = band === "bp" ? [0, N_BP] : [N_BP, N_FLUX];
  const distance = (j: number) => Math.abs(SAMPLE_WAVELENGTHS_NM[j] - lambdaNm);
  let best = a;
  for (let j = a + 1; j < b; j++) if (distance(j) < distance(best)) best = j;
  return best;
}
