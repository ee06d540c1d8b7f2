/**
 * Predicts redshifts for a catalogue of spectra with a saved model.
 *
 *   deno task predict --model DIR --in FILE --out FILE [--batch N] [--backend webgpu|cpu-blas|cpu] ...
 *
 * See `--help` for every flag and the exit codes.
 *
 * @module
 */
import { formatBackendReport, selectBackend } from "../lib/backend/mod.ts";
import {
  checkAlphaFits,
  checkCataloguePaths,
  DEFAULT_OOD_RULE,
  describeReject,
  formatCatalogueSummary,
  predictCatalogue,
} from "../lib/catalogue/mod.ts";
import {
  checkBackendName,
  checkTableFile,
  EXIT,
  exitCodeOf,
  exitWithError,
  fail,
  optionalInteger,
  parseToolArgs,
  statusLine,
  stringFlags,
  usage,
} from "./_cli.ts";

/** Most rows per read chunk: memory grows with it (about 750 bytes a row, and more in flight). */
const MAX_CHUNK = 1_048_576;
/** Most rows per prediction batch: the network's activations grow with it. */
const MAX_BATCH = 65_536;

const HELP = `usage: deno task predict --model DIR --in FILE --out FILE [options]

Predicts the redshift of every spectrum in FILE with the model saved in DIR.

Input (--in): CSV or Parquet, by extension (.csv, .parquet or .pq). Each row holds
the 186 fluxes; a "z" column (true redshift) and an "id" column are optional and
found by name in a header. A CSV without a header is read by its column count:
186 (fluxes), 187 (z, fluxes: the dissertation's layout) or 188 (id, z, fluxes).
Other columns in a header are ignored (and named in the summary).

Output (--out): CSV or Parquet, by extension, with the columns
  id         the input's id, or the 1-based data row number without an id column
  z_pred     predicted redshift (for a model with a PDF head, the PDF's mean)
  z_mean, z_median, z_mode   a PDF head's mean (equal to z_pred), median and mode
  z_lo68, z_hi68   a PDF head's central 68 % interval (its 16 % and 84 % quantiles)
  z_true, error (z_pred - z_true), dz_norm (error / (1 + z_true))   when the input has z
  ood        true when the spectrum lies far outside the model's training range (see below)
  n_outside  fluxes outside their column's training range widened by --ood-margin
It is written under a temporary name beside FILE and renamed at the end: an
interrupted or failed run leaves no file at FILE (an existing FILE stays as it was).
Bad rows (wrong column count, missing or non-numeric value, NaN, Inf, a value
beyond the float32 range, z outside (-1, 3), or a prediction that is not a
finite number) are not predicted: each is reported on standard error (the first
10), listed in FILE.rejects.csv (row, id, column, reason; always written, header
only when none) and counted in the summary. Output and rejects file are put in
place together at the end, or neither is.

Before any work, --out and --rejects are checked: they must differ from --in,
from each other and from every file in the model folder (compared by real path,
links included), and both must be writable; otherwise nothing is done (exit 5).

A CSV header is recognised by its names (z, id, flux_0, ... or the names given
with --id-column/--z-column; or a first line made of names only), never by
whether a value is a number: a first line of data is always read as data.
Quoted fields follow RFC 4180 (commas, quotes and line breaks inside quotes).
In CSV outputs, an id (or other text) that begins with =, +, -, @, a tab or a
carriage return and is not a plain number gets a leading ' so that spreadsheets
do not run it as a formula; Parquet outputs keep ids exactly.

Options:
  --model DIR          model folder (deno task main) or ensemble folder (deno task ensemble;
                       adds z_err, the recalibrated 1-sigma spread of its members) [required]
  --in FILE            input catalogue                                       [required]
  --out FILE           output file; must differ from --in                     [required]
  --alpha A            for a model with a PDF head (a classification head: modelConfig.pdfBins
                       in its config.json), divide each PDF by the training distribution of
                       z raised to A, a number from 0 to 1, and renormalise it before it is
                       summarised (default 0: the PDFs as predicted; 1 divides out the whole
                       training distribution). A > 0 needs the distribution in the model
                       folder (config.json's run.trainingPrior); refused (exit 2) for a model
                       without a PDF head
  --batch N            rows per prediction batch (default 1024, at most ${MAX_BATCH})
  --chunk N            rows read and written at a time (default 16384, at most ${MAX_CHUNK});
                       memory grows with it
  --backend B          webgpu, cpu-blas or cpu (default: $REDSHIFT_BACKEND, else the
                       ladder: webgpu on a hardware GPU, else cpu-blas where BLAS opens, else cpu)
  --strict             stop at the first bad row (exit 4, no output written)
  --id-column NAME     name of the id column in the header (default id)
  --z-column NAME      name of the true-redshift column in the header (default z);
                       it must not be one of the flux columns
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

Numbers of rows are plain decimal integers (1e8 and 0x10 are refused).

Exit codes (the same for every tool):
  0    output written (bad rows, if any, are listed in the rejects file)
  1    unexpected internal error
  2    usage error (unknown or missing flag, bad value, unknown extension; --alpha outside
       [0, 1], or for a model without a PDF head or, above 0, without a training distribution)
  3    the model folder is missing, damaged (checksum, non-finite weights) or inconsistent
  4    the input cannot be read or has no usable layout; or, with --strict, a bad row
  5    the output or rejects file cannot be written, or would collide with another path
  130  interrupted (SIGINT or SIGTERM); temporary files removed, no output written
`;

const args = parseToolArgs("predict", {
  ...stringFlags("model", "in", "out", "batch", "chunk", "backend", "id-column", "z-column"),
  ...stringFlags("rejects", "ood-margin", "ood-max-outside", "ood-far", "alpha"),
  strict: { type: "boolean" },
  quiet: { type: "boolean" },
  progress: { type: "boolean" },
}, HELP);
for (const flag of ["model", "in", "out"] as const) {
  if (!args[flag]) usage(`--${flag} is required`);
}
/** A plain decimal number ≥ 0: digits with at most one point. */
const DECIMAL = /^[0-9]*\.?[0-9]+$|^[0-9]+\.$/;
const decimal = (flag: string, text: string | undefined) => {
  if (text === undefined) return undefined;
  const v = DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(v)) usage(`--${flag} ${text}: expected a number ≥ 0, e.g. 0.1`);
  return v;
};
const batchSize = optionalInteger("--batch", args.batch, 1, MAX_BATCH);
const chunkRows = optionalInteger("--chunk", args.chunk, 1, MAX_CHUNK);
const ood = {
  margin: decimal("ood-margin", args["ood-margin"]),
  maxOutside: optionalInteger("--ood-max-outside", args["ood-max-outside"], 0, 186),
  far: decimal("ood-far", args["ood-far"]),
};
const alpha = args.alpha === undefined ? undefined : Number(args.alpha);
if (alpha !== undefined && !(DECIMAL.test(args.alpha!) && alpha <= 1)) {
  usage(
    `--alpha ${args.alpha}: expected a number from 0 to 1, e.g. 0.5 (0 keeps the predicted ` +
      "PDFs, 1 divides out the whole training distribution)",
  );
}
checkBackendName(args.backend);
checkTableFile("--in", args.in);
checkTableFile("--out", args.out);

const quiet = Boolean(args.quiet);
const showProgress = !quiet && (args.progress || Deno.stderr.isTerminal());
const info = (text: string) => quiet || console.error(text);

const controller = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    if (controller.signal.aborted) Deno.exit(EXIT.interrupted); // a second signal: leave now
    controller.abort();
  });
}

try {
  // The paths first: nothing is loaded, selected or written before they are known to be safe.
  await checkCataloguePaths({
    model: args.model!,
    inPath: args.in!,
    outPath: args.out!,
    rejectsPath: args.rejects,
  });
  // An α the model cannot take is refused from its config.json, before the backend starts.
  if (alpha !== undefined) await checkAlphaFits(args.model!, alpha);
  const backend = await selectBackend({ backend: args.backend });
  info(`backend: ${formatBackendReport(backend)}`);
  let shown = 0;
  const summary = await predictCatalogue(args.model!, args.in!, args.out!, {
    batchSize,
    chunkRows,
    strict: args.strict,
    idColumn: args["id-column"],
    zColumn: args["z-column"],
    rejectsPath: args.rejects,
    ood: Object.fromEntries(Object.entries(ood).filter(([, v]) => v !== undefined)),
    alpha,
    signal: controller.signal,
    onReject: (bad) => {
      if (shown++ < 10) {
        if (showProgress) statusLine();
        console.error(`predict: ${args.in}: bad ${describeReject(bad)}`);
      }
    },
    onProgress: (p) => {
      if (!showProgress) return;
      const left = Number.isFinite(p.secondsLeft) ? `${Math.round(p.secondsLeft)} s left` : "";
      statusLine(
        `${p.rowsDone.toLocaleString("en")} / ~${p.rowsTotal.toLocaleString("en")} rows (${
          (100 * p.fraction).toFixed(1)
        } %), ${Math.round(p.rowsPerSecond)} rows/s, ${left}`,
      );
    },
  });
  if (showProgress) statusLine();
  if (shown > 10) info(`predict: … and ${shown - 10} more bad rows in ${summary.rejectsPath}`);
  if (!quiet) console.log(formatCatalogueSummary(summary));
  Deno.exit(EXIT.ok);
} catch (e) {
  if (showProgress) statusLine();
  // A model's problem names the model; a RangeError from the library is a bad option.
  const code = exitCodeOf(e);
  if (code === EXIT.model) fail(code, `model: ${(e as Error).message}`);
  if (code === EXIT.internal && e instanceof RangeError) fail(EXIT.usage, e.message);
  exitWithError(e);
}
