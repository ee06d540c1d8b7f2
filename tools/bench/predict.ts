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
import { oneOf, parseToolArgs, positiveInteger, stringFlags } from "../_args.ts";
import { isFile } from "../_system.ts";
import {
  buildModel,
  fitMinMax,
  type ModelConfig,
  N_FLUX,
  NARROW_MODEL,
  predict,
  resolveModelConfig,
} from "../../lib/mod.ts";
import { type BackendName, formatBackendReport, selectBackend } from "../../lib/backend/mod.ts";
import { predictCatalogue } from "../../lib/catalogue/mod.ts";
import { writeSpectraChunks } from "../../lib/data/mod.ts";
import { simulateChunks, simulateSpectra } from "../../lib/mock/mod.ts";
import { loadModel, saveModel } from "../../lib/runs/mod.ts";
import { openCatalogue } from "../../lib/data/_chunked_reader.ts";
import { mib, plainTable, secondsSince } from "./_bench.ts";

const args = parseToolArgs("bench:predict", {
  rows: { type: "string", default: "200000" },
  "webgpu-rows": { type: "string", default: "5000" },
  "full-rows": { type: "string", default: "200" },
  backend: { type: "string", default: "auto" },
  chunk: { type: "string", default: "16384" },
  ...stringFlags("cpu-rows", "keep", "worker", "dir", "large"),
  format: { type: "string", default: "csv" },
  every: { type: "string", default: "60" },
  network: { type: "string", default: "tiny" },
}, import.meta);
const chunkRows = positiveInteger("--chunk", args.chunk);
const network = oneOf("--network", args.network, ["tiny", "narrow", "full"]);
/** Architecture of the tiny network of `--large`: the pipeline's memory does not depend on it. */
const TINY = { convFilters: [2, 2, 2, 2], denseUnits: [4, 4, 4, 4] };
/** The scaler of the saved models, fitted on 5,000 other mock rows when the first is saved. */
let scaler: ReturnType<typeof fitMinMax> | undefined;

/** The columns every table ends with; {@link measured} gives their cells. */
const MEASURES = ["rows", "seconds", "rows/s", "peak RSS MiB", "RSS by quarter MiB"];

/** The cells of {@link MEASURES}: `rows` read in `seconds`, and the RSS if it was tracked. */
function measured(rows: number, seconds: number, rss?: RssTrack): (string | number)[] {
  const memory = rss ? [rss.peak(), rss.quarters()] : ["", ""];
  return [rows, seconds.toFixed(1), Math.round(rows / seconds), ...memory];
}

/** RSS as the file is read (by default this process's): the peak, and the value by quarter. */
class RssTrack {
  #samples: [number, number][] = [];
  sample(fraction: number, rss = Deno.memoryUsage().rss) {
    this.#samples.push([fraction, rss]);
  }
  peak(): string {
    return mib(Math.max(...this.#samples.map((s) => s[1]))).toFixed(0);
  }
  /** The RSS at the end of each quarter of the file, in MiB ("?" before any sample). */
  quarters(): string {
    return [0.25, 0.5, 0.75, 1].map((q) => {
      const at = this.#samples.find((s) => s[0] >= q - 1e-9) ?? this.#samples.at(-1);
      return at ? mib(at[1]).toFixed(0) : "?";
    }).join(" / ");
  }
}

if (args.worker) {
  await worker(args.worker, args.dir!);
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
for (const ext of ["csv", "parquet"]) await mock(`${dir}/bench.${ext}`, rows);
console.log(`mock written in ${secondsSince(t).toFixed(1)} s\n`);

// Reading alone (parse, check, float32 rows), over the whole file.
const reading = [];
for (const file of ["bench.csv", "bench.parquet"]) {
  const rss = new RssTrack();
  const t0 = performance.now();
  let n = 0;
  for await (const chunk of (await openCatalogue(`${dir}/${file}`)).chunks(chunkRows)) {
    n += chunk.n;
    rss.sample(chunk.fraction);
  }
  reading.push([file, ...measured(n, secondsSince(t0), rss)]);
}
console.log(`## Reading alone\n\n${plainTable(["file", ...MEASURES], reading)}\n`);

await saveMockModel(`${dir}/narrow`, NARROW_MODEL);
await saveMockModel(`${dir}/full`, {});

const fullRows = positiveInteger("--full-rows", args["full-rows"]);
for (const backend of args.backend.split(",")) {
  const rowsFlag = backend === "cpu" ? "cpu-rows" : backend === "webgpu" ? "webgpu-rows" : "";
  const narrowRows = rowsFlag && args[rowsFlag] !== undefined
    ? positiveInteger(`--${rowsFlag}`, args[rowsFlag])
    : rows;
  const spec = `${backend}:${Math.min(narrowRows, rows)}:${fullRows}`;
  const self = new URL(import.meta.url).pathname;
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", self, "--worker", spec, "--dir", dir, "--chunk", String(chunkRows)],
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

  let t0 = performance.now(), nextReport = 0;
  const kept = await mock(input, n, (written) => {
    if (written < nextReport) return;
    const rss = mib(Deno.memoryUsage().rss).toFixed(0);
    log(`writing the mock: ${written.toLocaleString("en")} rows, RSS ${rss} MiB`);
    nextReport += 1_000_000;
  });
  if (kept) log(`${input}: already there, kept`);
  const bytes = (await Deno.stat(input)).size;
  log(
    `mock: ${(bytes / 1e9).toFixed(2)} GB (${Math.round(bytes / n)} bytes/row), written in ${
      secondsSince(t0).toFixed(0)
    } s`,
  );

  const networks = { tiny: TINY, narrow: NARROW_MODEL, full: {} };
  const config = await saveMockModel(model, networks[network]);
  log(
    `${network} network: convFilters [${config.convFilters}], kernelSizes [${config.kernelSizes}], denseUnits [${config.denseUnits}]`,
  );

  const predictCommand = [
    ...[Deno.execPath(), "run", "-A", new URL("../predict.ts", import.meta.url).pathname],
    ...["--model", model, "--in", input, "--out", output, "--backend", "cpu", "--progress"],
  ];
  const timeBin = "/usr/bin/time", timeReport = `${dir}/time.txt`;
  const timed = isFile(timeBin);
  const command = [...(timed ? [timeBin, "-v", "-o", timeReport] : []), ...predictCommand];
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
  const take = (piece: string) => {
    const line = piece.replaceAll("\x1b[K", "").trim();
    const m = line.match(/^([\d,]+) \/ ~[\d,]+ rows \(([\d.]+) %\)/);
    if (m) [progress, fraction] = [line, Number(m[2]) / 100];
    else if (line) stderrText += line + "\n";
  };
  const readStderr = (async () => {
    let rest = "";
    for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) {
      const pieces = (rest + text).split(/[\r\n]/);
      rest = pieces.pop()!; // an unfinished line waits for the next read
      pieces.forEach(take);
    }
    take(rest);
  })();
  const stdoutText = new Response(child.stdout).text();
  const rssTrack = new RssTrack();
  let polledPeak = 0, lastReport = performance.now(), done = false;
  const every = positiveInteger("--every", args.every) * 1000;
  const exit = child.status.then((s) => (done = true, s));
  while (!done) {
    await Promise.race([exit, new Promise((r) => setTimeout(r, 1000))]);
    if (done) break;
    const pid = await denoPid();
    if (!pid) continue;
    const { rss, hwm } = await status(pid);
    if (!rss) continue;
    polledPeak = Math.max(polledPeak, hwm, rss);
    rssTrack.sample(fraction, rss);
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
  const seconds = secondsSince(t0);
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
  // The output's data rows: every line but the header.
  let outRows = -1;
  for await (const bytes of (await Deno.open(output)).readable) {
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) outRows++;
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
  console.log(`RSS by quarter of the file (polled VmRSS): ${rssTrack.quarters()} MiB`);
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

/**
 * Writes `n` mock rows to `path` unless a file is already there (then true); `onChunk` sees the
 * count of rows written so far before each chunk is written.
 */
async function mock(path: string, n: number, onChunk?: (written: number) => void) {
  if (isFile(path)) return true;
  let written = 0;
  const chunks = function* () {
    for (const chunk of simulateChunks({ n, seed: 6, chunkSize: 16_384 })) {
      onChunk?.(written += chunk.n);
      yield chunk;
    }
  };
  await writeSpectraChunks(chunks(), path);
  return false;
}

/**
 * Saves an untrained `network` (its weights predict as fast as trained ones) with the scaler, built
 * on the plain `cpu` backend; returns its configuration.
 */
async function saveMockModel(path: string, network: Partial<ModelConfig>): Promise<ModelConfig> {
  scaler ??= fitMinMax(simulateSpectra({ n: 5_000, seed: 8 }).flux, "all", {
    fittedOn: "5,000 mock rows",
  });
  const modelConfig = resolveModelConfig({ ...network, seed: 1 });
  await selectBackend({ backend: "cpu" });
  await saveModel(path, buildModel(modelConfig), { modelConfig, scaler, history: [], run: {} });
  return modelConfig;
}
/** `--worker BACKEND:NARROW_ROWS:FULL_ROWS`: one backend's table, for the main process to print. */
async function worker(spec: string, dir: string) {
  const [name, narrowText, fullText] = spec.split(":");
  const backend = await selectBackend(name === "auto" ? {} : { backend: name as BackendName });
  const rows: (string | number)[][] = [];
  for (const network of ["narrow", "full"]) {
    const n = Number(network === "narrow" ? narrowText : fullText);
    const files = [`${network}_${n}.csv`, `${network}_${n}.parquet`];
    for (const file of files) await mock(`${dir}/${file}`, n);
    const loaded = await loadModel(`${dir}/${network}`);
    // The raw model: rows already scaled, in memory, same batch size.
    const sample = simulateSpectra({ n: Math.min(n, 16_384), seed: 9 });
    const x = loaded.scaler.transform(sample.flux);
    await predict(loaded.model, x.subarray(0, N_FLUX * Math.min(256, sample.n))); // compile kernels
    let t0 = performance.now();
    await predict(loaded.model, x, { batchSize: 1024 });
    const seconds = secondsSince(t0), raw = sample.n / seconds;
    rows.push([network, "`predict()` on scaled rows in memory", ...measured(sample.n, seconds)]);
    for (const file of files) {
      const rss = new RssTrack();
      t0 = performance.now();
      const summary = await predictCatalogue(loaded, `${dir}/${file}`, `${dir}/out.csv`, {
        chunkRows,
        onProgress: (p) => rss.sample(p.fraction),
      });
      const seconds = secondsSince(t0), rate = summary.rowsRead / seconds;
      const format = file.replace(/^.*\./, "");
      const what = `\`predictCatalogue\` ${format} → CSV (${(rate / raw).toFixed(2)} × raw)`;
      rows.push([network, what, ...measured(summary.rowsRead, seconds, rss)]);
    }
  }
  const table = plainTable(["network", "what", ...MEASURES], rows);
  console.log(`## ${formatBackendReport(backend)}\n\n${table}`);
}
