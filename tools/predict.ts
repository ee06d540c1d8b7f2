/**
 * Predicts redshifts for a catalogue of spectra with a saved model.
 *
 *   deno task predict --model DIR --in FILE --out FILE [--batch N] [--backend webgpu|cpu] ...
 *
 * See `--help` for every flag and the exit codes.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { formatBackendReport, selectBackend } from "../lib/backend/mod.ts";
import {
  CatalogueInputError,
  CatalogueInterrupted,
  CatalogueOutputError,
  DEFAULT_OOD_RULE,
  describeReject,
  formatCatalogueSummary,
  predictCatalogue,
} from "../lib/catalogue/mod.ts";
import { loadModel, ModelFolderError } from "../lib/runs/mod.ts";

/** Exit codes a shell script can rely on. */
const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  model: 3,
  input: 4,
  output: 5,
  interrupted: 130,
} as const;

const HELP = `usage: deno task predict --model DIR --in FILE --out FILE [options]

Predicts the redshift of every spectrum in FILE with the model saved in DIR.

Input (--in): CSV or Parquet, by extension (.csv, .parquet or .pq). Each row holds
the 186 fluxes; a "z" column (true redshift) and an "id" column are optional and
found by name in a header. A CSV without a header is read by its column count:
186 (fluxes), 187 (z, fluxes: the dissertation's layout) or 188 (id, z, fluxes).
Other columns in a header are ignored (and named in the summary).

Output (--out): CSV or Parquet, by extension, with the columns
  id         the input's id, or the 1-based data row number without an id column
  z_pred     predicted redshift
  z_true, error (z_pred - z_true), dz_norm (error / (1 + z_true))   when the input has z
  ood        true when the spectrum lies far outside the model's training range (see below)
  n_outside  fluxes outside their column's training range widened by --ood-margin
It is written under a temporary name beside FILE and renamed at the end: an
interrupted or failed run leaves no file at FILE (an existing FILE stays as it was).
Bad rows (wrong column count, missing or non-numeric value, NaN, Inf) are not
predicted: each is reported on standard error (the first 10), listed in
FILE.rejects.csv (row, id, column, reason; always written, header only when none)
and counted in the summary.

Options:
  --model DIR          model folder (deno task main) or ensemble folder (deno task ensemble;
                       adds z_err, the calibrated 1-sigma spread of its members) [required]
  --in FILE            input catalogue                                       [required]
  --out FILE           output file; must differ from --in                     [required]
  --batch N            rows per prediction batch (default 1024)
  --chunk N            rows read and written at a time (default 16384); memory grows with it
  --backend B          webgpu or cpu (default: webgpu when an adapter exists, else cpu;
                       or $REDSHIFT_BACKEND)
  --strict             stop at the first bad row (exit 4, no output written)
  --id-column NAME     name of the id column in the header (default id)
  --z-column NAME      name of the true-redshift column in the header (default z)
  --rejects FILE       where to list bad rows (default OUT.rejects.csv)
  --ood-margin X       widening of each flux column's training range, as a share
                       of the range (default ${DEFAULT_OOD_RULE.margin})
  --ood-max-outside N  a row with more than N fluxes outside the widened range is
                       flagged ood (default ${DEFAULT_OOD_RULE.maxOutside}, about 10 % of 186)
  --ood-far X          one flux more than X ranges beyond its column's range flags
                       the row (default ${DEFAULT_OOD_RULE.far})
  --quiet              no progress and no summary (errors are still printed)
  --progress           show progress on standard error even when it is not a terminal
  -h, --help           this text

Progress (rows done, rows/s, time left) goes to standard error when it is a
terminal. The summary goes to standard output; when the input has z it includes
MAE, bias, sigma_NMAD, the outlier fraction and the errors per redshift bin.

Exit codes:
  0    output written (bad rows, if any, are listed in the rejects file)
  1    unexpected internal error
  2    usage error (unknown or missing flag, bad value, unknown extension)
  3    the model folder is missing or damaged
  4    the input cannot be read or has no usable layout; or, with --strict, a bad row
  5    the output or rejects file cannot be written
  130  interrupted (SIGINT or SIGTERM); temporary files removed, no output written
`;

function fail(code: number, message: string): never {
  console.error(`predict: ${message}`);
  Deno.exit(code);
}

let args;
try {
  args = parseArgs({
    args: Deno.args,
    strict: true,
    allowPositionals: false,
    options: {
      model: { type: "string" },
      in: { type: "string" },
      out: { type: "string" },
      batch: { type: "string" },
      chunk: { type: "string" },
      backend: { type: "string" },
      strict: { type: "boolean" },
      "id-column": { type: "string" },
      "z-column": { type: "string" },
      rejects: { type: "string" },
      "ood-margin": { type: "string" },
      "ood-max-outside": { type: "string" },
      "ood-far": { type: "string" },
      quiet: { type: "boolean" },
      progress: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
} catch (e) {
  fail(EXIT.usage, `${(e as Error).message}\n${HELP.split("\n")[0]} (see --help)`);
}
if (args.help) {
  console.log(HELP);
  Deno.exit(EXIT.ok);
}
for (const flag of ["model", "in", "out"] as const) {
  if (!args[flag]) fail(EXIT.usage, `--${flag} is required (see --help)`);
}
const number = (flag: string, text: string | undefined, integer: boolean, min: number) => {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    fail(EXIT.usage, `--${flag} ${text}: expected ${integer ? "an integer" : "a number"} ≥ ${min}`);
  }
  return v;
};
const batchSize = number("batch", args.batch, true, 1);
const chunkRows = number("chunk", args.chunk, true, 1);
const ood = {
  margin: number("ood-margin", args["ood-margin"], false, 0),
  maxOutside: number("ood-max-outside", args["ood-max-outside"], true, 0),
  far: number("ood-far", args["ood-far"], false, 0),
};
if (args.backend !== undefined && args.backend !== "webgpu" && args.backend !== "cpu") {
  fail(EXIT.usage, `--backend ${args.backend}: expected webgpu or cpu`);
}
for (const flag of ["in", "out"] as const) {
  if (!/\.(csv|parquet|pq)$/i.test(args[flag]!)) {
    fail(EXIT.usage, `--${flag} ${args[flag]}: expected a .csv or .parquet file`);
  }
}

const quiet = Boolean(args.quiet);
const showProgress = !quiet && (args.progress || Deno.stderr.isTerminal());
const encoder = new TextEncoder();
const info = (text: string) => quiet || console.error(text);

const controller = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    if (controller.signal.aborted) Deno.exit(EXIT.interrupted); // a second signal: leave now
    controller.abort();
  });
}

try {
  const backend = await selectBackend({ backend: args.backend as "webgpu" | "cpu" | undefined });
  info(`backend: ${formatBackendReport(backend)}`);
  const model = await loadModel(args.model!);
  let shown = 0;
  const summary = await predictCatalogue(model, args.in!, args.out!, {
    batchSize,
    chunkRows,
    strict: args.strict,
    idColumn: args["id-column"],
    zColumn: args["z-column"],
    rejectsPath: args.rejects,
    ood: Object.fromEntries(Object.entries(ood).filter(([, v]) => v !== undefined)),
    signal: controller.signal,
    onReject: (bad) => {
      if (shown++ < 10) {
        if (showProgress) Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
        console.error(`predict: ${args.in}: bad ${describeReject(bad)}`);
      }
    },
    onProgress: (p) => {
      if (!showProgress) return;
      const left = Number.isFinite(p.secondsLeft) ? `${Math.round(p.secondsLeft)} s left` : "";
      const line = `${p.rowsDone.toLocaleString("en")} / ~${p.rowsTotal.toLocaleString("en")} ` +
        `rows (${(100 * p.fraction).toFixed(1)} %), ${Math.round(p.rowsPerSecond)} rows/s, ${left}`;
      Deno.stderr.writeSync(encoder.encode(`\r${line}\x1b[K`));
    },
  });
  if (showProgress) Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
  if (shown > 10) info(`predict: … and ${shown - 10} more bad rows in ${summary.rejectsPath}`);
  if (!quiet) console.log(formatCatalogueSummary(summary));
  Deno.exit(EXIT.ok);
} catch (e) {
  if (showProgress) Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
  const message = (e as Error).message;
  if (e instanceof CatalogueInterrupted) fail(EXIT.interrupted, message);
  if (e instanceof ModelFolderError) fail(EXIT.model, `model: ${message}`);
  if (e instanceof CatalogueInputError) fail(EXIT.input, message);
  if (e instanceof CatalogueOutputError) fail(EXIT.output, message);
  if (e instanceof RangeError) fail(EXIT.usage, message);
  console.error(e);
  fail(EXIT.internal, `unexpected error: ${message}`);
}
