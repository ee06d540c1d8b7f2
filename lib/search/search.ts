/**
 * The search loop: propose a point, evaluate it, log it, repeat; resumable from its trial log.
 * A trial depends only on the search seed, its number and the trials before it (all logged), so a
 * resumed search ends with the same trials as one run straight through (for a deterministic
 * objective).
 *
 * @module
 */
import { Random } from "../random.ts";
import { checkParams, type Params, type SearchSpace } from "./space.ts";
import type { Proposal, Sampler } from "./sampler.ts";
import type { MedianPruner } from "./pruner.ts";
import {
  appendSearchRecord,
  openSearchLog,
  type SessionRecord,
  type TrialRecord,
} from "./trial_log.ts";

/** Thrown by {@link TrialContext.report} when the pruner stops a trial. */
export class TrialPruned extends Error {
  /** @param epoch the epoch after which the trial was stopped */
  constructor(readonly epoch: number) {
    super(`trial stopped early after epoch ${epoch}`);
    this.name = "TrialPruned";
  }
}

/** What an objective gets besides the point: the trial's identity and a way to report. */
export interface TrialContext {
  readonly number: number;
  /** Seed for the trial's own randomness (weights, batch order). */
  readonly seed: number;
  /** Records an epoch's score; throws {@link TrialPruned} to stop (never after the `last`). */
  report(score: number, options?: { last?: boolean }): void;
  /** Extra facts the objective wants logged (e.g. the parameter count). */
  readonly info: Record<string, unknown>;
}

/** Evaluates one point; resolves to its score (lower is better). */
export type Objective = (params: Params, context: TrialContext) => Promise<number>;

/** Options of {@link runSearch}. */
export interface SearchOptions {
  /** The strategy: {@link randomSampler} or {@link tpeSampler}. */
  sampler: Sampler;
  /** Trials the search holds when it ends (resumed ones included). */
  trials: number;
  /** Seed of the proposals and of each trial's own seed. */
  seed: number;
  /** Stops poor trials early; none when omitted. */
  pruner?: MedianPruner;
  /** A point evaluated first, as trial 0 (e.g. the dissertation's configuration). */
  baseline?: Params;
  /** JSON Lines file the trials are appended to as they finish. */
  logPath?: string;
  /** Continue the log at `logPath` when it exists (else an existing log is an error). */
  resume?: boolean;
  /** Objective settings (data, epochs) recorded in the log; a resumed search must match them. */
  settings?: Record<string, unknown>;
  /** Facts about this run (command, device, commit) recorded as a session line. */
  session?: Record<string, unknown>;
  /** Start no new trial once this many seconds have passed (a resumed run continues). */
  timeLimitSeconds?: number;
  /** Called before each trial is evaluated. */
  onTrialStart?: (number: number, proposal: Proposal) => void | Promise<void>;
  /** Called after each trial is logged. */
  onTrialEnd?: (trial: TrialRecord, trials: readonly TrialRecord[]) => void | Promise<void>;
}

/** What {@link runSearch} returns. */
export interface SearchResult {
  /** Every trial, resumed ones included, in order. */
  trials: TrialRecord[];
  best: TrialRecord | undefined;
  /** Trials read from the log rather than run now. */
  resumedTrials: number;
  /** Sessions recorded in the log, this one included (empty without a log). */
  sessions: SessionRecord[];
  /** True when the time limit stopped the search before `trials`. */
  stoppedForTime: boolean;
}

/**
 * Runs (or resumes) a search over `space`, minimising `objective`.
 *
 * @param objective evaluates a point; reports per-epoch scores through its context
 */
export async function runSearch(
  space: SearchSpace,
  objective: Objective,
  options: SearchOptions,
): Promise<SearchResult> {
  const started = performance.now();
  if (options.baseline) checkParams(space, options.baseline);
  const settings = JSON.parse(JSON.stringify({
    sampler: options.sampler.name,
    samplerSettings: options.sampler.settings,
    seed: options.seed,
    space: space.dimensions,
    pruner: options.pruner?.settings ?? null,
    baseline: options.baseline ?? null,
    objective: options.settings ?? {},
  }));
  const path = options.logPath;
  const { trials, sessions } = path
    ? await openSearchLog(path, settings, options)
    : { trials: [], sessions: [] };
  const resumedTrials = trials.length;
  let stoppedForTime = false;
  for (let number = trials.length; number < options.trials; number++) {
    if ((performance.now() - started) / 1000 >= (options.timeLimitSeconds ?? Infinity)) {
      stoppedForTime = true;
      break;
    }
    const seed = trialSeed(options.seed, number);
    const proposal: Proposal = number === 0 && options.baseline
      ? { params: { ...options.baseline }, source: "baseline" }
      : options.sampler.propose(space, trials, new Random(seed));
    await options.onTrialStart?.(number, proposal);
    const trial = await runTrial(objective, proposal, {
      number,
      seed,
      pruner: options.pruner,
      finished: trials.filter((t) => t.state === "complete").map((t) => t.curve),
    });
    trials.push(trial);
    if (path) await appendSearchRecord(path, trial);
    await options.onTrialEnd?.(trial, trials);
  }
  return { trials, best: bestTrial(trials), resumedTrials, sessions, stoppedForTime };
}

async function runTrial(
  objective: Objective,
  proposal: Proposal,
  setup: { number: number; seed: number; pruner?: MedianPruner; finished: number[][] },
): Promise<TrialRecord> {
  const curve: number[] = [];
  const info: Record<string, unknown> = {};
  const context: TrialContext = {
    number: setup.number,
    seed: setup.seed,
    info,
    report(score: number, options: { last?: boolean } = {}) {
      curve.push(Number.isFinite(score) ? score : NaN);
      if (!options.last && setup.pruner?.shouldPrune(curve, setup.finished)) {
        throw new TrialPruned(curve.length);
      }
    },
  };
  const started = performance.now();
  let state: TrialRecord["state"] = "complete",
    value: number | null = null,
    error: string | undefined;
  try {
    const score = await objective(proposal.params, context);
    value = Number.isFinite(score) ? score : null;
    if (value === null) [state, error] = ["failed", `objective returned ${score}`];
  } catch (e) {
    if (e instanceof TrialPruned) {
      state = "pruned";
      const finite = curve.filter(Number.isFinite);
      value = finite.length ? Math.min(...finite) : null;
    } else {
      // A point that cannot be trained (e.g. it diverges or runs out of memory) is logged, not fatal.
      [state, error] = ["failed", (e as Error)?.message ?? String(e)];
    }
  }
  return {
    type: "trial",
    number: setup.number,
    seed: setup.seed,
    source: proposal.source,
    params: proposal.params,
    state,
    value,
    curve,
    seconds: (performance.now() - started) / 1000,
    finishedAt: new Date().toISOString(),
    ...(error === undefined ? {} : { error }),
    ...(Object.keys(info).length ? { info } : {}),
  };
}

/** The complete trial with the lowest value; undefined when none completed. */
export function bestTrial(trials: readonly TrialRecord[]): TrialRecord | undefined {
  return bestWithin(trials, Infinity);
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

/** Lowest value so far after each trial (failed trials carry the previous best). */
export function bestSoFar(trials: readonly TrialRecord[]): number[] {
  let best = Infinity;
  return trials.map((t) => {
    if (t.state === "complete" && t.value !== null) best = Math.min(best, t.value);
    return best;
  });
}

/** Seed of trial `number` of a search seeded with `seed`: a hash of the two. */
export function trialSeed(seed: number, number: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(number + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}
