/**
 * Compares run folders (`deno task main`'s OUT) with each other and with the dissertation: the
 * test metrics, then the mean error per 0.05 bin of true z beside Table 3 (issue 17's per-bin
 * table in data/README.md is printed by this).
 *
 * `deno run -A tools/compare_runs.ts --run LABEL=DIR[@α] [--run LABEL=DIR[@α] …]`
 *
 * @module
 */
import { EXIT, fail, parseToolArgs, runTool, usage } from "./_cli.ts";
import { errorsByBin, redshiftMetrics } from "../lib/metrics.ts";
import { PUBLISHED_ERRORS_BY_BIN, PUBLISHED_RESULTS } from "../lib/published.ts";
import {
  ALPHA_GRID,
  loadAlphaMeans,
  loadRunArtifact,
  type RunArtifact,
  sameIds,
} from "../lib/runs/run_folder.ts";
import { fixed, markdownTable } from "../lib/tables.ts";

const HELP = `usage: deno run -A tools/compare_runs.ts --run LABEL=DIR[@α] [--run LABEL=DIR[@α] …]

Prints, for each run folder (deno task main's --out), its galaxies, epochs and test metrics,
then the mean error (z_pred − z_true) per 0.05 bin of true z beside the dissertation's Table 3.
DIR@α scores a PDF head's run by its PDF means at that α (0, 0.1, …, 1; its alpha_means.csv)
rather than by its predictions.csv (α = 0).

Exit codes: 0 done, 2 usage, 4 a run folder is missing or damaged.`;

await runTool("compare_runs", async () => {
  const args = parseToolArgs("compare_runs", { run: { type: "string", multiple: true } }, HELP);
  if (!args.run?.length) usage("name at least one --run LABEL=DIR");
  const runs: { label: string; artifact: RunArtifact }[] = [];
  for (const spec of args.run) {
    const at = spec.indexOf("=");
    if (at < 1) usage(`--run ${spec}: expected LABEL=DIR`);
    const [dir, alpha] = spec.slice(at + 1).split(/@(?=[^@/]*$)/);
    const column = alpha === undefined ? null : ALPHA_GRID.indexOf(alpha.trim() ? +alpha : NaN);
    if (column === -1) usage(`${spec}: α is one of ${ALPHA_GRID.join(", ")}`);
    const artifact = await loadRunArtifact(dir).catch((e) =>
      fail(EXIT.input, (e as Error).message)
    );
    if (column !== null) artifact.test.zPred = await meansAt(artifact, column);
    runs.push({ label: spec.slice(0, at), artifact });
  }
  console.log(metricsTable(runs));
  console.log();
  console.log(binsTable(runs));
});

/** A PDF head's test means at α = ALPHA_GRID[column], from its `alpha_means.csv`. */
async function meansAt({ dir, test }: RunArtifact, column: number): Promise<Float32Array> {
  const means = await loadAlphaMeans(dir).catch((e) => fail(EXIT.input, (e as Error).message));
  if (!means) fail(EXIT.input, `${dir}: no alpha_means.csv (only a PDF head's run has one)`);
  if (!sameIds(means.ids, test.ids)) {
    fail(EXIT.input, `${dir}: alpha_means.csv's ids are not predictions.csv's`);
  }
  return Float32Array.from(means.means[column]);
}

function metricsTable(runs: { label: string; artifact: RunArtifact }[]): string {
  const rows = runs.map(({ label, artifact: { run, history, test } }) => {
    const m = redshiftMetrics(test.zTrue, test.zPred);
    return [
      label,
      run.galaxies.toLocaleString("en"),
      `${run.evaluatedEpoch} of ${history.length}`,
      test.zTrue.length.toLocaleString("en"),
      fixed(m.mae),
      (m.rmse / m.mae).toFixed(2),
      fixed(m.sigmaNmad),
      `${(100 * m.outlierFraction).toFixed(2)} %`,
    ];
  });
  const p = PUBLISHED_RESULTS;
  rows.push([
    "dissertation",
    "520,393",
    `${p.epochs}`,
    p.testGalaxies.toLocaleString("en"),
    fixed(p.testMae, 3),
    "–",
    "–",
    "–",
  ]);
  return markdownTable(
    ["run", "galaxies", "epochs", "test galaxies", "MAE", "RMSE/MAE", "σ_NMAD", "|Δz| > 0.15"],
    rows,
  );
}

function binsTable(runs: { label: string; artifact: RunArtifact }[]): string {
  const perRun = runs.map(({ artifact: { test } }) => errorsByBin(test.zTrue, test.zPred));
  const rows = PUBLISHED_ERRORS_BY_BIN.map((published, b) => [
    `${published.zLow.toFixed(2)}–${published.zHigh.toFixed(2)}`,
    ...perRun.map((bins) => bins[b].n >= 10 ? signed(bins[b].meanError) : "–"),
    signed(published.meanError),
  ]);
  return markdownTable(
    ["true z", ...runs.map((r) => `${r.label}: mean error`), "Table 3: mean error"],
    rows,
  );
}

/** `x` to 3 decimals with its sign (+0.012, −0.046); one that rounds to zero is 0.000. */
function signed(x: number): string {
  const text = Math.abs(x).toFixed(3);
  return text === "0.000" ? text : (x > 0 ? "+" : "−") + text;
}
