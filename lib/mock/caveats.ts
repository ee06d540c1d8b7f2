/**
 * What a comparison of the mock with the dissertation can and cannot show: the one place the
 * pages (01, 04, the report's index) take these sentences from. `data/README.md` has the evidence.
 *
 * @module
 */

/**
 * Agreements with the dissertation that the mock was calibrated to produce: where ours matches
 * theirs on one of these, the match is built in, not found.
 */
export const MOCK_CALIBRATED_AGREEMENTS: readonly string[] = [
  "its redshift distribution is fitted to the dissertation's published percentiles and 0.05-bin " +
  "shares (so Figure 9, the percentiles and the share of galaxies per bin agree by construction)",
  "its flux scale is set so that the three galaxies the dissertation quotes (Table 1) sit inside " +
  "the mock's spread",
  "its galaxy size (how much each spectrum is smeared along Gaia's scan) is the one at which the " +
  "dissertation's network reaches a test MAE near 0.022 with Table 3's tilt: the overall MAE and " +
  "the tilt's existence were targets of the calibration, not independent results",
];

/** What the real data has and the mock has not, so that the mock is the easier problem. */
export const MOCK_LACKS =
  "blended sources, badly calibrated spectra or wrong spectroscopic redshifts, which add error " +
  "to the real data";

/**
 * A Markdown paragraph for a page that puts the mock beside the dissertation: ours is on the mock,
 * theirs on the real data, what was calibrated to agree, and what the mock lacks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mockCaveat } from "./caveats.ts";
 * assert.match(mockCaveat(), /calibrated/);
 * ```
 *
 * @param isMock whether our numbers come from the mock (false: the user's own real file)
 */
export function mockCaveat(isMock = true): string {
  if (!isMock) {
    return "**Ours and theirs are both on real data here**: this report read a real file " +
      "(`REDSHIFT_DATA`), not the mock.";
  }
  return "**Ours is measured on the mock, the dissertation's on its real, private data.** The mock " +
    "was calibrated against the dissertation, so some agreements are built in: " +
    MOCK_CALIBRATED_AGREEMENTS.map((s, i) => `(${i + 1}) ${s}`).join("; ") +
    `. The mock has no ${MOCK_LACKS}: it is an easier problem than the real one ` +
    '(`data/README.md`, "What it does not reproduce").';
}

/** True when a run's data description (`RunRecord.data`) is the project's mock. */
export function isMockSource(data: string): boolean {
  return /mock galaxies simulated|mock_sample\.csv|\/data\/mock\//.test(data);
}
