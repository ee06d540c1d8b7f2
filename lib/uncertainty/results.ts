/**
 * Scoring an ensemble's error bars on the test galaxies (raw spread, spread scaled on validation,
 * and one validation-fitted constant σ around the ensemble mean and around one member), and the
 * results files of larger runs (`deno task ensemble`), committed under `results/uncertainty/` for
 * notebook 06.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { type RedshiftMetrics, redshiftMetrics } from "../metrics.ts";
import { fixed, markdownTable } from "../tables.ts";
import type { XY } from "../train.ts";
import {
  type CalibrationReport,
  calibrationReport,
  ensembleCrps,
  fitStdScale,
} from "./calibration.ts";
import { type Ensemble, predictWithUncertainty, type UncertainPrediction } from "./ensemble.ts";

/** Version of the results file. */
export const UNCERTAINTY_RESULTS_VERSION = 1;

/** Folder of the committed results of larger runs, one `<profile>.json` each. */
export const UNCERTAINTY_RESULTS_DIR: string = fromFileUrl(
  new URL("../../results/uncertainty/", import.meta.url),
);

/** What an ensemble's error bars achieve on the test galaxies. */
export interface EnsembleEvaluation {
  members: number;
  /** Validation-fitted factor of the members' spread. */
  stdScale: number;
  /** Validation-fitted constant σ of the single-member baseline. */
  baselineStd: number;
  /** Validation-fitted constant σ around the ensemble mean (absent from older results files). */
  ensembleBaselineStd?: number;
  /** Point-prediction metrics of the ensemble mean and of member 1 alone. */
  metrics: { ensemble: RedshiftMetrics; single: RedshiftMetrics };
  /** CRPS of the members taken as an empirical distribution (no Gaussian assumed). */
  empiricalCrps: number;
  calibration: {
    raw: CalibrationReport;
    recalibrated: CalibrationReport;
    singleConstant: CalibrationReport;
    /** The ensemble mean with a constant σ, the fair baseline (absent from older files). */
    ensembleConstant?: CalibrationReport;
  };
}

/** A results file: the evaluation plus how, where and how long the run was. */
export interface UncertaintyResults extends EnsembleEvaluation {
  formatVersion: number;
  profile: string;
  command: string;
  /** Commit of the sitting that wrote the file (resumed members' commits are in the run's log). */
  commit: string;
  /** Backend and device, e.g. `webgpu (NVIDIA H100 …)`. */
  device: string;
  startedAt: string;
  galaxies: { train: number; validation: number; test: number };
  epochs: number;
  batchSize: number;
  /** Model parameters per member. */
  parameters: number;
  /** Seconds of the sitting that wrote the file, of each member (every sitting), of evaluation. */
  wallSeconds: { total: number; members: number[]; evaluation: number };
}

/** Scores `ensemble` on `data.test` (baselines fitted on `data.validation`) and its prediction. */
export async function evaluateEnsemble(
  ensemble: Ensemble,
  data: { validation: XY; test: XY },
): Promise<{ evaluation: EnsembleEvaluation; test: UncertainPrediction }> {
  const val = await predictWithUncertainty(ensemble, data.validation.x);
  const test = await predictWithUncertainty(ensemble, data.test.x);
  const y = data.test.y, single = test.members[0];
  const constant = (n: number, std: number) => new Float64Array(n).fill(std);
  // One σ for every galaxy, fitted on validation around the given means.
  const constantStd = (mean: Float32Array) =>
    fitStdScale(data.validation.y, { mean, std: constant(mean.length, 1) });
  const baselineStd = constantStd(val.members[0]), ensembleBaselineStd = constantStd(val.mean);
  const report = (mean: Float32Array, std: ArrayLike<number>) =>
    calibrationReport(y, { mean, std });
  return {
    evaluation: {
      members: ensemble.models.length,
      stdScale: ensemble.stdScale,
      baselineStd,
      ensembleBaselineStd,
      metrics: { ensemble: redshiftMetrics(y, test.mean), single: redshiftMetrics(y, single) },
      empiricalCrps: ensembleCrps(y, test.members),
      calibration: {
        raw: report(test.mean, test.rawStd),
        recalibrated: report(test.mean, test.std),
        singleConstant: report(single, constant(y.length, baselineStd)),
        ensembleConstant: report(test.mean, constant(y.length, ensembleBaselineStd)),
      },
    },
    test,
  };
}

/** The results files committed under {@link UNCERTAINTY_RESULTS_DIR}, by profile name. */
export async function readCommittedUncertaintyResults(
  dir: string = UNCERTAINTY_RESULTS_DIR,
): Promise<UncertaintyResults[]> {
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".json"))
      .map((e) => e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  const found: UncertaintyResults[] = [];
  for (const name of names.sort()) {
    const json = JSON.parse(await Deno.readTextFile(`${dir}/${name}`)) as UncertaintyResults;
    if (json.formatVersion !== UNCERTAINTY_RESULTS_VERSION) {
      throw new Error(`${dir}/${name}: results version ${json.formatVersion}, expected 1`);
    }
    found.push(json);
  }
  return found;
}

/** The calibration of one or more evaluations as a Markdown table, one row per prediction. */
export function calibrationTable(
  rows: readonly { label: string; evaluation: EnsembleEvaluation }[],
): string {
  return markdownTable(
    ["run", "prediction", "MAE", "68 % coverage", "95 % coverage", "CRPS", "NLL", "median σ"],
    rows.flatMap(({ label, evaluation: e }) => {
      const { raw, recalibrated, ensembleConstant, singleConstant } = e.calibration;
      const mae = e.metrics.ensemble.mae, ensemble = `ensemble of ${e.members}`;
      const lines: [string, number, CalibrationReport][] = [
        [`${ensemble}, raw spread`, mae, raw],
        [`${ensemble}, spread × ${e.stdScale.toFixed(2)}`, mae, recalibrated],
      ];
      if (ensembleConstant && e.ensembleBaselineStd !== undefined) {
        const name = `ensemble mean, constant σ = ${e.ensembleBaselineStd.toFixed(4)}`;
        lines.push([name, mae, ensembleConstant]);
      }
      const one = `one network, constant σ = ${e.baselineStd.toFixed(4)}`;
      lines.push([one, e.metrics.single.mae, singleConstant]);
      return lines.map(([name, lineMae, r]) => [
        label,
        name,
        fixed(lineMae),
        pct(r.coverage[0], 1),
        pct(r.coverage[1], 1),
        fixed(r.crps, 5),
        fixed(r.nll, 3),
        fixed(r.medianStd),
      ]);
    }),
  );
}

/** Coverage per redshift bin of one or more predictions as a Markdown table. */
export function coverageByBinTable(
  series: readonly { label: string; report: CalibrationReport }[],
): string {
  const first = series[0]?.report;
  if (!first) throw new RangeError("no coverage to tabulate");
  const levels = first.levels.map((l) => `${Math.round(100 * l)} %`);
  return markdownTable(
    [
      "z bin",
      "n",
      ...series.flatMap((s) => levels.map((l) => `${s.label}: ${l}`)),
      ...series.map((s) => `${s.label}: mean σ`),
    ],
    first.byBin.flatMap((r, b) =>
      r.n === 0 ? [] : [[
        `${r.zLow.toFixed(2)}–${r.zHigh.toFixed(2)}`,
        r.n,
        ...series.flatMap((s) => s.report.byBin[b].coverage.map((c) => pct(c))),
        ...series.map((s) => fixed(s.report.byBin[b].meanStd)),
      ]]
    ),
  );
}

function pct(x: number, digits = 0): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(digits)} %` : "–";
}
