// An append-only typed array, for values that arrive chunk by chunk: a file read into memory
// (lib/data/load.ts) and a catalogue's predictions (lib/catalogue/predict.ts).

/** An append-only typed array of rows of `width` values that doubles as it fills. */
export class Growable<T extends Float32Array | Float64Array | Uint8Array> {
  #data: T;
  #n = 0;
  constructor(readonly type: { new (n: number): T }, readonly width = 1) {
    this.#data = new type(1024 * width);
  }
  /** Rows held. */
  get length(): number {
    return this.#n / this.width;
  }
  /** Appends `values`; when `expectedRows` rows are expected, grows to them rather than doubling. */
  push(values: ArrayLike<number>, expectedRows = 0): void {
    if (this.#n + values.length > this.#data.length) {
      const wanted = Math.max(2 * this.#data.length, this.#n + values.length);
      // Near the estimated size, grow to it (plus a little) rather than doubling.
      const estimate = Math.ceil(expectedRows * 1.02) * this.width;
      const next = new this.type(estimate > this.#n + values.length ? estimate : wanted);
      next.set(this.#data.subarray(0, this.#n));
      this.#data = next;
    }
    this.#data.set(values, this.#n);
    this.#n += values.length;
  }
  /** The values, a view that the next push may leave behind. */
  view(): T {
    return this.#data.subarray(0, this.#n) as T;
  }
  /** The values, in an array of exactly their length. */
  take(): T {
    return this.#n === this.#data.length ? this.#data : this.#data.slice(0, this.#n) as T;
  }
}
