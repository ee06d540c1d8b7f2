/**
 * Ours against PyTorch on the same machine, in one run: training samples/s at each batch size and
 * prediction rows/s of the full network at each of a few batch sizes, side by side with the ratio;
 * then prediction with each side at its own best batch size, as a user who tuned it would.
 *
 *   deno task bench:torch [--batches 16,256] [--samples 1024] [--predict 4096]
 *                         [--predict-batches 64,128,256,512,1024] [--rounds 5]
 *                         [--backend auto|cpu-blas|cpu|webgpu] [--threads N] [--narrow] [--json]
 *
 * It runs `tools/bench/train.ts` (the library's own `train()` and `predict()`, on the backend the
 * ladder picks unless `--backend` says; it prints that backend as it starts) and
 * `tools/bench/torch_reference.py` (the same network and recipe in PyTorch eager) as separate
 * processes, both once in each of `--rounds` rounds, back to back and in alternating order, and
 * compares them within each round: the table gives each side's best, the median of the rounds'
 * ratios and every round's ratio. The last row takes, in each round, each side's fastest
 * prediction batch. The task installs OpenBLAS (the fast CPU path) and this script Debian's
 * `python3-torch` when missing. Both sides run on the same `--threads` (default: the machine's cores):
 * `$OMP_NUM_THREADS` for PyTorch, `$REDSHIFT_BLAS_THREADS` for ours. Results are recorded in
 * docs/performance.md. Smallest run, to check that it works: `--narrow --batches 16 --samples 16
 * --predict 64 --predict-batches 16,32 --rounds 1`.
 *
 * @module
 */
import { parseToolArgs, positiveInteger, positiveIntegers } from "../_args.ts";
import { median } from "../../lib/metrics.ts";
import { benchFile, plainTable, requireTorch, runJsonLine } from "./_bench.ts";

const args = parseToolArgs("bench:torch", {
  batches: { type: "string", default: "16,256" },
  samples: { type: "string", default: "1024" },
  predict: { type: "string", default: "4096" },
  "predict-batches": { type: "string", default: "64,128,256,512,1024" },
  rounds: { type: "string", default: "5" },
  backend: { type: "string", default: "auto" },
  threads: { type: "string", default: String(navigator.hardwareConcurrency || 1) },
  narrow: { type: "boolean", default: false },
  json: { type: "boolean", default: false },
}, import.meta);
for (const flag of ["samples", "predict", "rounds", "threads"] as const) {
  positiveInteger(`--${flag}`, args[flag]);
}
positiveIntegers("--batches", args.batches);
positiveIntegers("--predict-batches", args["predict-batches"]);

interface Rate {
  batchSize: number;
  samplesPerSecond: number;
}
interface BenchSummary {
  device: string;
  results: Rate[];
  predict: { batches: Rate[] };
}
type Side = "ours" | "torch";
const BEST = "prediction, each side at its best batch (rows/s)";

await requireTorch();
const common = [
  ...["--batches", args.batches, "--samples", args.samples, "--min-steps", "4"],
  ...["--predict", args.predict, "--predict-batches", args["predict-batches"], "--json"],
  ...(args.narrow ? ["--narrow"] : []),
];
const commands: Record<Side, string[]> = {
  ours: [
    ...[Deno.execPath(), "run", "-A", benchFile("train.ts"), ...common],
    ...(args.backend === "auto" ? [] : ["--backend", args.backend]),
  ],
  torch: ["/usr/bin/python3", benchFile("torch_reference.py"), ...common],
};
const env = { OMP_NUM_THREADS: args.threads, REDSHIFT_BLAS_THREADS: args.threads };

// Each round runs both sides back to back, the first side alternating, and its ratio is taken
// within the round: a shared machine's speed wanders over minutes (a GEMM's rate halved and came
// back during one session here), so rates of different rounds compare the machine as much as the
// code. The median of the rounds' ratios is the comparison; the best of each side is shown too.
const rounds: Record<Side, Map<string, Rate>>[] = [];
let devices = { ours: "", torch: "" };
for (let round = 1; round <= Number(args.rounds); round++) {
  const measured = {} as Record<Side, Map<string, Rate>>;
  for (const side of (round % 2 ? ["ours", "torch"] : ["torch", "ours"]) as Side[]) {
    console.error(`round ${round}: ${side}...`);
    const summary = await runJsonLine<BenchSummary>(commands[side], { env });
    devices = { ...devices, [side]: summary.device };
    measured[side] = ratesOf(summary);
  }
  rounds.push(measured);
}

const rows = [...rounds[0].ours.keys()].map((what) => {
  const ratios = rounds.map((r) =>
    r.ours.get(what)!.samplesPerSecond / r.torch.get(what)!.samplesPerSecond
  );
  const best = (side: Side) => fastest(rounds.map((r) => r[side].get(what)!));
  return { what, ours: best("ours"), torch: best("torch"), ratios, medianRatio: median(ratios) };
});
if (args.json) {
  console.log(JSON.stringify({ ...devices, threads: Number(args.threads), rows }));
} else {
  const cell = (what: string, r: Rate) =>
    r.samplesPerSecond.toFixed(1) + (what === BEST ? ` (batch ${r.batchSize})` : "");
  console.log(
    `ours: ${devices.ours}; PyTorch: ${devices.torch}; ${args.threads} threads each; ` +
      `${args.rounds} rounds, each side once a round, back to back`,
  );
  const header = ["measure", "ours, best", "PyTorch, best", "ours / PyTorch, median of rounds"];
  const table = plainTable(
    [...header, "rounds"],
    rows.map((r) => [
      r.what,
      cell(r.what, r.ours),
      cell(r.what, r.torch),
      r.medianRatio.toFixed(2),
      r.ratios.map((x) => x.toFixed(2)).join(", "),
    ]),
    ["---", "---:", "---:", "---:", "---"],
  );
  console.log(table);
}

/** One run's rates by measure; the best prediction batch under {@link BEST}. */
function ratesOf(s: BenchSummary): Map<string, Rate> {
  const rates = new Map<string, Rate>();
  const rate = ({ batchSize, samplesPerSecond }: Rate) => ({ batchSize, samplesPerSecond });
  for (const r of s.results) rates.set(`training, batch ${r.batchSize} (samples/s)`, rate(r));
  for (const r of s.predict.batches) {
    rates.set(`prediction, batch ${r.batchSize} (rows/s)`, rate(r));
  }
  return rates.set(BEST, rate(fastest(s.predict.batches)));
}

function fastest(rates: Rate[]): Rate {
  return rates.reduce((a, b) => b.samplesPerSecond > a.samplesPerSecond ? b : a);
}
