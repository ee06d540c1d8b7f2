/**
 * Throughput and memory of `predictCatalogue` against the raw model.
 *
 *   deno task bench:predict [--rows N] [--cpu-rows N] [--webgpu-rows N] [--full-rows N]
 *                           [--backend auto|cpu-blas|cpu|webgpu,...] [--chunk N] [--keep DIR]
 *   deno task bench:predict --large N [--network tiny|narrow|full] [--dir DIR | --keep DIR]
 *                           [--format csv|parquet] [--every SECONDS]
 *
 * Writes a mock catalogue of N rows (default 200,000) as CSV and Parquet, then
 * for each backend of `--backend` (default `auto`: the rung the ladder picks, as
 * `deno task predict` does; the task installs OpenBLAS first) in its own
 * subprocess, which prints the backend as its heading, measures, for the narrow (smoke)
 * network: reading alone, `predict()` on rows already in memory (the raw
 * model), and the whole command path file → file; and for the full network the
 * same on a small file. Resident memory (`Deno.memoryUsage().rss`) is sampled
 * after every chunk: flat RSS across chunks is what bounds a 10-million-row run.
 *
 * `--large N` measures that bound directly: it writes an N-row mock catalogue
 * with a z column (a chunk at a time, so writing it takes one chunk of memory),
 * saves a network (by default a tiny one: convolution filters [2, 2, 2, 2],
 * dense units [4, 4, 4, 4]) with a scaler fitted on 5,000 other mock rows, and
 * runs the real command, `deno run -A tools/predict.ts --model … --in … --out …
 * --backend cpu --progress` (the plain `cpu` rung: memory is what it measures),
 * as a subprocess. Its peak resident memory is measured from
 * outside: the kernel's `ru_maxrss` through `/usr/bin/time -v` (or, without it,
 * the highest `VmHWM` polled from `/proc`), with `VmRSS` polled every second
 * for the RSS by quarter of the file. The network is tiny so that 10 million
 * rows take minutes rather than days on a CPU: what the pipeline holds (chunks
 * read, scaled, predicted and written, and the 9 bytes per row kept for the
 * summary's metrics) does not depend on the network's size. The network adds
 * its weights and one batch's activations, which do not grow with the rows:
 * `--network full` on a small N measures that. Progress and RSS are printed
 * every `--every` seconds (default 60). The files are removed at the end
 * unless `--keep DIR` (then they are written to, and left in, DIR).
 *
 * @module
 */
import { exitWithModuleHelp, parseToolArgs, positiveInteger } from "../_args.ts";
import { buildModel, fitMinMax, NARROW_MODEL, predict, resolveModelConfig } from "../../lib/mod.ts";
import { type BackendName, formatBackendReport, selectBackend } from "../../lib/backend/mod.ts";
import { predictCatalogue } from "../../lib/catalogue/mod.ts";
import { writeSpectraChunks } from "../../lib/data/mod.ts";
import { simulateChunks, simulateSpectra } from "../../lib/mock/mod.ts";
import { loadModel, saveModel } from "../../lib/runs/mod.ts";
import { openCatalogue } from "../../lib/data/_chunked_reader.ts";

const args = parseToolArgs("bench:predict", {
  rows: { type: "string", default: "200000" },
  "cpu-rows": { type: "string" },
  "webgpu-rows": { type: "string", default: "5000" },
  "full-rows": { type: "string", default: "200" },
  backend: { type: "string", default: "auto" },
  chunk: { type: "string", default: "16384" },
  keep: { type: "string" },
  worker: { type: "string" },
  dir: { type: "string" },
  large: { type: "string" },
  format: { type: "string", default: "csv" },
  every: { type: "string", default: "60" },
  network: { type: "string", default: "tiny" },
  help: { type: "boolean", short: "h" },
});
exitWithModuleHelp(args.help, import.meta.url);
const chunkRows = positiveInteger("--chunk", args.chunk);
/** Architecture of the tiny network of `--large`: the pipeline's memory does not depend on it. */
const TINY = { convFilters: [2, 2, 2, 2], denseUnits: [4, 4, 4, 4] };

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
if (args.large) {
  Deno.exit(await large(positiveInteger("--large", args.large)));
}

const rows = positiveInteger("--rows", args.rows);
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
for (const [name, config] of [["narrow", NARROW_MODEL], ["full", {}]] as const) {
  const modelConfig = resolveModelConfig({ ...config, seed: 1 });
  await saveModel(`${dir}/${name}`, buildModel(modelConfig), {
    modelConfig,
    scaler,
    history: [],
    run: {},
  });
}

for (const backend of args.backend.split(",")) {
  const rowsFlag = backend === "cpu" ? "cpu-rows" : backend === "webgpu" ? "webgpu-rows" : "";
  const narrowRows = rowsFlag && args[rowsFlag] !== undefined
    ? positiveInteger(`--${rowsFlag}`, args[rowsFlag])
    : rows;
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--worker",
      `${backend}:${Math.min(narrowRows, rows)}:${
        positiveInteger("--full-rows", args["full-rows"])
      }`,
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

/** `--large N`: the peak RSS of `tools/predict.ts` on an N-row catalogue, measured from outside. */
async function large(n: number): Promise<number> {
  const format = args.format === "parquet" ? "parquet" : "csv";
  const dir = args.keep ?? args.dir ?? await Deno.makeTempDir({ prefix: "bench_predict_large" });
  await Deno.mkdir(dir, { recursive: true });
  const input = `${dir}/large_${n}.${format}`, output = `${dir}/large_${n}_pred.csv`;
  const model = `${dir}/tiny`;
  const log = (text: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${text}`);
  log(`# tools/predict.ts on ${n.toLocaleString("en")} rows (${format}, with z); files in ${dir}`);

  let t0 = performance.now();
  if (await Deno.stat(input).then(() => true, () => false)) log(`${input}: already there, kept`);
  else {
    let written = 0, nextReport = 0;
    const chunks = function* () {
      for (const chunk of simulateChunks({ n, seed: 6, chunkSize: 16_384 })) {
        written += chunk.n;
        if (written >= nextReport) {
          log(
            `writing the mock: ${written.toLocaleString("en")} rows, RSS ${
              mib(Deno.memoryUsage().rss).toFixed(0)
            } MiB`,
          );
          nextReport += 1_000_000;
        }
        yield chunk;
      }
    };
    await writeSpectraChunks(chunks(), input);
  }
  const bytes = (await Deno.stat(input)).size;
  log(
    `mock: ${(bytes / 1e9).toFixed(2)} GB (${Math.round(bytes / n)} bytes/row), written in ${
      ((performance.now() - t0) / 1000).toFixed(0)
    } s`,
  );

  const fitRows = simulateSpectra({ n: 5_000, seed: 8 });
  const scaler = fitMinMax(fitRows.flux, "all", { fittedOn: "5,000 mock rows" });
  const networks = { tiny: TINY, narrow: NARROW_MODEL, full: {} };
  const network = args.network as keyof typeof networks;
  if (!(network in networks)) throw new RangeError(`--network ${network}: tiny, narrow or full`);
  const modelConfig = resolveModelConfig({ ...networks[network], seed: 1 });
  await selectBackend({ backend: "cpu" });
  await saveModel(model, buildModel(modelConfig), { modelConfig, scaler, history: [], run: {} });
  log(
    `${network} network: convFilters [${modelConfig.convFilters}], kernelSizes [${modelConfig.kernelSizes}], denseUnits [${modelConfig.denseUnits}]`,
  );

  const predictArgs = [
    "run",
    "-A",
    new URL("../predict.ts", import.meta.url).pathname,
    "--model",
    model,
    "--in",
    input,
    "--out",
    output,
    "--backend",
    "cpu",
    "--progress",
  ];
  const timeBin = "/usr/bin/time";
  const timed = await Deno.stat(timeBin).then(() => true, () => false);
  const timeReport = `${dir}/time.txt`;
  const command = timed
    ? [timeBin, "-v", "-o", timeReport, Deno.execPath(), ...predictArgs]
    : [Deno.execPath(), ...predictArgs];
  log(`$ ${command.join(" ")}`);
  t0 = performance.now();
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Under /usr/bin/time, deno is time's only child.
  const denoPid = async (): Promise<number> => {
    if (!timed) return child.pid;
    const text = await Deno.readTextFile(`/proc/${child.pid}/task/${child.pid}/children`)
      .catch(() => "");
    return Number(text.trim().split(/\s+/)[0]) || 0;
  };
  const status = async (pid: number) => {
    const text = await Deno.readTextFile(`/proc/${pid}/status`).catch(() => "");
    const kib = (key: string) => Number(text.match(new RegExp(`${key}:\\s+(\\d+) kB`))?.[1] ?? 0);
    return { rss: kib("VmRSS") * 1024, hwm: kib("VmHWM") * 1024 };
  };

  // Progress lines on stderr ("\r12,345 / ~10,000,000 rows (0.1 %), …"): keep the latest.
  let progress = "", fraction = 0, stderrText = "";
  const readStderr = (async () => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const bytes of child.stderr) {
      const pieces = (rest + decoder.decode(bytes, { stream: true })).split(/[\r\n]/);
      rest = pieces.pop()!; // an unfinished line waits for the next read
      for (const piece of pieces) {
        const line = piece.replaceAll("\x1b[K", "").trim();
        const m = line.match(/^([\d,]+) \/ ~[\d,]+ rows \(([\d.]+) %\)/);
        if (m) {
          progress = line;
          fraction = Number(m[2]) / 100;
        } else if (line) stderrText += line + "\n";
      }
    }
    rest = rest.replaceAll("\x1b[K", "").trim();
    if (rest) stderrText += rest + "\n";
  })();
  const stdoutText = new Response(child.stdout).text();
  const samples: [number, number][] = [];
  let polledPeak = 0, lastReport = performance.now();
  const every = positiveInteger("--every", args.every) * 1000;
  let done = false;
  const exit = child.status.then((s) => (done = true, s));
  while (!done) {
    await Promise.race([exit, new Promise((r) => setTimeout(r, 1000))]);
    if (done) break;
    const pid = await denoPid();
    if (!pid) continue;
    const { rss, hwm } = await status(pid);
    if (!rss) continue;
    polledPeak = Math.max(polledPeak, hwm, rss);
    samples.push([fraction, rss]);
    if (performance.now() - lastReport >= every) {
      lastReport = performance.now();
      log(
        `${progress || "starting"}; RSS ${mib(rss).toFixed(0)} MiB, peak so far ${
          mib(hwm).toFixed(0)
        } MiB`,
      );
    }
  }
  const { code } = await exit;
  await readStderr;
  const seconds = (performance.now() - t0) / 1000;
  const summary = await stdoutText;
  if (stderrText) console.log(stderrText.trimEnd());
  if (code !== 0) {
    log(`predict failed with exit code ${code}`);
    console.log(summary);
    return 1;
  }

  let peak = polledPeak, peakFrom = "highest VmHWM polled from /proc every second";
  if (timed) {
    const report = await Deno.readTextFile(timeReport);
    const kib = Number(report.match(/Maximum resident set size \(kbytes\): (\d+)/)?.[1]);
    if (kib) peak = kib * 1024, peakFrom = "/usr/bin/time -v, Maximum resident set size";
  }
  const quarters = [0.25, 0.5, 0.75, 1].map((q) => {
    const at = samples.find((s) => s[0] >= q - 1e-9) ?? samples.at(-1);
    return at ? mib(at[1]).toFixed(0) : "?";
  }).join(" / ");
  // The output's data rows: every line but the header.
  let outRows = -1;
  {
    const file = await Deno.open(output);
    const buffer = new Uint8Array(1 << 20);
    for (let got; (got = await file.read(buffer)) !== null;) {
      for (let i = 0; i < got; i++) if (buffer[i] === 10) outRows++;
    }
    file.close();
  }
  const hasMetrics = /All predicted rows/.test(summary) && /Errors per redshift bin/.test(summary);
  const ownRate = summary.match(/([\d.]+) s, (\d+) rows\/s/);
  console.log(summary.trimEnd());
  console.log();
  log("## result");
  console.log(`rows in: ${n.toLocaleString("en")} (${format}, ${(bytes / 1e9).toFixed(2)} GB)`);
  console.log(
    `rows out: ${outRows.toLocaleString("en")} (${outRows === n ? "= N" : "≠ N!"}), ${
      ((await Deno.stat(output)).size / 1e6).toFixed(0)
    } MB`,
  );
  console.log(`summary metrics printed: ${hasMetrics ? "yes" : "NO"}`);
  console.log(
    `peak RSS: ${mib(peak).toFixed(0)} MiB = ${(peak / 1e9).toFixed(2)} GB (${peakFrom})`,
  );
  console.log(`highest RSS polled from /proc: ${mib(polledPeak).toFixed(0)} MiB`);
  console.log(`RSS by quarter of the file (polled VmRSS): ${quarters} MiB`);
  console.log(
    `wall time of the command: ${seconds.toFixed(0)} s, ${Math.round(n / seconds)} rows/s`,
  );
  if (ownRate) console.log(`predictCatalogue's own figure: ${ownRate[1]} s, ${ownRate[2]} rows/s`);
  console.log(`under 4 GB: ${peak < 4e9 ? "yes" : "NO"}`);
  if (!args.keep) {
    for (const path of [input, output, `${output}.rejects.csv`, model, timeReport]) {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    }
    if (!args.dir) await Deno.remove(dir).catch(() => {});
  }
  return outRows === n && hasMetrics && peak < 4e9 ? 0 : 1;
}

/** Writes `n` mock rows to `path` unless a file is already there. */
async function mock(path: string, n: number) {
  if (await Deno.stat(path).then(() => true, () => false)) return;
  await writeSpectraChunks(simulateChunks({ n, seed: 6, chunkSize: 16_384 }), path);
}

async function worker(spec: string, dir: string) {
  const [backendName, narrowText, fullText] = spec.split(":");
  const backend = await selectBackend(
    backendName === "auto" ? {} : { backend: backendName as BackendName },
  );
  const lines: string[] = [`## ${formatBackendReport(backend)}`, ""];
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
