/**
 * Checkpoints of a training run: the weights, the optimiser's slots, the history and the early
 * stopping state, written atomically at the end of every epoch (and within one, every few
 * minutes), so that a run resumed from its checkpoint ends where an uninterrupted one does.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Optimizer } from "../optimizers/optimizers.ts";
import { decodeTensorFile, encodeTensorFile } from "../_tensor_file.ts";
import { writeFileAtomic } from "../_atomic.ts";
import type { EarlyStopping } from "./early_stopping.ts";
import type { EpochClock, EpochLog } from "./progress.ts";

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
 * Checks, without a model, that the checkpoint at `path` (if there is one) is intact: readable,
 * of this version, its checksum right. Tools call it before loading data.
 */
export async function verifyCheckpoint(path: string): Promise<boolean> {
  return await readCheckpointFile(path) !== null;
}

/** An epoch stopped after `step` steps: its running sums, rate and seconds so far. */
interface PartialEpoch {
  epoch: number;
  step: number;
  lossSum: number;
  maeSum: number;
  learningRate: number;
  seconds: number;
}

/**
 * Writes and reads one run's checkpoint. The run is named by `fingerprint`, the recipe and data
 * sizes (see `resolveOptions` in `options.ts`): a checkpoint of another run is refused.
 */
export class Checkpointer {
  #lastWrite = performance.now();
  /** Sittings the run took: 1, plus one for each resumption from the checkpoint. */
  sittings = 1;

  /**
   * @param run the file (null: none is written or read), the run's recipe and data sizes, and how
   * often to write within an epoch (once this many seconds have passed since the last write)
   */
  constructor(
    readonly run: {
      checkpointPath: string | null;
      fingerprint: string;
      checkpointEverySeconds: number;
    },
    readonly variables: tf.Variable[],
    readonly optimizer: Optimizer,
    readonly stopping: EarlyStopping,
  ) {}

  /**
   * Restores weights, optimiser and early stopping from the checkpoint, if there is one; returns
   * its history (empty without one) and where an epoch stopped, if it was written within one.
   */
  async resume(): Promise<{ history: EpochLog[]; partial: PartialEpoch | null }> {
    const path = this.run.checkpointPath;
    const decoded = path ? await readCheckpointFile(path) : null;
    if (!path || !decoded) return { history: [], partial: null };
    const h = decoded.header as Record<string, unknown> & { groups: number[] };
    if (h.fingerprint !== this.run.fingerprint) {
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
    a.slice(0, nw).forEach((w, i) => assign(this.variables[i], w));
    this.optimizer.setState({
      step: h.optimizerStep as number,
      slots: slotCounts.map((_, s) => a.slice(nw * (1 + s), nw * (2 + s))),
    });
    this.stopping.state = {
      best: stopping.best ?? Infinity, // JSON turns Infinity into null
      bestEpoch: stopping.bestEpoch,
      wait: stopping.wait,
      bestWeights: nBest ? a.slice(slotsEnd) : null,
    };
    // checkpoints written before sittings were recorded: 1
    this.sittings = (typeof h.sittings === "number" ? h.sittings : 1) + 1;
    return {
      history: h.history as EpochLog[],
      partial: (h.partial ?? null) as PartialEpoch | null,
    };
  }

  /** Whether a write within an epoch is due after `done` of `steps` steps. */
  dueWithin(done: number, steps: number): boolean {
    return this.run.checkpointPath !== null && done < steps &&
      (performance.now() - this.#lastWrite) / 1000 >= this.run.checkpointEverySeconds;
  }

  /**
   * Writes the checkpoint within `clock`'s epoch, after its step `done`, when one is due: with the
   * epoch's running `sums` so far, so that a resumed run goes on from that step.
   */
  async saveWithin(
    history: EpochLog[],
    clock: EpochClock,
    done: number,
    learningRate: number,
    sums: () => Promise<{ lossSum: number; absErrorSum: number }>,
  ): Promise<void> {
    if (!this.dueWithin(done, clock.run.steps)) return;
    const { lossSum, absErrorSum: maeSum } = await sums();
    const { epoch, seconds } = clock;
    await this.save(history, { epoch, step: done, lossSum, maeSum, learningRate, seconds });
  }

  /** Writes the checkpoint (`partial`: the epoch in progress, or null at an epoch's end). */
  async save(history: EpochLog[], partial: PartialEpoch | null): Promise<void> {
    if (!this.run.checkpointPath) return;
    const weights = await readWeights(this.variables);
    const optimizer = await this.optimizer.getState();
    const { best, bestEpoch, wait, bestWeights } = this.stopping.state;
    const header = {
      version: CHECKPOINT_VERSION,
      fingerprint: this.run.fingerprint,
      history,
      stopping: { best, bestEpoch, wait },
      optimizerStep: optimizer.step,
      sittings: this.sittings,
      partial,
      // array counts: weights, each optimiser slot, best weights
      groups: [weights.length, ...optimizer.slots.map((s) => s.length), bestWeights?.length ?? 0],
    };
    const arrays = [...weights, ...optimizer.slots.flat(), ...(bestWeights ?? [])];
    await writeFileAtomic(this.run.checkpointPath, encodeTensorFile(header, arrays));
    this.#lastWrite = performance.now();
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
