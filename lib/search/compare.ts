/**
 * Facts of committed search logs that a page quotes, computed from their records: how long trials
 * took, which code made which trials, how far the same seeded trial scored apart in two logs, and
 * two searches compared at equal training time.
 *
 * @module
 */
import { formatDuration, markdownTable } from "../tables.ts";
import type { SearchLog, TrialRecord } from "./trial_log.ts";
import type { Dimension } from "./space.ts";

/** The shortest and the longest trial of one or more logs, with the log each belongs to. */
export function trialTimeRange(
  logs: readonly { label: string; trials: readonly TrialRecord[] }[],
): { shortest: LabelledTrial; longest: LabelledTrial } {
  const all = logs.flatMap(({ label, trials }) => trials.map((trial) => ({ label, trial })));
  if (all.length === 0) throw new RangeError("no trials to time");
  const by = (pick: (a: number, b: number) => boolean) =>
    all.reduce((best, t) => (pick(t.trial.seconds, best.trial.seconds) ? t : best));
  return { shortest: by((a, b) => a < b), longest: by((a, b) => a > b) };
}

/** A trial and the label of its log. */
export interface LabelledTrial {
  label: string;
  trial: TrialRecord;
}

/** One trial that two logs share: the same number, seed and point, scored in each. */
export interface SharedTrial {
  number: number;
  /** Its score in the first log and in the second. */
  a: number;
  b: number;
  /** |a − b|. */
  gap: number;
}

/**
 * The trials two logs share (same number, seed and point, both scored): e.g. TPE's random
 * start-up trials and the same trials of a random search with the same seed. Their gaps measure
 * how far one seeded trial's score moves between the sittings (and code) that made the two logs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sharedTrials, type TrialRecord } from "./mod.ts";
 * const t = (number: number, value: number, seed = number): TrialRecord => ({
 *   type: "trial", number, seed, source: "random", params: { x: number }, state: "complete",
 *   value, curve: [value], seconds: 1, finishedAt: "",
 * });
 * const shared = sharedTrials([t(0, 0.03), t(1, 0.05)], [t(0, 0.031), t(1, 0.05, 9)]);
 * assert.equal(shared.length, 1);
 * assert.ok(Math.abs(shared[0].gap - 0.001) < 1e-12);
 * ```
 */
export function sharedTrials(
  a: readonly TrialRecord[],
  b: readonly TrialRecord[],
): SharedTrial[] {
  const shared: SharedTrial[] = [];
  for (const ta of a) {
    const tb = b.find((t) => t.number === ta.number);
    if (!tb || tb.seed !== ta.seed || !samePoint(ta.params, tb.params)) continue;
    if (ta.value === null || tb.value === null) continue;
    shared.push({
      number: ta.number,
      a: ta.value,
      b: tb.value,
      gap: Math.abs(ta.value - tb.value),
    });
  }
  return shared;
}

function samePoint(p: TrialRecord["params"], q: TrialRecord["params"]): boolean {
  const keys = Object.keys(p);
  return keys.length === Object.keys(q).length && keys.every((k) => p[k] === q[k]);
}

/** The trials one version of the code made: one span per sitting that ran a trial. */
export interface CodeSpan {
  /** First and last trial number of the sitting. */
  from: number;
  to: number;
  /** The commit's short hash ("?" when the session did not record one). */
  commit: string;
  /** True when the sitting ran with changes not yet committed. */
  localChanges: boolean;
  /** The machine, when the session recorded it. */
  machine?: string;
}

/**
 * Which code made which trials, from a log's session records.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trialsByCode } from "./mod.ts";
 * const session = (trialsBefore: number, commit: string) => ({
 *   type: "session" as const, startedAt: "", trialsBefore, info: { commit },
 * });
 * const spans = trialsByCode({
 *   sessions: [session(0, "902241a77b36"), session(5, "2ac6aa40cdb9 (with local changes)")],
 *   trials: Array.from({ length: 8 }, () => ({}) as never),
 * });
 * assert.deepEqual(spans.map((s) => [s.from, s.to, s.commit, s.localChanges]), [
 *   [0, 4, "902241a", false], [5, 7, "2ac6aa4", true],
 * ]);
 * ```
 */
export function trialsByCode(log: Pick<SearchLog, "sessions" | "trials">): CodeSpan[] {
  const spans: CodeSpan[] = [];
  log.sessions.forEach((s, i) => {
    const end = log.sessions[i + 1]?.trialsBefore ?? log.trials.length;
    if (end <= s.trialsBefore) return;
    const recorded = String(s.info.commit ?? "?");
    spans.push({
      from: s.trialsBefore,
      to: end - 1,
      commit: recorded === "?" ? "?" : recorded.slice(0, 7),
      localChanges: /local changes/.test(recorded),
      ...(s.info.machine ? { machine: String(s.info.machine) } : {}),
    });
  });
  return spans;
}

/** Epochs trained in all (a stopped trial counts the epochs it ran). */
export function epochsTrained(trials: readonly TrialRecord[]): number {
  return trials.reduce((sum, t) => sum + t.curve.length, 0);
}

/**
 * The best complete trial a search had once `seconds` of training were spent (its trials' own
 * seconds, summed in order); undefined before the first complete trial ended.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bestWithin, type TrialRecord } from "./mod.ts";
 * const t = (number: number, value: number, seconds: number): TrialRecord => ({
 *   type: "trial", number, seed: 0, source: "random", params: {}, state: "complete", value,
 *   curve: [value], seconds, finishedAt: "",
 * });
 * const trials = [t(0, 0.05, 100), t(1, 0.02, 500)];
 * assert.equal(bestWithin(trials, 99), undefined);
 * assert.equal(bestWithin(trials, 599)?.number, 0);
 * assert.equal(bestWithin(trials, 600)?.number, 1);
 * ```
 */
export function bestWithin(
  trials: readonly TrialRecord[],
  seconds: number,
): TrialRecord | undefined {
  let spent = 0;
  let best: TrialRecord | undefined;
  for (const t of trials) {
    spent += t.seconds;
    if (spent > seconds) break;
    if (t.state === "complete" && t.value !== null && (!best || t.value < best.value!)) best = t;
  }
  return best;
}

function spentSeconds(trials: readonly TrialRecord[]): number {
  return trials.reduce((sum, t) => sum + t.seconds, 0);
}

/**
 * Two searches at equal training time: the best complete trial (value and number) each had once
 * every `step` seconds of training were spent, and at the end of the shorter one; the lower value
 * of a row in bold, a tie in neither.
 *
 * @param a the first search
 * @param b the second
 * @param step seconds between rows; default 30 minutes
 */
export function computeRaceTable(
  a: { label: string; trials: readonly TrialRecord[] },
  b: { label: string; trials: readonly TrialRecord[] },
  step = 1800,
): string {
  const end = Math.min(spentSeconds(a.trials), spentSeconds(b.trials));
  const budgets: number[] = [];
  for (let s = step; s < end; s += step) budgets.push(s);
  budgets.push(end);
  const cell = (t: TrialRecord | undefined, other: TrialRecord | undefined) => {
    if (!t) return "—";
    const text = `${t.value!.toFixed(4)} (trial ${t.number})`;
    return other && t.value! < other.value! ? `**${text}**` : text;
  };
  return markdownTable(
    ["training time spent", `${a.label}: best val MAE`, `${b.label}: best val MAE`],
    budgets.map((s) => {
      const [ta, tb] = [bestWithin(a.trials, s), bestWithin(b.trials, s)];
      return [formatDuration(s), cell(ta, tb), cell(tb, ta)];
    }),
  );
}

/**
 * Search spaces side by side, one column of values per space (layer slots folded into one row
 * each): e.g. the space recorded in a committed log's header beside a small search's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { searchSpacesTable } from "./mod.ts";
 * const table = searchSpacesTable([
 *   { label: "wide", dimensions: { filters1: { kind: "int", low: 8, high: 256, log: true } } },
 *   { label: "narrow", dimensions: { filters1: { kind: "int", low: 4, high: 16, log: true } } },
 * ]);
 * assert.match(table, /\| filters +\| per layer +\| 8 – 256 \(log scale\) +\| 4 – 16 \(log/);
 * ```
 */
export function searchSpacesTable(
  spaces: readonly { label: string; dimensions: Readonly<Record<string, Dimension>> }[],
): string {
  const rows = new Map<string, string[]>();
  spaces.forEach(({ dimensions }, column) => {
    for (const [name, dim] of Object.entries(dimensions)) {
      const key = name.replace(/\d+$/, "");
      if (!rows.has(key)) {
        rows.set(key, [key, name === key ? "" : "per layer", ...spaces.map(() => "—")]);
      }
      const row = rows.get(key)!;
      if (row[2 + column] !== "—") continue; // the first slot stands for all
      row[2 + column] = dim.kind === "categorical"
        ? dim.choices.join(", ")
        : `${dim.low} – ${dim.high}${dim.log ? " (log scale)" : ""}`;
    }
  });
  return markdownTable(["dimension", "", ...spaces.map((s) => s.label)], [...rows.values()]);
}
