/**
 * Reading a calibration report the way a page describes it, from its numbers: the sampling error
 * of a coverage, the shape of a PIT histogram, and the members' scores in a run's log.
 *
 * @module
 */
import { UNCERTAINTY_RESULTS_DIR } from "./results.ts";

/**
 * The standard error of a coverage p measured on n galaxies (binomial): √(p(1 − p)/n).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { coverageStandardError } from "./summary.ts";
 * assert.ok(Math.abs(coverageStandardError(0.68, 5000) - 0.0066) < 1e-4);
 * ```
 */
export function coverageStandardError(p: number, n: number): number {
  return Math.sqrt((p * (1 - p)) / n);
}

/** Fewest test galaxies a bin needs before a page quotes its coverage (±6.6 points at 68 %). */
export const MIN_BIN_GALAXIES = 50;

/** The shape of a 10-bin PIT histogram, as shares of the galaxies and their sampling errors. */
export interface PitShape {
  n: number;
  /** Share in the two outer bins (PIT < 0.1 or > 0.9); 0.2 if calibrated. */
  tails: number;
  /** Share in the two middle bins (0.4–0.6); 0.2 if calibrated. */
  centre: number;
  /** Share with PIT < 0.5, the true z below the predicted mean; 0.5 without bias. */
  belowMean: number;
  /** Standard error of a share of 0.2 and of 0.5 among n galaxies. */
  se20: number;
  se50: number;
  /** What the shares say, judged at two standard errors. */
  verdict: "flat" | "u-shape" | "hump" | "heavy-tails" | "light-tails";
  /** Whether the histogram leans: "low" (truth below μ too often), "high" or "none". */
  lean: "low" | "high" | "none";
}

/**
 * Reads a 10-bin PIT histogram: too many galaxies in the outer bins and too few in the middle is
 * a U (σ too small); the reverse a hump (σ too large); too many in both the outer and the middle
 * bins means heavier tails than a Gaussian (σ right for the middle, too small for the tails).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pitShape } from "./summary.ts";
 * assert.equal(pitShape([500, 500, 500, 500, 500, 500, 500, 500, 500, 500]).verdict, "flat");
 * assert.equal(pitShape([1600, 300, 250, 200, 150, 150, 200, 250, 300, 1600]).verdict, "u-shape");
 * assert.equal(pitShape([540, 400, 450, 560, 650, 570, 480, 390, 380, 580]).verdict, "heavy-tails");
 * ```
 */
export function pitShape(counts: readonly number[]): PitShape {
  if (counts.length !== 10) throw new RangeError(`expected 10 PIT bins, got ${counts.length}`);
  const n = counts.reduce((a, b) => a + b, 0);
  const share = (...bins: number[]) => bins.reduce((a, b) => a + counts[b], 0) / n;
  const tails = share(0, 9), centre = share(4, 5), belowMean = share(0, 1, 2, 3, 4);
  const se20 = coverageStandardError(0.2, n), se50 = coverageStandardError(0.5, n);
  const sign = (x: number, se: number) => (x > 2 * se ? 1 : x < -2 * se ? -1 : 0);
  const [t, c] = [sign(tails - 0.2, se20), sign(centre - 0.2, se20)];
  const verdict = t > 0 && c > 0
    ? "heavy-tails"
    : t < 0 && c < 0
    ? "light-tails"
    : t > 0 || c < 0
    ? "u-shape"
    : t < 0 || c > 0
    ? "hump"
    : "flat";
  const l = sign(belowMean - 0.5, se50);
  const lean = l > 0 ? "low" : l < 0 ? "high" : "none";
  return { n, tails, centre, belowMean, se20, se50, verdict, lean };
}

/** One member's line of an ensemble run's log. */
export interface MemberScore {
  member: number;
  epochs: number;
  seconds: number;
  /** Validation MAE after its last epoch. */
  valMae: number;
}

/**
 * The members' epochs, seconds and last validation MAE from the log of `deno task ensemble`
 * (`member 2: 20 epochs in 3907.5 s, val_mae 0.0213`); a member logged again by a later sitting
 * keeps its last line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memberScoresFromLog } from "./summary.ts";
 * const log = "member 1: 20 epochs in 4105.2 s, val_mae 0.0221\nmember 1: 20 epochs in " +
 *   "4105.2 s, val_mae 0.0221\nmember 2: 20 epochs in 3907.5 s, val_mae 0.0213\n";
 * assert.deepEqual(memberScoresFromLog(log).map((m) => m.valMae), [0.0221, 0.0213]);
 * ```
 */
export function memberScoresFromLog(text: string): MemberScore[] {
  const members = new Map<number, MemberScore>();
  const line = /^member (\d+): (\d+) epochs in ([\d.]+) s, val_mae ([\d.]+)$/gm;
  for (const m of text.matchAll(line)) {
    const [, member, epochs, seconds, valMae] = m.map(Number);
    members.set(member, { member, epochs, seconds, valMae });
  }
  return [...members.values()].sort((a, b) => a.member - b.member);
}

/**
 * The members' scores of the committed ensemble run of `profile`, from its log
 * (`results/uncertainty/<profile>.log`); an empty list when no log is committed.
 */
export async function readCommittedMemberScores(
  profile: string,
  dir: string = UNCERTAINTY_RESULTS_DIR,
): Promise<MemberScore[]> {
  try {
    return memberScoresFromLog(await Deno.readTextFile(`${dir}/${profile}.log`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}
