/**
 * What training reports: each epoch's log, and progress within an epoch with the time left.
 *
 * @module
 */

/** What one epoch did. */
export interface EpochLog {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean Huber loss over the epoch's training batches. */
  loss: number;
  /** Mean absolute error over the epoch's training batches. */
  mae: number;
  /** Huber loss on the validation set after the epoch (NaN without one). */
  valLoss: number;
  /** MAE on the validation set after the epoch (NaN without one). */
  valMae: number;
  /** Learning rate at the epoch's last step. */
  learningRate: number;
  /** Wall-clock seconds of the epoch, validation included. */
  seconds: number;
}

/** A progress report during an epoch. */
export interface TrainingProgress {
  epoch: number;
  epochs: number;
  /** Steps done in this epoch. */
  step: number;
  /** Steps per epoch. */
  steps: number;
  /** Running mean training loss of this epoch. */
  loss: number;
  /** Training samples per second since the epoch began. */
  samplesPerSecond: number;
  /** Estimated seconds until the last epoch ends. */
  secondsLeft: number;
}

/**
 * The clock of one epoch: its seconds (with those of an earlier sitting, when it was resumed
 * within), and the progress report after a step, with the rate measured since this sitting began
 * the epoch and the time left to the last epoch.
 */
export class EpochClock {
  readonly #started = performance.now();

  /**
   * @param run the run's epochs, training rows and batch size
   * @param epoch this epoch
   * @param firstStep the step this sitting began at (0, or where a checkpoint stopped)
   * @param earlierSeconds the seconds earlier sittings spent on this epoch
   */
  constructor(
    readonly run: { epochs: number; rows: number; batchSize: number; steps: number },
    readonly epoch: number,
    readonly firstStep = 0,
    readonly earlierSeconds = 0,
  ) {}

  /** Seconds spent on the epoch so far, earlier sittings included. */
  get seconds(): number {
    return this.earlierSeconds + (performance.now() - this.#started) / 1000;
  }

  /**
   * The epoch's log, from its summed training loss and absolute error, its validation (none: NaN)
   * and its last learning rate; its seconds are those spent until now.
   */
  log(
    sums: { lossSum: number; absErrorSum: number },
    validation: { loss: number; mae: number } | undefined,
    learningRate: number,
  ): EpochLog {
    const { rows } = this.run;
    return {
      epoch: this.epoch,
      loss: sums.lossSum / rows,
      mae: sums.absErrorSum / rows,
      valLoss: validation?.loss ?? NaN,
      valMae: validation?.mae ?? NaN,
      learningRate,
      seconds: this.seconds,
    };
  }

  /** The report after `done` steps, given the epoch's summed loss so far. */
  progress(done: number, lossSum: number): TrainingProgress {
    const { epochs, rows, batchSize, steps } = this.run;
    const samples = Math.min(done * batchSize, rows);
    const rate = (samples - this.firstStep * batchSize) /
      ((performance.now() - this.#started) / 1000);
    const remaining = (steps - done) * batchSize + (epochs - this.epoch) * rows;
    return {
      epoch: this.epoch,
      epochs,
      step: done,
      steps,
      loss: lossSum / samples,
      samplesPerSecond: rate,
      secondsLeft: remaining / rate,
    };
  }
}
