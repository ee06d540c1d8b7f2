/**
 * What every optimiser of `lib/optimizers/optimizers.ts` shares: the interface `train()`
 * uses and slot variables (moments, velocities) that copy to and from the host
 * for checkpoints.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** Names of the optimisers `createOptimizer` builds. */
export const OPTIMIZERS = ["adamax", "adam", "sgd"] as const;

/** One of {@link OPTIMIZERS}. */
export type OptimizerName = typeof OPTIMIZERS[number];

/** Plain-array snapshot of an optimiser's state: its step and each slot, one array per weight. */
export interface OptimizerState {
  step: number;
  /** Slot variables by slot, then by weight (Adamax and Adam: two slots; SGD: one). */
  slots: Float32Array[][];
}

/** What `train()` needs of an optimiser. */
export interface Optimizer {
  readonly name: OptimizerName;
  /** Updates applied so far (t). */
  readonly step: number;
  /** Applies one update from `gradients` (same order as the variables). */
  apply(gradients: tf.Tensor[], learningRate?: number): void;
  /** Copies the state to the host. */
  getState(): Promise<OptimizerState>;
  /** Restores a state from {@link Optimizer.getState}; throws on a shape mismatch. */
  setState(state: OptimizerState): void;
  /** Frees the slot variables. */
  dispose(): void;
}

/** An optimiser whose state is `nSlots` variables shaped like each weight, plus a step count. */
export abstract class SlotOptimizer implements Optimizer {
  abstract readonly name: OptimizerName;
  step = 0;
  /** Slot variables by slot, then by weight, zero at the start. */
  protected readonly slots: tf.Variable[][];

  constructor(readonly variables: tf.Variable[], nSlots: number) {
    this.slots = Array.from(
      { length: nSlots },
      () => variables.map((v) => tf.variable(tf.zerosLike(v), false)),
    );
  }

  abstract apply(gradients: tf.Tensor[], learningRate?: number): void;

  async getState(): Promise<OptimizerState> {
    return {
      step: this.step,
      slots: await Promise.all(
        this.slots.map((slot) => Promise.all(slot.map((v) => v.data() as Promise<Float32Array>))),
      ),
    };
  }

  setState(state: OptimizerState): void {
    const what = `${this.name} state`;
    if (state.slots.length !== this.slots.length) {
      throw new RangeError(
        `${what}: ${state.slots.length} slots, expected ${this.slots.length} per weight`,
      );
    }
    state.slots.forEach((slot, s) => {
      if (slot.length !== this.variables.length) {
        throw new RangeError(
          `${what}, slot ${s}: ${slot.length} arrays for ${this.variables.length} weights`,
        );
      }
      slot.forEach((a, i) => {
        if (a.length !== this.variables[i].size) {
          throw new RangeError(
            `${what}, slot ${s}, weight ${i}: ${a.length} values for ${this.variables[i].size}`,
          );
        }
      });
    });
    this.step = state.step;
    state.slots.forEach((slot, s) =>
      slot.forEach((a, i) => this.slots[s][i].assign(tf.tensor(a, this.variables[i].shape)))
    );
  }

  dispose(): void {
    tf.dispose(this.slots.flat());
  }
}
