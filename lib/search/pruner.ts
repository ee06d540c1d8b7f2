/**
 * Early stopping of poor trials: the median stopping rule (Golovin et al. 2017, Google Vizier;
 * Optuna's `MedianPruner`). After the warm-up, a trial whose best score so far is worse than the
 * median of what the finished trials had reached by the same epoch is stopped: it rarely catches
 * up, and its remaining epochs are better spent on a new point.
 *
 * @module
 */

/** Options of {@link MedianPruner}. */
export interface MedianPrunerOptions {
  /** Finished trials needed before any trial is stopped; default 3. */
  startupTrials?: number;
  /** Epochs before the rule applies: it is first checked after epoch `warmupSteps + 1`; default 1. */
  warmupSteps?: number;
}

/** The median stopping rule. */
export class MedianPruner {
  readonly startupTrials: number;
  readonly warmupSteps: number;

  constructor(options: MedianPrunerOptions = {}) {
    this.startupTrials = options.startupTrials ?? 3;
    this.warmupSteps = options.warmupSteps ?? 1;
  }

  /**
   * True when the trial with scores `curve` (one per epoch so far, lower is better) should stop,
   * given the curves of the trials that ran to the end (not stopped).
   */
  shouldPrune(curve: readonly number[], finished: readonly (readonly number[])[]): boolean {
    const step = curve.length;
    if (step <= this.warmupSteps) return false;
    const atStep = finished.filter((c) => c.length >= step).map((c) => bestOf(c.slice(0, step)));
    if (atStep.length < this.startupTrials) return false;
    return !(bestOf(curve) <= median(atStep)); // NaN scores are pruned too
  }

  /** Settings recorded in the trial log. */
  get settings(): Record<string, unknown> {
    return { rule: "median", startupTrials: this.startupTrials, warmupSteps: this.warmupSteps };
  }
}

function bestOf(values: readonly number[]): number {
  const scored = values.filter((v) => !Number.isNaN(v));
  return scored.length ? Math.min(...scored) : NaN;
}

function median(values: number[]): number {
  const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (s.length === 0) return Infinity;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
