/**
 * Ours against PyTorch on the same machine, in one run: training samples/s at each batch size and
 * prediction rows/s of the full network, side by side with the ratio.
 *
 *   deno task bench:torch [--batches 16,256] [--samples 1024] [--predict 4096] [--rounds 2]
 *                         [--backend auto|cpu-blas|cpu|webgpu] [--threads N] [--narrow] [--json]
 *
 * It runs `tools/bench/train.ts` (the library's own `train()` and `predict()`, on the backend the
 * ladder picks unless `--backend` says) and `tools/bench/torch_reference.py` (the same network and
 * recipe in PyTorch eager) as separate processes, alternating for `--rounds` rounds so that load
 * from elsewhere falls on both alike, and keeps each side's best. Installs Debian's
 * `python3-torch` first if PyTorch is missing. Both sides run on the same `--threads` (default:
 * the machine's cores): `$OMP_NUM_THREADS` for PyTorch, `$REDSHIFT_BLAS_THREADS` for ours. Results are recorded in docs/performance.md.
 *
 * @module
 */
import { parseToolArgs } from "../_args.ts";
import { installSystemPart } from "../_system.ts";

const USAGE = `usage: deno task bench:torch [--batches 16,256] [--samples 1024] [--predict 4096]
                            [--rounds 2] [--backend auto|cpu-blas|cpu|webgpu] [--threads N]
                            [--narrow] [--json]`;

const args = parseToolArgs("bench:torch", {
  batches: { type: "string", default: "16,256" },
  samples: { type: "string", default: "1024" },
  predict: { type: "string", default: "4096" },
  rounds: { type: "string", default: "2" },
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

const best: Record<"ours" | "torch", BenchSummary | undefined> = {
  ours: undefined,
  torch: undefined,
};
for (let round = 1; round <= Number(args.rounds); round++) {
  for (const [side, command] of [["ours", ours], ["torch", torch]] as const) {
    console.error(`round ${round}: ${side}...`);
    const summary = await runJson(command);
    best[side] = keepBest(best[side], summary);
  }
}
const o = best.ours!, t = best.torch!;
const rows = o.results.map((r) => {
  const ref = t.results.find((x) => x.batchSize === r.batchSize)!;
  return {
    what: `training, batch ${r.batchSize} (samples/s)`,
    ours: r.samplesPerSecond,
    torch: ref.samplesPerSecond,
  };
});
rows.push({
  what: "prediction, batch 1,024 (rows/s)",
  ours: o.predict.samplesPerSecond,
  torch: t.predict.samplesPerSecond,
});
if (args.json) {
  console.log(
    JSON.stringify({ ours: o.device, torch: t.device, threads: Number(args.threads), rows }),
  );
} else {
  console.log(
    `ours: ${o.device}; PyTorch: ${t.device}; ${args.threads} threads each; ` +
      `best of ${args.rounds} alternating rounds`,
  );
  console.log("| measure | ours | PyTorch | ours / PyTorch |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const r of rows) {
    console.log(
      `| ${r.what} | ${r.ours.toFixed(1)} | ${r.torch.toFixed(1)} | ${
        (r.ours / r.torch).toFixed(2)
      } |`,
    );
  }
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

/** Each measurement's best (highest rate) of two summaries of the same side. */
function keepBest(a: BenchSummary | undefined, b: BenchSummary): BenchSummary {
  if (!a) return b;
  return {
    device: b.device,
    results: b.results.map((r) => {
      const old = a.results.find((x) => x.batchSize === r.batchSize);
      return old && old.samplesPerSecond > r.samplesPerSecond ? old : r;
    }),
    predict: a.predict.samplesPerSecond > b.predict.samplesPerSecond ? a.predict : b.predict,
  };
}

function fail(message: string): never {
  console.error(`bench:torch: ${message}`);
  Deno.exit(2);
}
