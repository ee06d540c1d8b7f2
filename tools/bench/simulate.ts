/**
 * Benchmark: how long simulating the full 520,393-galaxy mock takes, and in how much memory.
 *
 * `deno task bench:simulate [--n N]`. Spectra are generated in chunks and
 * discarded (no file I/O), as `deno task mock` generates them.
 *
 * @module
 */
import { parseToolArgs, positiveInteger } from "../_args.ts";
import { DISSERTATION_N, simulateChunks, simulateSpectra } from "../../lib/mock/simulate.ts";
import { mib, secondsSince } from "./_bench.ts";

const values = parseToolArgs("bench:simulate", {
  n: { type: "string" },
}, import.meta);
const n = values.n === undefined ? DISSERTATION_N : positiveInteger("--n", values.n);

let t0 = performance.now();
simulateSpectra({ n: 1, seed: 1 }); // builds the precomputed component tables
const setup = secondsSince(t0);

t0 = performance.now();
let peakRss = Deno.memoryUsage().rss;
let checksum = 0;
for (const chunk of simulateChunks({ n, seed: 2023, chunkSize: 16_384 })) {
  checksum += chunk.flux[0];
  peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
}
const seconds = secondsSince(t0);
console.log(`setup (component tables): ${setup.toFixed(2)} s`);
console.log(`simulated ${n.toLocaleString("en")} spectra in ${seconds.toFixed(1)} s`);
console.log(`rate: ${Math.round(n / seconds).toLocaleString("en")} spectra/s (one thread)`);
console.log(`peak RSS: ${mib(peakRss).toFixed(0)} MiB (checksum ${checksum.toFixed(3)})`);
