/**
 * GFLOP/s of one GEMM the shape of conv layer 2's im2col product (1,488 × 1,280 × 256: batch 16,
 * 93 positions, 5 taps × 256 channels in, 256 out) on tfjs's cpu backend and through the native
 * BLAS with 1 and 2 threads; then conv layer 2 itself (forward, as the cpu-blas backend runs it)
 * at batch 16 and 256 with 1 and 2 threads. Each figure is the best of `--repeats` runs, so that
 * load from other processes counts as little as it can.
 *
 *   deno run -A tools/bench/gemm.ts [--repeats 7] [--skip-tfjs] [--json]
 *
 * @module
 */
import { exitWithModuleHelp, parseToolArgs, positiveInteger } from "../_args.ts";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { describeBlas, openBlas } from "../../lib/backend/blas.ts";
import { BLAS_BACKEND, registerBlasBackend } from "../../lib/backend/blas_backend.ts";

const args = parseToolArgs("bench:gemm", {
  repeats: { type: "string", default: "7" },
  "skip-tfjs": { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h" },
});
exitWithModuleHelp(args.help, import.meta.url);
const repeats = positiveInteger("--repeats", args.repeats);
const [M, K, N] = [1488, 1280, 256];
const flops = 2 * M * K * N;

function best(f: () => void, n = repeats): number {
  f(); // warm-up
  let ms = Infinity;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    f();
    ms = Math.min(ms, performance.now() - t);
  }
  return ms;
}

function random(n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.random() - 0.5;
  return out;
}

const rows: { path: string; threads: number | null; ms: number; gflops: number }[] = [];
const a = random(M * K), b = random(K * N), c = new Float32Array(M * N);

if (!args["skip-tfjs"]) {
  await tf.setBackend("cpu");
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  const ta = tf.tensor2d(a, [M, K]), tb = tf.tensor2d(b, [K, N]);
  const ms = best(() => {
    const y = tf.matMul(ta, tb);
    y.dataSync();
    y.dispose();
  }, Math.min(repeats, 2));
  rows.push({ path: "tfjs cpu matMul", threads: null, ms, gflops: flops / ms / 1e6 });
  tf.dispose([ta, tb]);
}

const blas = openBlas();
if (!blas.available) {
  console.log(`BLAS ${blas.reason}`);
} else {
  for (const threads of [1, 2]) {
    blas.setThreads(threads);
    const ms = best(() => blas.sgemm(false, false, M, N, K, 1, a, K, b, N, 0, c, N));
    rows.push({ path: `${blas.name} cblas_sgemm`, threads, ms, gflops: flops / ms / 1e6 });
  }
  registerBlasBackend();
  await tf.setBackend(BLAS_BACKEND);
  for (const batch of [16, 256]) {
    const x = tf.tensor3d(random(batch * 91 * 256), [batch, 91, 256]);
    const w = tf.tensor3d(random(5 * 256 * 256), [5, 256, 256]);
    const convFlops = 2 * batch * 87 * 1280 * 256;
    for (const threads of [1, 2]) {
      blas.setThreads(threads);
      const ms = best(() => {
        const y = tf.conv1d(x, w, 1, "valid");
        y.dataSync();
        y.dispose();
      });
      rows.push({
        path: `cpu-blas conv1d layer 2, batch ${batch}`,
        threads,
        ms,
        gflops: convFlops / ms / 1e6,
      });
    }
    tf.dispose([x, w]);
  }
  registerBlasBackend(); // restores the default thread count
}

if (args.json) {
  console.log(JSON.stringify({ shape: [M, K, N], blas: describeBlas(blas), rows }));
} else {
  console.log(`GEMM ${M} × ${K} × ${N} (conv layer 2 at batch 16); best of ${repeats}`);
  console.log("| path | threads | ms | GFLOP/s |");
  console.log("| --- | --- | --- | --- |");
  for (const r of rows) {
    console.log(
      `| ${r.path} | ${r.threads ?? "-"} | ${r.ms.toFixed(2)} | ${r.gflops.toFixed(1)} |`,
    );
  }
}
