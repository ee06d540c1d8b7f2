/**
 * Tables of a search for notebooks and the terminal: the trials, the best
 * point beside a baseline, and the sessions (commands, devices, wall times).
 *
 * @module
 */
import { markdownTable } from "../tables.ts";
import type { ModelConfig } from "../model.ts";
import { OPTIMIZER_LABELS } from "../optimizers/optimizers.ts";
import { describeTrialConfig, paramsToTrialConfig } from "./cnn_space.ts";
import type { SearchLog, TrialRecord } from "./trial_log.ts";
import { bestSoFar } from "./search.ts";
import type { SearchSpace } from "./space.ts";

/**
 * One row per trial: who proposed it, the network, learning rate, batch, δ, how it ended, its score.
 *
 * @param trials the trials, in order
 * @param options the base model fields (input length) used to decode each point
 */
export function searchTrialsTable(
  trials: readonly TrialRecord[],
  options: { base?: Partial<ModelConfig> } = {},
): string {
  return markdownTable(
    [
      "trial",
      "proposed by",
      "network",
      "optimiser",
      "lr",
      "batch",
      "loss",
      "epochs",
      "state",
      "val MAE",
      "s",
    ],
    trials.map((t) => {
      const c = paramsToTrialConfig(t.params, options.base);
      return [
        t.number,
        t.source,
        describeTrialConfig(c),
        OPTIMIZER_LABELS[c.optimizer],
        c.learningRate.toExponential(1),
        c.batchSize,
        c.loss === "huber" ? `Huber δ ${c.huberDelta.toPrecision(2)}` : c.loss.toUpperCase(),
        t.curve.length,
        t.state,
        t.value === null ? "—" : t.value.toFixed(4),
        t.seconds.toFixed(1),
      ];
    }),
  );
}

/**
 * The best trial's point beside another's (e.g. the baseline, the dissertation's), dimension by dimension.
 *
 * @param best the trial shown first
 * @param other the trial it is compared with
 * @param labels column headers of the two; default "best found" and "baseline"
 */
export function compareTrialsTable(
  best: TrialRecord,
  other: TrialRecord,
  labels: [string, string] = ["best found", "baseline"],
): string {
  const a = paramsToTrialConfig(best.params).model, b = paramsToTrialConfig(other.params).model;
  const row = (name: string, f: (m: ModelConfig, t: TrialRecord) => string | number) => [
    name,
    String(f(a, best)),
    String(f(b, other)),
  ];
  return markdownTable(["", ...labels], [
    row("convolution layers", (m) => m.convFilters.length),
    row("filters", (m) => m.convFilters.join(", ")),
    row("kernel sizes", (m) => m.kernelSizes.join(", ")),
    row("dense layers", (m) => m.denseUnits.length),
    row("units", (m) => m.denseUnits.join(", ")),
    row("activation", (m) => m.activation),
    row("optimiser", (_, t) => OPTIMIZER_LABELS[paramsToTrialConfig(t.params).optimizer]),
    row("learning rate", (_, t) => paramsToTrialConfig(t.params).learningRate.toPrecision(2)),
    row("batch size", (_, t) => String(t.params.batchSize)),
    row("loss", (_, t) => {
      const { loss, huberDelta } = paramsToTrialConfig(t.params);
      return loss === "huber" ? `Huber, δ ${huberDelta.toPrecision(2)}` : loss.toUpperCase();
    }),
    row("parameters", (_, t) => Number(t.info?.parameters ?? NaN).toLocaleString("en")),
    row("validation MAE", (_, t) => (t.value === null ? "—" : t.value.toFixed(4))),
  ]);
}

/** One row per session of a log: when, the command, the device, trials run and their wall time. */
export function searchSessionsTable(log: Pick<SearchLog, "sessions" | "trials">): string {
  return markdownTable(
    ["started", "command", "device", "trials", "wall time"],
    log.sessions.map((s, i) => {
      const end = log.sessions[i + 1]?.trialsBefore ?? log.trials.length;
      const run = log.trials.slice(s.trialsBefore, end);
      const seconds = run.reduce((sum, t) => sum + t.seconds, 0);
      return [
        s.startedAt.replace("T", " ").slice(0, 16),
        "`" + String(s.info.command ?? "?") + "`",
        [s.info.device ?? s.info.backend ?? "?", s.info.machine].filter(Boolean).join(", "),
        `${s.trialsBefore}–${end - 1}`,
        formatSeconds(seconds),
      ];
    }),
  );
}

/**
 * Two searches at equal trials: the best validation MAE of a complete trial that each had reached
 * after every `every` trials, and after the last trial both have run; the lower one is marked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { searchRaceTable, type TrialRecord } from "./mod.ts";
 * const trial = (number: number, value: number): TrialRecord => ({
 *   type: "trial", number, seed: 0, source: "random", params: {}, state: "complete", value,
 *   curve: [value], seconds: 1, finishedAt: "",
 * });
 * const table = searchRaceTable(
 *   { label: "TPE", trials: [trial(0, 0.05), trial(1, 0.03)] },
 *   { label: "random", trials: [trial(0, 0.05), trial(1, 0.04), trial(2, 0.02)] },
 *   1,
 * );
 * assert.match(table, /\| 2 +\| \*\*0\.0300\*\* +\| 0\.0400 +\|/);
 * ```
 */
export function searchRaceTable(
  a: { label: string; trials: readonly TrialRecord[] },
  b: { label: string; trials: readonly TrialRecord[] },
  every = 5,
): string {
  const n = Math.min(a.trials.length, b.trials.length);
  const counts = [];
  for (let k = every; k < n; k += every) counts.push(k);
  if (n > 0) counts.push(n);
  const [bestA, bestB] = [bestSoFar(a.trials), bestSoFar(b.trials)];
  const cell = (v: number, other: number) =>
    !Number.isFinite(v) ? "—" : v < other ? `**${v.toFixed(4)}**` : v.toFixed(4);
  return markdownTable(
    ["trials", `${a.label}: best val MAE`, `${b.label}: best val MAE`],
    counts.map((k) => {
      const [va, vb] = [bestA[k - 1], bestB[k - 1]];
      return [k, cell(va, vb), cell(vb, va)];
    }),
  );
}

/** Trials by state and the summed wall time of a log. */
export function summarizeSearch(trials: readonly TrialRecord[]): {
  complete: number;
  pruned: number;
  failed: number;
  seconds: number;
} {
  const count = (s: TrialRecord["state"]) => trials.filter((t) => t.state === s).length;
  return {
    complete: count("complete"),
    pruned: count("pruned"),
    failed: count("failed"),
    seconds: trials.reduce((sum, t) => sum + t.seconds, 0),
  };
}

function formatSeconds(seconds: number): string {
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)} h`;
  if (seconds >= 60) return `${(seconds / 60).toFixed(1)} min`;
  return `${seconds.toFixed(0)} s`;
}

/**
 * One row per dimension of a space: its kind and range (layer slots folded into one row each).
 *
 * @param space the space to describe
 */
export function searchSpaceTable(space: SearchSpace): string {
  const rows = new Map<string, string[]>();
  for (const [name, dim] of Object.entries(space.dimensions)) {
    const key = name.replace(/\d+$/, "");
    const slots = name === key ? "" : "per layer";
    const range = dim.kind === "categorical"
      ? dim.choices.join(", ")
      : `${dim.low} – ${dim.high}${dim.log ? " (log scale)" : ""}`;
    if (!rows.has(key)) {
      rows.set(key, [key, dim.kind === "categorical" ? "category" : dim.kind, range, slots]);
    }
  }
  return markdownTable(["dimension", "kind", "values", ""], [...rows.values()]);
}
