/**
 * The Adamax optimiser with state that can be saved and restored.
 *
 * tfjs has Adamax, but its `getWeights`/`setWeights` are unimplemented, so a
 * run cannot be checkpointed and resumed exactly. This is the same update as
 * Keras and tfjs (Kingma & Ba 2015, section 7.1):
 *
 *   m ← β₁ m + (1 − β₁) g,   u ← max(β₂ u, |g|),   w ← w − lr / (1 − β₁ᵗ) · m / (u + ε)
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { canFuseAdamax, fusedAdamaxUpdate } from "./_webgpu_adamax.ts";

/** Hyperparameters of {@link Adamax}. */
export interface AdamaxConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /**
   * On the WebGPU backend, update each weight tensor with one fused kernel (the default) rather
   * than ten element-wise ones; the same arithmetic. Other backends ignore it.
   */
  fused: boolean;
}

/** Keras's defaults, with the dissertation's learning rate. */
export const ADAMAX_DEFAULTS: Readonly<AdamaxConfig> = Object.freeze({
  learningRate: 0.001,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
  fused: true,
});

/** Plain-array snapshot of an optimiser's state, for checkpoints. */
export interface AdamaxState {
  step: number;
  firstMoments: Float32Array[];
  infNorms: Float32Array[];
}

/** Adamax over a fixed list of variables, one moment pair per variable. */
export class Adamax {
  readonly config: AdamaxConfig;
  /** Number of updates applied so far (t). */
  step = 0;
  #m: tf.Variable[];
  #u: tf.Variable[];

  /**
   * @param variables the weights to optimise, in a fixed order
   * @param config hyperparameters; missing ones take Keras's defaults
   */
  constructor(readonly variables: tf.Variable[], config: Partial<AdamaxConfig> = {}) {
    this.config = { ...ADAMAX_DEFAULTS, ...config };
    this.#m = variables.map((v) => tf.variable(tf.zerosLike(v), false));
    this.#u = variables.map((v) => tf.variable(tf.zerosLike(v), false));
  }

  /**
   * Applies one update from `gradients` (same order as the variables).
   *
   * @param learningRate overrides the configured rate for this step (schedules)
   */
  apply(gradients: tf.Tensor[], learningRate = this.config.learningRate): void {
    const { beta1, beta2, epsilon } = this.config;
    this.step++;
    const stepSize = learningRate / (1 - Math.pow(beta1, this.step));
    if (this.config.fused && canFuseAdamax()) {
      fusedAdamaxUpdate(this.variables, this.#m, this.#u, gradients, {
        stepSize,
        beta1,
        beta2,
        epsilon,
      });
      return;
    }
    tf.tidy(() => {
      gradients.forEach((g, i) => {
        const m = this.#m[i], u = this.#u[i];
        const newM = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const newU = tf.maximum(tf.mul(u, beta2), tf.abs(g));
        m.assign(newM);
        u.assign(newU);
        this.variables[i].assign(
          tf.sub(this.variables[i], tf.mul(tf.div(newM, tf.add(newU, epsilon)), stepSize)),
        );
      });
    });
  }

  /** Copies the state to the host. */
  async getState(): Promise<AdamaxState> {
    return {
      step: this.step,
      firstMoments: await Promise.all(this.#m.map((v) => v.data() as Promise<Float32Array>)),
      infNorms: await Promise.all(this.#u.map((v) => v.data() as Promise<Float32Array>)),
    };
  }

  /** Restores a state saved by {@link Adamax.getState}. */
  setState(state: AdamaxState): void {
    const check = (arrays: Float32Array[], what: string) => {
      if (arrays.length !== this.variables.length) {
        throw new RangeError(
          `${what}: ${arrays.length} arrays for ${this.variables.length} weights`,
        );
      }
      arrays.forEach((a, i) => {
        if (a.length !== this.variables[i].size) {
          throw new RangeError(`${what} ${i}: ${a.length} values for ${this.variables[i].size}`);
        }
      });
    };
    check(state.firstMoments, "first moments");
    check(state.infNorms, "infinity norms");
    this.step = state.step;
    state.firstMoments.forEach((a, i) => this.#m[i].assign(tf.tensor(a, this.#m[i].shape)));
    state.infNorms.forEach((a, i) => this.#u[i].assign(tf.tensor(a, this.#u[i].shape)));
  }

  /** Frees the moment tensors. */
  dispose(): void {
    tf.dispose([...this.#m, ...this.#u]);
  }
}
