/**
 * Training and prediction throughput of each rung of the backend ladder (webgpu, cpu-blas, cpu), side by side,
 * for the narrow (smoke) and the full network on random inputs.
 *
 *   deno task bench:backends [--steps N]
 *
 * Each backend runs in its own subprocess, so that one's state cannot slow another.
 *
 * @module
 */
import { exitWithModuleHelp, parseToolArgs, positiveInteger } from "../_args.ts";
import { buildModel, NARROW_MODEL, predict, PROFILES, train } from "../../lib/mod.ts";
import { BACKEND_NAMES, type BackendName, selectBackend } from "../../lib/backend/mod.ts";

const args = parseToolArgs("bench:backends", {
  worker: { type: "string" },
  steps: { type: "string", default: "8" },
  help: { type: "boolean", short: "h" },
});
exitWithModuleHelp(args.help, import.meta.url);
const steps = positiveInteger("--steps", args.steps);

if (args.worker) {
  const [backend, size] = args.worker.split(":") as [BackendName, "narrow" | "full"];
  const report = await selectBackend({ backend });
  const batchSize = size === "narrow" ? 32 : PROFILES.full.batchSize;
  const model = buildModel(size === "narrow" ? NARROW_MODEL : {});
  const n = steps * batchSize;
  const x = Float32Array.from({ length: n * 186 }, (_, i) => ((i * 7919) % 1000) / 1000);
  const y = new Float32Array(n).fill(0.1);
  const warm = { x: x.subarray(0, 2 * batchSize * 186), y: y.subarray(0, 2 * batchSize) };
  await train(model, { train: warm }, { epochs: 1, batchSize, seed: 1 }); // compile kernels
  await predict(model, x.subarray(0, 186 * 256));
  let t = performance.now();
  await train(model, { train: { x, y } }, { epochs: 1, batchSize, seed: 1 });
  const trainRate = n / ((performance.now() - t) / 1000);
  const nPredict = size === "narrow" ? 4096 : 1024;
  const xp = Float32Array.from({ length: nPredict * 186 }, (_, i) => ((i * 104729) % 1000) / 1000);
  t = performance.now();
  await predict(model, xp, { batchSize: 1024 });
  const predictRate = nPredict / ((performance.now() - t) / 1000);
  console.log(
    JSON.stringify({ backend, adapter: report.adapter, size, batchSize, trainRate, predictRate }),
  );
  Deno.exit(0);
}

console.log(`| backend | network | batch | training samples/s | prediction samples/s |`);
console.log(`| --- | --- | --- | --- | --- |`);
for (const size of ["narrow", "full"]) {
  for (const backend of BACKEND_NAMES) {
    const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL(import.meta.url).pathname,
        "--worker",
        `${backend}:${size}`,
        "--steps",
        String(steps),
      ],
    }).output();
    if (!success) {
      const reason = new TextDecoder().decode(stderr).trim().split("\n").at(-1);
      console.log(`| ${backend} | ${size} | – | unavailable: ${reason} | |`);
      continue;
    }
    const r = JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").at(-1)!);
    const name = r.adapter ? `${backend} (${r.adapter})` : backend;
    console.log(
      `| ${name} | ${size} | ${r.batchSize} | ${r.trainRate.toFixed(1)} | ${
        r.predictRate.toFixed(0)
      } |`,
    );
  }
}
