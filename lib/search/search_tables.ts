/**
 * Tables of a search (trials, best beside baseline, sessions, two searches raced) and the facts of
 * committed logs that a page quotes (trial times, which code made which trials, shared trials).
 *
 * @module
 */
import { formatDuration, markdownTable } from "../tables.ts";
import { OPTIMIZER_LABELS } from "../optimizers/optimizers.ts";
import type { ModelConfig } from "../model.ts";
import { type CnnTrialConfig, describeTrialConfig, paramsToTrialConfig } from "./cnn_space.ts";
import type { SearchLog, TrialRecord } from "./trial_log.ts";
import { bestSoFar, bestWithin } from "./search.ts";
import type { Dimension } from "./space.ts";

/** A search as one side of a race table. */
type RaceSide = { label: string; trials: readonly TrialRecord[] };

/** The loss of a point: `Huber δ 0.01` (`Huber, δ 0.01` with `comma`), `MSE`, `MAE`. */
function lossText(c: CnnTrialConfig, comma = ""): string {
  return c.loss === "huber"
    ? `Huber${comma} δ ${c.huberDelta.toPrecision(2)}`
    : c.loss.toUpperCase();
}

/** A trial's score to 4 decimals, "—" when it failed. */
function valueText(t: TrialRecord): string {
  return t.value === null ? "—" : t.value.toFixed(4);
}

/**
 * One row per trial: who proposed it, the network, optimiser, learning rate, batch, loss, how it
 * ended, its score.
 *
 * @param options the base model fields (input length) used to decode each point
 */
export function searchTrialsTable(
  trials: readonly TrialRecord[],
  options: { base?: Partial<ModelConfig> } = {},
): string {
  const columns: [string, (t: TrialRecord, c: CnnTrialConfig) => string | number][] = [
    ["trial", (t) => t.number],
    ["proposed by", (t) => t.source],
    ["network", (_, c) => describeTrialConfig(c)],
    ["optimiser", (_, c) => OPTIMIZER_LABELS[c.optimizer]],
    ["lr", (_, c) => c.learningRate.toExponential(1)],
    ["batch", (_, c) => c.batchSize],
    ["loss", (_, c) => lossText(c)],
    ["epochs", (t) => t.curve.length],
    ["state", (t) => t.state],
    ["val MAE", (t) => valueText(t)],
    ["s", (t) => t.seconds.toFixed(1)],
  ];
  return markdownTable(
    columns.map(([name]) => name),
    trials.map((t) => {
      const c = paramsToTrialConfig(t.params, options.base);
      return columns.map(([, cell]) => cell(t, c));
    }),
  );
}

/**
 * The best trial's point beside another's (e.g. the baseline, the dissertation's), dimension by dimension.
 *
 * @param labels column headers of the two; default "best found" and "baseline"
 */
export function compareTrialsTable(
  best: TrialRecord,
  other: TrialRecord,
  labels: [string, string] = ["best found", "baseline"],
): string {
  const [a, b] = [best, other].map((t) => [paramsToTrialConfig(t.params), t] as const);
  const row = (name: string, f: (c: CnnTrialConfig, t: TrialRecord) => string | number) => [
    name,
    String(f(...a)),
    String(f(...b)),
  ];
  return markdownTable(["", ...labels], [
    row("convolution layers", (c) => c.model.convFilters.length),
    row("filters", (c) => c.model.convFilters.join(", ")),
    row("kernel sizes", (c) => c.model.kernelSizes.join(", ")),
    row("dense layers", (c) => c.model.denseUnits.length),
    row("units", (c) => c.model.denseUnits.join(", ")),
    row("activation", (c) => c.model.activation),
    row("optimiser", (c) => OPTIMIZER_LABELS[c.optimizer]),
    row("learning rate", (c) => c.learningRate.toPrecision(2)),
    row("batch size", (_, t) => String(t.params.batchSize)),
    row("loss", (c) => lossText(c, ",")),
    row("parameters", (_, t) => Number(t.info?.parameters ?? NaN).toLocaleString("en")),
    row("validation MAE", (_, t) => valueText(t)),
  ]);
}

/** The trial number after the last one that session `i` of `log` ran. */
function sessionEnd(log: Pick<SearchLog, "sessions" | "trials">, i: number): number {
  return log.sessions[i + 1]?.trialsBefore ?? log.trials.length;
}

/** Seconds the trials took, summed. */
function spentSeconds(trials: readonly TrialRecord[]): number {
  return trials.reduce((sum, t) => sum + t.seconds, 0);
}

/** One row per session of a log: when, the command, the device, trials run and their wall time. */
export function searchSessionsTable(log: Pick<SearchLog, "sessions" | "trials">): string {
  return markdownTable(
    ["started", "command", "device", "trials", "wall time"],
    log.sessions.map((s, i) => {
      const end = sessionEnd(log, i);
      return [
        s.startedAt.replace("T", " ").slice(0, 16),
        "`" + String(s.info.command ?? "?") + "`",
        [s.info.device ?? s.info.backend ?? "?", s.info.machine].filter(Boolean).join(", "),
        `${s.trialsBefore}–${end - 1}`,
        formatSeconds(spentSeconds(log.trials.slice(s.trialsBefore, end))),
      ];
    }),
  );
}

function formatSeconds(seconds: number): string {
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)} h`;
  if (seconds >= 60) return `${(seconds / 60).toFixed(1)} min`;
  return `${seconds.toFixed(0)} s`;
}

/** `step`, 2 `step`, … below `end`, then `end`. */
function marks(step: number, end: number): number[] {
  const out: number[] = [];
  for (let s = step; s < end; s += step) out.push(s);
  return [...out, end];
}

/** The header of a race table: the column of marks, then each search's best val MAE by then. */
function raceHeader(column: string, a: RaceSide, b: RaceSide): string[] {
  return [column, `${a.label}: best val MAE`, `${b.label}: best val MAE`];
}

/** `text` in bold when `lower`. */
function bold(text: string, lower: boolean): string {
  return lower ? `**${text}**` : text;
}

/**
 * Two searches at equal trials: the best validation MAE of a complete trial that each had reached
 * after every `every` trials, and after the last trial both have run; the lower one is marked.
 */
export function searchRaceTable(a: RaceSide, b: RaceSide, every = 5): string {
  const n = Math.min(a.trials.length, b.trials.length);
  const [bestA, bestB] = [bestSoFar(a.trials), bestSoFar(b.trials)];
  const cell = (v: number, other: number) =>
    Number.isFinite(v) ? bold(v.toFixed(4), v < other) : "—";
  return markdownTable(
    raceHeader("trials", a, b),
    (n > 0 ? marks(every, n) : []).map((k) => {
      const [va, vb] = [bestA[k - 1], bestB[k - 1]];
      return [k, cell(va, vb), cell(vb, va)];
    }),
  );
}

/**
 * Two searches at equal training time: the best complete trial (value and number) each had once
 * every `step` seconds of training were spent, and at the end of the shorter one; the lower value
 * of a row in bold, a tie in neither.
 *
 * @param step seconds between rows; default 30 minutes
 */
export function computeRaceTable(a: RaceSide, b: RaceSide, step = 1800): string {
  const end = Math.min(spentSeconds(a.trials), spentSeconds(b.trials));
  const cell = (t: TrialRecord | undefined, other: TrialRecord | undefined) =>
    t ? bold(`${t.value!.toFixed(4)} (trial ${t.number})`, t.value! < (other?.value ?? NaN)) : "—";
  return markdownTable(
    raceHeader("training time spent", a, b),
    marks(step, end).map((s) => {
      const [ta, tb] = [bestWithin(a.trials, s), bestWithin(b.trials, s)];
      return [formatDuration(s), cell(ta, tb), cell(tb, ta)];
    }),
  );
}

/** Trials by state and the summed wall time of a log. */
export function summarizeSearch(
  trials: readonly TrialRecord[],
): Record<TrialRecord["state"] | "seconds", number> {
  const count = (s: TrialRecord["state"]) => trials.filter((t) => t.state === s).length;
  return {
    complete: count("complete"),
    pruned: count("pruned"),
    failed: count("failed"),
    seconds: spentSeconds(trials),
  };
}

/** A trial and the label of its log. */
export interface LabelledTrial {
  label: string;
  trial: TrialRecord;
}

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

/** One trial that two logs share: the same number, seed and point, scored in each. */
export interface SharedTrial {
  number: number;
  /** Its score in the first log and in the second. */
  a: number;
  b: number;
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
export function sharedTrials(a: readonly TrialRecord[], b: readonly TrialRecord[]): SharedTrial[] {
  return a.flatMap((ta) => {
    const tb = b.find((t) => t.number === ta.number);
    if (!tb || tb.seed !== ta.seed || !samePoint(ta.params, tb.params)) return [];
    if (ta.value === null || tb.value === null) return [];
    return [{ number: ta.number, a: ta.value, b: tb.value, gap: Math.abs(ta.value - tb.value) }];
  });
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
  return log.sessions.flatMap((s, i) => {
    const end = sessionEnd(log, i);
    if (end <= s.trialsBefore) return [];
    const recorded = String(s.info.commit ?? "?");
    return [{
      from: s.trialsBefore,
      to: end - 1,
      commit: recorded.slice(0, 7),
      localChanges: /local changes/.test(recorded),
      ...(s.info.machine ? { machine: String(s.info.machine) } : {}),
    }];
  });
}

/** Epochs trained in all (a stopped trial counts the epochs it ran). */
export function epochsTrained(trials: readonly TrialRecord[]): number {
  return trials.reduce((sum, t) => sum + t.curve.length, 0);
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
