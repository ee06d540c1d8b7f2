/**
 * What an element-wise kernel of `cpu-blas` could gain in this runtime, on the ReLU loop over conv
 * layer 1's activations at batch 16 (16 × 182 × 256 floats, signs a coin toss): other forms of the
 * loop on one thread (`Math.max`, which V8 compiles to a branch, and the float's integer bits), and
 * the kernel's loop split in halves with a Worker (the arrays in a SharedArrayBuffer, the hand-over
 * by `Atomics.wait`/`notify`), beside the Worker's bare round trip.
 *
 *   deno run -A tools/bench/elementwise.ts [--elements N] [--reps 200]
 *
 * @module
 */
import { exitWithModuleHelp, parseToolArgs, positiveInteger } from "../_args.ts";

const args = parseToolArgs("elementwise", {
  elements: { type: "string", default: String(16 * 182 * 256) },
  reps: { type: "string", default: "200" },
  help: { type: "boolean", short: "h" },
});
exitWithModuleHelp(args.help, import.meta.url);
const n = positiveInteger("--elements", args.elements);
const reps = positiveInteger("--reps", args.reps);

// The loop of `reluKernel` in lib/backend/_blas_elementwise.ts, over [from, to).
const RELU = `function relu(xs, out, from, to) {
  for (let i = from; i < to; i++) {
    const v = xs[i];
    out[i] = v - v === 0 ? v * +(v > 0) + 0 : Math.max(0, v);
  }
}`;
// control[0]: 1 = run, 2 = stop; control[1]: 1 = done; control[2..3]: the Worker's range.
const WORKER = `${RELU}
self.onmessage = ({ data: [xs, out, control] }) => {
  for (;;) {
    Atomics.wait(control, 0, 0);
    if (Atomics.exchange(control, 0, 0) === 2) break;
    relu(xs, out, control[2], control[3]);
    Atomics.store(control, 1, 1);
    Atomics.notify(control, 1);
  }
};`;
const relu = new Function(`${RELU}; return relu;`)() as (
  xs: Float32Array,
  out: Float32Array,
  from: number,
  to: number,
) => void;

const xs: Float32Array = new Float32Array(new SharedArrayBuffer(4 * n));
const out = new Float32Array(new SharedArrayBuffer(4 * n));
for (let i = 0; i < n; i++) xs[i] = Math.random() - 0.5; // signs a coin toss, as activations
const control = new Int32Array(new SharedArrayBuffer(16));
const worker = new Worker(
  URL.createObjectURL(new Blob([WORKER], { type: "text/javascript" })),
  { type: "module" },
);
worker.postMessage([xs, out, control]);

/** Hands [from, to) to the Worker; `wait()` returns once it is done. */
function handOver(from: number, to: number) {
  control[2] = from;
  control[3] = to;
  Atomics.store(control, 1, 0);
  Atomics.store(control, 0, 1);
  Atomics.notify(control, 0);
}
function wait() {
  while (Atomics.load(control, 1) === 0) Atomics.wait(control, 1, 0);
}

const bits = new Int32Array(xs.buffer), outBits = new Int32Array(out.buffer);
/** ReLU on the bits: a set sign bit gives +0; a NaN is noted (its place would need mending). */
function reluOnBits(from: number, to: number): number {
  let nan = 0;
  for (let i = from; i < to; i++) {
    const b = bits[i];
    outBits[i] = b & ~(b >> 31);
    nan |= 0x7f800000 - (b & 0x7fffffff);
  }
  return nan;
}
function reluWithMax(from: number, to: number) {
  for (let i = from; i < to; i++) out[i] = Math.max(0, xs[i]);
}

const half = n >> 1;
const cases: [string, () => void][] = [
  ["the kernel's loop, main thread alone", () => relu(xs, out, 0, n)],
  ["Math.max(0, v), main thread", () => reluWithMax(0, n)],
  ["integer bits, main thread", () => reluOnBits(0, n)],
  ["the kernel's loop, Worker alone", () => (handOver(0, n), wait())],
  ["the kernel's loop, split in halves", () => (handOver(half, n), relu(xs, out, 0, half), wait())],
  ["the Worker's round trip only", () => (handOver(0, 0), wait())],
];
console.log(`ReLU over ${n.toLocaleString("en")} float32 elements, best of ${reps} after warm-up`);
console.log("| case | µs | ns/element |\n| --- | ---: | ---: |");
for (const [name, run] of cases) {
  for (let i = 0; i < 50; i++) run(); // both threads' loops optimised before timing
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    run();
    best = Math.min(best, performance.now() - t);
  }
  console.log(`| ${name} | ${(1000 * best).toFixed(0)} | ${(1e6 * best / n).toFixed(2)} |`);
}
Atomics.store(control, 0, 2);
Atomics.notify(control, 0);
worker.terminate();
