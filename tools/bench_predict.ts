/**
 * Throughput and memory of `predictCatalogue` against the raw model.
 *
 *   deno task bench:predict [--rows N] [--cpu-rows N] [--webgpu-rows N] [--full-rows N]
 *                           [--backend cpu|webgpu|both] [--chunk N] [--keep DIR]
 *
 * Writes a mock catalogue of N rows (default 200,000) as CSV and Parquet, then
 * for each backend (in its own subprocess) measures, for the narrow (smoke)
 * network: reading alone, `predict()` on rows already in memory (the raw
 * model), and the whole command path file → file; and for the full network the
 * same on a small file. Resident memory (`Deno.memoryUsage().rss`) is sampled
 * after every chunk: flat RSS across chunks is what bounds a 10-million-row run.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  buildModel,
  fitMinMax,
  loadModel,
  predict,
  predictCatalogue,
  PROFILES,
  resolveModelConfig,
  saveModel,
  selectBackend,
  simulateChunks,
  simulateSpectra,
  writeSpectraChunks,
} from "../lib/mod.ts";
import { openCatalogue } from "../lib/_chunked_reader.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "200000" },
    "cpu-rows": { type: "string" },
    "webgpu-rows": { type: "string", default: "5000" },
    "full-rows": { type: "string", default: "200" },
    backend: { type: "string", default: "both" },
    chunk: { type: "string", default: "16384" },
    keep: { type: "string" },
    worker: { type: "string" },
    dir: { type: "string" },
  },
});
const chunkRows = Number(args.chunk);
const mib = (bytes: number) => bytes / 2 ** 20;

/** RSS after each chunk: the peak, and the value at the end of each quarter of the file. */
class RssTrack {
  #samples: [number, number][] = [];
  sample(fraction: number) {
    this.#samples.push([fraction, Deno.memoryUsage().rss]);
  }
  peak(): string {
    return mib(Math.max(...this.#samples.map((s) => s[1]))).toFixed(0);
  }
  quarters(): string {
    return [0.25, 0.5, 0.75, 1].map((q) => {
      const at = this.#samples.find((s) => s[0] >= q - 1e-9) ?? this.#samples.at(-1)!;
      return mib(at[1]).toFixed(0);
    }).join(" / ");
  }
}

if (args.worker) {
  await worker(args.worker as "cpu" | "webgpu", args.dir!);
  Deno.exit(0);
}

const rows = Number(args.rows);
const dir = args.keep ?? await Deno.makeTempDir({ prefix: "bench_predict" });
await Deno.mkdir(dir, { recursive: true });
console.log(
  `# predictCatalogue benchmark: ${rows.toLocaleString("en")} rows, chunks of ${chunkRows}`,
);
console.log(`files in ${dir}`);
const t = performance.now();
for (const ext of ["csv", "parquet"]) {
  await mock(`${dir}/bench.${ext}`, rows);
}
console.log(`mock written in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);

// Reading alone (parse, check, float32 rows), over the whole file.
console.log("## Reading alone\n");
console.log("| file | rows | seconds | rows/s | peak RSS MiB | RSS by quarter MiB |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const file of ["bench.csv", "bench.parquet"]) {
  const rss = new RssTrack();
  const t0 = performance.now();
  let n = 0;
  const reader = await openCatalogue(`${dir}/${file}`);
  for await (const chunk of reader.chunks(chunkRows)) {
    n += chunk.n;
    rss.sample(chunk.fraction);
  }
  const s = (performance.now() - t0) / 1000;
  console.log(
    `| ${file} | ${n} | ${s.toFixed(1)} | ${
      Math.round(n / s)
    } | ${rss.peak()} | ${rss.quarters()} |`,
  );
}
console.log();

// Models: untrained weights predict as fast as trained ones; the scaler is fitted on other mock rows.
const fitRows = simulateSpectra({ n: 5_000, seed: 8 });
const scaler = fitMinMax(fitRows.flux, "all", { fittedOn: "5,000 mock rows" });
await selectBackend({ backend: "cpu" });
for (const [name, config] of [["narrow", PROFILES.smoke.model], ["full", {}]] as const) {
  const modelConfig = resolveModelConfig({ ...config, seed: 1 });
  await saveModel(`${dir}/${name}`, buildModel(modelConfig), {
    modelConfig,
    scaler,
    history: [],
    run: {},
  });
}

const backends = args.backend === "both" ? ["cpu", "webgpu"] : [args.backend!];
for (const backend of backends) {
  const narrowRows = Number(args[backend === "cpu" ? "cpu-rows" : "webgpu-rows"] ?? rows);
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--worker",
      `${backend}:${Math.min(narrowRows, rows)}:${args["full-rows"]}`,
      "--dir",
      dir,
      "--chunk",
      String(chunkRows),
    ],
    stderr: "piped",
  }).output();
  console.log(new TextDecoder().decode(stdout));
  if (!success) console.log(`${backend}: failed: ${new TextDecoder().decode(stderr).trim()}`);
}
if (!args.keep) await Deno.remove(dir, { recursive: true });

/** Writes `n` mock rows to `path` unless a file is already there. */
async function mock(path: string, n: number) {
  if (await Deno.stat(path).then(() => true, () => false)) return;
  await writeSpectraChunks(simulateChunks({ n, seed: 6, chunkSize: 16_384 }), path);
}

async function worker(spec: string, dir: string) {
  const [backendName, narrowText, fullText] = spec.split(":");
  const backend = await selectBackend({ backend: backendName as "cpu" | "webgpu" });
  const device = backend.adapter ? `${backend.backend} (${backend.adapter})` : backend.backend;
  const lines: string[] = [`## ${device}`, ""];
  const table = (cells: (string | number)[]) => lines.push(`| ${cells.join(" | ")} |`);
  table(["network", "what", "rows", "seconds", "rows/s", "peak RSS MiB", "RSS by quarter MiB"]);
  table(["---", "---", "---", "---", "---", "---", "---"]);
  for (const network of ["narrow", "full"]) {
    const n = Number(network === "narrow" ? narrowText : fullText);
    const files = [`${network}_${n}.csv`, `${network}_${n}.parquet`];
    for (const file of files) await mock(`${dir}/${file}`, n);
    const loaded = await loadModel(`${dir}/${network}`);
    // The raw model: rows already scaled, in memory, same batch size.
    const sample = simulateSpectra({ n: Math.min(n, 16_384), seed: 9 });
    const x = loaded.scaler.transform(sample.flux);
    await predict(loaded.model, x.subarray(0, 186 * Math.min(256, sample.n))); // compile kernels
    let t0 = performance.now();
    await predict(loaded.model, x, { batchSize: 1024 });
    let s = (performance.now() - t0) / 1000;
    const raw = sample.n / s;
    table([
      network,
      "`predict()` on scaled rows in memory",
      sample.n,
      s.toFixed(1),
      Math.round(raw),
      "",
      "",
    ]);
    for (const file of files) {
      const rss = new RssTrack();
      t0 = performance.now();
      const summary = await predictCatalogue(loaded, `${dir}/${file}`, `${dir}/out.csv`, {
        chunkRows,
        onProgress: (p) => rss.sample(p.fraction),
      });
      s = (performance.now() - t0) / 1000;
      const rate = summary.rowsRead / s;
      table([
        network,
        `\`predictCatalogue\` ${file.replace(/^.*\./, "")} → CSV (${
          (rate / raw).toFixed(2)
        } × raw)`,
        summary.rowsRead,
        s.toFixed(1),
        Math.round(rate),
        rss.peak(),
        rss.quarters(),
      ]);
    }
  }
  console.log(lines.join("\n"));
}
