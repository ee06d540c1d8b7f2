/**
 * Ours against PyTorch on the same machine, in one run: training samples/s at each batch size and
 * prediction rows/s of the full network, side by side with the ratio.
 *
 *   deno task bench:torch [--batches 16,256] [--samples 1024] [--predict 4096] [--rounds 5]
 *                         [--backend auto|cpu-blas|cpu|webgpu] [--threads N] [--narrow] [--json]
 *
 * It runs `tools/bench/train.ts` (the library's own `train()` and `predict()`, on the backend the
 * ladder picks unless `--backend` says) and `tools/bench/torch_reference.py` (the same network and
 * recipe in PyTorch eager) as separate processes, both once in each of `--rounds` rounds, back to
 * back and in alternating order, and compares them within each round: the table gives each side's
 * best, the median of the rounds' ratios and every round's ratio. Installs Debian's
 * `python3-torch` first if PyTorch is missing. Both sides run on the same `--threads` (default:
 * the machine's cores): `$OMP_NUM_THREADS` for PyTorch, `$REDSHIFT_BLAS_THREADS` for ours. Results are recorded in docs/performance.md.
 *
 * @module
 */
import { parseToolArgs } from "../_args.ts";
import { installSystemPart } from "../_system.ts";

const USAGE = `usage: deno task bench:torch [--batches 16,256] [--samples 1024] [--predict 4096]
                            [--rounds 5] [--backend auto|cpu-blas|cpu|webgpu] [--threads N]
                            [--narrow] [--json]`;

const args = parseToolArgs("bench:torch", {
  batches: { type: "string", default: "16,256" },
  samples: { type: "string", default: "1024" },
  predict: { type: "string", default: "4096" },
  rounds: { type: "string", default: "5" },
  backend: { type: "string", default: "auto" },
  threads: { type: "string", default: String(navigator.hardwareConcurrency || 1) },
  narrow: { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
});
if (args.help) {
  console.log(USAGE);
  Deno.exit(0);
}
for (const flag of ["samples", "predict", "rounds", "threads"] as const) {
  if (!/^[1-9]\d*$/.test(args[flag])) fail(`--${flag} ${args[flag]}: expected a positive integer`);
}
if (!/^[1-9]\d*(,[1-9]\d*)*$/.test(args.batches)) {
  fail(`--batches ${args.batches}: expected a comma-separated list of positive integers`);
}

interface BenchSummary {
  device: string;
  results: { batchSize: number; samplesPerSecond: number }[];
  predict: { samplesPerSecond: number };
}

const tools = new URL("./", import.meta.url).pathname;
if (!await installSystemPart("torch")) {
  fail("PyTorch is needed for the reference side and could not be installed");
}

const common = [
  "--batches",
  args.batches,
  "--samples",
  args.samples,
  "--min-steps",
  "4",
  "--predict",
  args.predict,
  "--json",
  ...(args.narrow ? ["--narrow"] : []),
];
const ours = [
  Deno.execPath(),
  "run",
  "-A",
  `${tools}train.ts`,
  ...common,
  ...(args.backend === "auto" ? [] : ["--backend", args.backend]),
];
const torch = ["/usr/bin/python3", `${tools}torch_reference.py`, ...common];

// Each round runs both sides back to back, the first side alternating, and its ratio is taken
// within the round: a shared machine's speed wanders over minutes (a GEMM's rate halved and came
// back during one session here), so rates of different rounds compare the machine as much as the
// code. The median of the rounds' ratios is the comparison; the best of each side is shown too.
const rounds: Record<"ours" | "torch", BenchSummary>[] = [];
for (let round = 1; round <= Number(args.rounds); round++) {
  const sides = [["ours", ours], ["torch", torch]] as const;
  const measured: Partial<Record<"ours" | "torch", BenchSummary>> = {};
  for (const [side, command] of round % 2 ? sides : [...sides].reverse()) {
    console.error(`round ${round}: ${side}...`);
    measured[side] = await runJson(command);
  }
  rounds.push(measured as Record<"ours" | "torch", BenchSummary>);
}
/** A summary's rate for one measure: a batch size's training, or prediction (null). */
const rate = (s: BenchSummary, batch: number | null) =>
  batch === null
    ? s.predict.samplesPerSecond
    : s.results.find((x) => x.batchSize === batch)!.samplesPerSecond;
const measures = [
  ...rounds[0].ours.results.map((r) => ({
    what: `training, batch ${r.batchSize} (samples/s)`,
    batch: r.batchSize as number | null,
  })),
  { what: "prediction, batch 1,024 (rows/s)", batch: null },
];
const rows = measures.map(({ what, batch }) => {
  const ratios = rounds.map((r) => rate(r.ours, batch) / rate(r.torch, batch));
  return {
    what,
    ours: Math.max(...rounds.map((r) => rate(r.ours, batch))),
    torch: Math.max(...rounds.map((r) => rate(r.torch, batch))),
    ratios,
    medianRatio: median(ratios),
  };
});
const devices = { ours: rounds[0].ours.device, torch: rounds[0].torch.device };
if (args.json) {
  console.log(JSON.stringify({ ...devices, threads: Number(args.threads), rows }));
} else {
  console.log(
    `ours: ${devices.ours}; PyTorch: ${devices.torch}; ${args.threads} threads each; ` +
      `${args.rounds} rounds, each side once a round, back to back`,
  );
  console.log(
    "| measure | ours, best | PyTorch, best | ours / PyTorch, median of rounds | rounds |",
  );
  console.log("| --- | ---: | ---: | ---: | --- |");
  for (const r of rows) {
    console.log(
      `| ${r.what} | ${r.ours.toFixed(1)} | ${r.torch.toFixed(1)} | ${r.medianRatio.toFixed(2)} | ${
        r.ratios.map((x) => x.toFixed(2)).join(", ")
      } |`,
    );
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b), mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function runJson(command: readonly string[]): Promise<BenchSummary> {
  const out = await new Deno.Command(command[0], {
    args: command.slice(1),
    stdout: "piped",
    stderr: "inherit",
    env: { OMP_NUM_THREADS: args.threads, REDSHIFT_BLAS_THREADS: args.threads },
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  if (!out.success) fail(`${command.join(" ")} failed (exit ${out.code})`);
  try {
    return JSON.parse(text) as BenchSummary;
  } catch {
    fail(`${command.join(" ")} printed no JSON summary: ${text.slice(0, 200)}`);
  }
}

function fail(message: string): never {
  console.error(`bench:torch: ${message}`);
  Deno.exit(2);
}
