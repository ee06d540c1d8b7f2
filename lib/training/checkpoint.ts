/**
 * Checkpoints of a training run: the weights, the optimiser's slots, the history and the early
 * stopping state, written atomically at the end of every epoch (and within one, every few
 * minutes), so that a run resumed from its checkpoint ends where an uninterrupted one does.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Optimizer, OptimizerState } from "../optimizers/optimizers.ts";
import { decodeTensorFile, encodeTensorFile } from "../_tensor_file.ts";
import { writeFileAtomic } from "../_atomic.ts";
import type { EarlyStopping, EarlyStoppingState } from "./early_stopping.ts";
import type { EpochLog } from "./progress.ts";

// 2: any optimiser's slots (version 1 held Adamax's two).
const CHECKPOINT_VERSION = 2;

/** A checkpoint file that cannot be resumed from: damaged, of another version, or of another run. */
export class CheckpointError extends Error {
  /**
   * @param file the checkpoint's path
   * @param message what is wrong
   */
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "CheckpointError";
  }
}

/**
 * Checks, without a model, that the checkpoint at `path` (if there is one) is
 * intact: readable, of this version, its checksum right. Tools call it before
 * loading data, so a damaged file is reported at once.
 */
export async function verifyCheckpoint(path: string): Promise<boolean> {
  return await readCheckpointFile(path) !== null;
}

/** An epoch stopped after `step` steps: its running sums, rate and seconds so far. */
export interface PartialEpoch {
  epoch: number;
  step: number;
  lossSum: number;
  maeSum: number;
  learningRate: number;
  seconds: number;
}

/** What a run takes from its checkpoint when it resumes (an empty history when there is none). */
export interface Resumed {
  history: EpochLog[];
  /** Where an epoch stopped, when the checkpoint was written within it. */
  partial: PartialEpoch | null;
}

/**
 * Writes and reads one run's checkpoint. The run is named by `fingerprint`, the recipe and data
 * sizes (see `fingerprintOf` in `options.ts`): a checkpoint of another run is refused.
 */
export class Checkpointer {
  #lastWrite = performance.now();
  /** Sittings the run took: 1, plus one for each resumption from the checkpoint. */
  sittings = 1;

  readonly path: string | null;
  readonly fingerprint: string;
  readonly everySeconds: number;

  /**
   * @param run the file (null: none is written or read), the run's recipe and data sizes, and how
   * often to write within an epoch (once this many seconds have passed since the last write)
   */
  constructor(
    run: { checkpointPath: string | null; fingerprint: string; checkpointEverySeconds: number },
    readonly variables: tf.Variable[],
    readonly optimizer: Optimizer,
    readonly stopping: EarlyStopping,
  ) {
    this.path = run.checkpointPath;
    this.fingerprint = run.fingerprint;
    this.everySeconds = run.checkpointEverySeconds;
  }

  /** Restores weights, optimiser and early stopping from the checkpoint, if there is one. */
  async resume(): Promise<Resumed> {
    const saved = this.path ? await this.#read(this.path) : null;
    if (!saved) return { history: [], partial: null };
    saved.weights.forEach((a, i) => assign(this.variables[i], a));
    this.optimizer.setState(saved.optimizer);
    this.stopping.state = saved.stopping;
    this.sittings = saved.sittings + 1;
    return { history: saved.history, partial: saved.partial };
  }

  /** Whether a write within an epoch is due after `done` of `steps` steps. */
  dueWithin(done: number, steps: number): boolean {
    return this.path !== null && done < steps &&
      (performance.now() - this.#lastWrite) / 1000 >= this.everySeconds;
  }

  /** Writes the checkpoint (`partial`: the epoch in progress, or null at an epoch's end). */
  async save(history: EpochLog[], partial: PartialEpoch | null): Promise<void> {
    if (!this.path) return;
    const weights = await readWeights(this.variables);
    const optimizer = await this.optimizer.getState();
    const { best, bestEpoch, wait, bestWeights } = this.stopping.state;
    const header = {
      version: CHECKPOINT_VERSION,
      fingerprint: this.fingerprint,
      history,
      stopping: { best, bestEpoch, wait },
      optimizerStep: optimizer.step,
      sittings: this.sittings,
      partial,
      // array counts: weights, each optimiser slot, best weights
      groups: [weights.length, ...optimizer.slots.map((s) => s.length), bestWeights?.length ?? 0],
    };
    const arrays = [...weights, ...optimizer.slots.flat(), ...(bestWeights ?? [])];
    await writeFileAtomic(this.path, encodeTensorFile(header, arrays));
    this.#lastWrite = performance.now();
  }

  async #read(path: string) {
    const decoded = await readCheckpointFile(path);
    if (decoded === null) return null;
    const h = decoded.header as Record<string, unknown> & { groups: number[] };
    if (h.fingerprint !== this.fingerprint) {
      throw new CheckpointError(
        path,
        "written by a different run (model, data sizes or options differ); " +
          "delete it or choose another checkpoint path",
      );
    }
    const nWeights = this.variables.length;
    const [nw, ...rest] = h.groups;
    const slotCounts = rest.slice(0, -1), nBest = rest[rest.length - 1];
    if (nw !== nWeights || slotCounts.some((n) => n !== nWeights)) {
      throw new CheckpointError(path, `checkpoint holds ${nw} weights, the model has ${nWeights}`);
    }
    const a = decoded.arrays;
    const slotsEnd = nw * (1 + slotCounts.length);
    const stopping = h.stopping as { best: number | null; bestEpoch: number; wait: number };
    return {
      history: h.history as EpochLog[],
      stopping: {
        best: stopping.best ?? Infinity, // JSON turns Infinity into null
        bestEpoch: stopping.bestEpoch,
        wait: stopping.wait,
        bestWeights: nBest ? a.slice(slotsEnd) : null,
      } satisfies EarlyStoppingState,
      weights: a.slice(0, nw),
      optimizer: {
        step: h.optimizerStep as number,
        slots: slotCounts.map((_, s) => a.slice(nw * (1 + s), nw * (2 + s))),
      } satisfies OptimizerState,
      // checkpoints written before sittings were recorded: 1
      sittings: typeof h.sittings === "number" ? h.sittings : 1,
      partial: (h.partial ?? null) as PartialEpoch | null,
    };
  }
}

/** The values of `variables`, copied to the host. */
export async function readWeights(variables: tf.Variable[]): Promise<Float32Array[]> {
  return await Promise.all(variables.map((v) => v.data() as Promise<Float32Array>));
}

/** Sets `variable` to `values`. */
export function assign(variable: tf.Variable, values: Float32Array): void {
  variable.assign(tf.tensor(values, variable.shape));
}

async function readCheckpointFile(
  path: string,
): Promise<ReturnType<typeof decodeTensorFile> | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new CheckpointError(path, `cannot read: ${(e as Error).message}`);
  }
  let decoded;
  try {
    decoded = decodeTensorFile(bytes);
  } catch (e) {
    throw new CheckpointError(path, `${(e as Error).message}; delete it to start afresh`);
  }
  if (decoded.header.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(
      path,
      `checkpoint version ${decoded.header.version}, expected ${CHECKPOINT_VERSION}`,
    );
  }
  return decoded;
}
