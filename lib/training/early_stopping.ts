/**
 * Early stopping: stop when the validation loss has not improved for a number of epochs, and
 * optionally go back to the weights of the best epoch, as Keras's `EarlyStopping` callback does.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { assign, readWeights } from "./checkpoint.ts";

/** `train()`'s early stopping settings. */
export interface EarlyStoppingOptions {
  /** Epochs without an improvement of at least `minDelta` after which training stops. */
  patience: number;
  /** Smallest fall in validation loss that counts as an improvement; default 0. */
  minDelta?: number;
  /** At the end, go back to the best epoch's weights (default true). */
  restoreBestWeights?: boolean;
}

/** What early stopping remembers between epochs (and a checkpoint keeps). */
export interface EarlyStoppingState {
  /** Lowest validation loss so far. */
  best: number;
  /** Its epoch (0: none yet). */
  bestEpoch: number;
  /** Epochs since it. */
  wait: number;
  /** Its weights, kept when they are to be restored. */
  bestWeights: Float32Array[] | null;
}

/**
 * Early stopping's state and rule. Without options it never stops and keeps nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EarlyStopping } from "./early_stopping.ts";
 * const stopping = new EarlyStopping({ patience: 2 });
 * for (const [epoch, loss] of [[1, 0.5], [2, 0.4], [3, 0.41], [4, 0.45]]) {
 *   await stopping.update(epoch, loss, []);
 * }
 * assert.equal(stopping.stopped, true);
 * assert.equal(stopping.state.bestEpoch, 2);
 * ```
 */
export class EarlyStopping {
  state: EarlyStoppingState = { best: Infinity, bestEpoch: 0, wait: 0, bestWeights: null };

  /** @param options the rule; undefined: no early stopping */
  constructor(readonly options?: EarlyStoppingOptions) {}

  /** Whether training is to stop (also true straight after resuming a run that had stopped). */
  get stopped(): boolean {
    return this.state.wait >= (this.options?.patience ?? Infinity);
  }

  /** Takes epoch `epoch`'s validation loss; keeps the weights of a new best. */
  async update(epoch: number, valLoss: number, variables: tf.Variable[]): Promise<void> {
    if (!this.options) return;
    if (valLoss < this.state.best - (this.options.minDelta ?? 0)) {
      this.state = { best: valLoss, bestEpoch: epoch, wait: 0, bestWeights: null };
      this.state.bestWeights = await readWeights(variables);
    } else {
      this.state.wait++;
    }
  }

  /**
   * Sets `variables` back to the best epoch's weights when the options ask for it; returns the
   * epoch whose weights they then hold (`lastEpoch` when nothing was restored).
   */
  restoreBest(variables: tf.Variable[], lastEpoch: number): number {
    const { bestWeights, bestEpoch } = this.state;
    if (!this.options || !(this.options.restoreBestWeights ?? true) || !bestWeights) {
      return lastEpoch;
    }
    bestWeights.forEach((a, i) => assign(variables[i], a));
    return bestEpoch;
  }
}
