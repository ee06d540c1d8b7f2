// Page 06's sentences about the error bars quote the committed record: every coverage, count and
// share a sentence gives is computed here again from results/uncertainty/default.json (read as raw
// JSON), and an altered copy of the record makes the check fail (so the check can fail).
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { buildModel, DISSERTATION_MODEL } from "../lib/model.ts";
import { NARROW_MODEL } from "../lib/profiles.ts";
import { formatDuration } from "../lib/tables.ts";
import {
  binCoverageNote,
  committedEnsembleReport,
  coverageNote,
  crpsNote,
  ensembleTrainsNote,
  pitNote,
} from "../lib/notebook/ensemble_report.ts";
import {
  type CoverageRow,
  evaluateEnsemble,
  memberScoresFromLog,
  pitShape,
  readCommittedUncertaintyResults,
  UNCERTAINTY_RESULTS_DIR,
  type UncertaintyResults,
} from "../lib/uncertainty/mod.ts";

const RECORD = `${UNCERTAINTY_RESULTS_DIR}/default.json`;
const raw = async () => JSON.parse(await Deno.readTextFile(RECORD)) as UncertaintyResults;
const pct1 = (x: number) => `${(100 * x).toFixed(1)} %`;

function assertQuotes(text: string, facts: string[]): void {
  for (const fact of facts) assert.ok(text.includes(fact), `the page does not quote: ${fact}`);
}

/** The record's overall coverage, as page 06 must quote it. */
function coverageFacts(r: UncertaintyResults): string[] {
  const c = r.calibration;
  return [
    `(${r.calibration.recalibrated.n.toLocaleString("en")} test galaxies)`,
    `raw spread covers ${pct1(c.raw.coverage[0])}`,
    `Scaled by ${r.stdScale.toFixed(2)}`,
    `it covers ${pct1(c.recalibrated.coverage[0])} of the test galaxies`,
    `because the scale was fitted at that level`,
    `it covers ${pct1(c.recalibrated.coverage[1])} ±`,
  ];
}

Deno.test("page 06 states the 68 % and 95 % coverage of the committed record, and why 68 % holds", async () => {
  const r = await raw();
  const text = coverageNote("default", r);
  assertQuotes(text, coverageFacts(r));
  // Chosen by the result: 89.9 % is far below 95 % for 5,000 galaxies.
  assert.ok(r.calibration.recalibrated.coverage[1] < 0.93);
  assert.match(text, /not 95 %: the 95 % intervals are too narrow/);
  // The check can fail: a record whose 95 % coverage differs.
  const other = structuredClone(r);
  other.calibration.recalibrated.coverage[1] = 0.9502;
  const otherText = coverageNote("default", other);
  assert.throws(() => assertQuotes(otherText, coverageFacts(r)), /it covers 89\.9 % ±/);
  assert.match(otherText, /as a Gaussian error bar should/);
});

/** The bins (≥ 50 galaxies) of lowest and highest coverage at a level, found here by hand. */
function extremes(rows: CoverageRow[], level: number): [CoverageRow, CoverageRow] {
  const quoted = rows.filter((r) => r.n >= 50 && r.coverage[level] !== null);
  const sorted = [...quoted].sort((a, b) => a.coverage[level] - b.coverage[level]);
  return [sorted[0], sorted[sorted.length - 1]];
}

function binFacts(rows: CoverageRow[]): string[] {
  return [0, 1].flatMap((level) =>
    extremes(rows, level).map((r) =>
      `${(100 * r.coverage[level]).toFixed(0)} % ± ${
        Math.max(
          1,
          Math.round(100 * Math.sqrt([0.68, 0.95][level] * (1 - [0.68, 0.95][level]) / r.n)),
        )
      } at ${r.zLow.toFixed(2)}–${r.zHigh.toFixed(2)} (${r.n.toLocaleString("en")} galaxies`
    )
  );
}

Deno.test("page 06 quotes the committed per-bin coverage: 68 % from the lowest bin's to the highest's", async () => {
  const r = await raw();
  const ensemble = binCoverageNote("default", r.calibration.recalibrated);
  assertQuotes(ensemble, binFacts(r.calibration.recalibrated.byBin));
  // The committed ensemble: too narrow at the lowest redshifts, too wide at 0.30–0.35.
  assert.match(
    ensemble,
    /at 68 % from 56 % ± 3 at 0\.00–0\.05 \(337 galaxies: too narrow\) to 80 % ± 4 at 0\.30–0\.35 \(165 galaxies: too wide\)/,
  );
  // The constant σ goes the other way.
  const constant = binCoverageNote("default", r.calibration.singleConstant);
  assertQuotes(constant, binFacts(r.calibration.singleConstant.byBin));
  assert.match(constant, /from 32 % ± 4 at 0\.30–0\.35 \(165 galaxies: too narrow\)/);
  // The check can fail: one galaxy fewer in the lowest bin changes the sentence.
  const other = structuredClone(r);
  other.calibration.recalibrated.byBin[0].n -= 1;
  assert.throws(() =>
    assertQuotes(
      binCoverageNote("default", other.calibration.recalibrated),
      binFacts(r.calibration.recalibrated.byBin),
    )
  );
  // Too few galaxies in every bin: no bin is judged.
  const few = r.calibration.recalibrated.byBin.map((b) => ({ ...b, n: Math.min(b.n, 10) }));
  assert.match(
    binCoverageNote("small", { ...r.calibration.recalibrated, byBin: few }),
    /no redshift bin holds 50 test galaxies/,
  );
});

Deno.test("page 06 reads the committed recalibrated PIT histogram: heavy tails, and a lean", async () => {
  const r = await raw();
  const counts = r.calibration.recalibrated.pitCounts;
  const n = counts.reduce((a, b) => a + b, 0);
  const text = pitNote("default", counts);
  assertQuotes(text, [
    `${pct1((counts[0] + counts[9]) / n)} of the ${
      n.toLocaleString("en")
    } galaxies fall in the two outer bins`,
    `${pct1((counts[4] + counts[5]) / n)} in the two middle ones`,
    `${pct1(counts.slice(0, 5).reduce((a, b) => a + b, 0) / n)} of the PIT values are below 0.5`,
  ]);
  assert.equal(pitShape(counts).verdict, "heavy-tails");
  assert.match(text, /heavier tails and a sharper peak than a Gaussian/);
  // Chosen by the result: the raw spread's histogram is a U.
  assert.match(pitNote("raw", r.calibration.raw.pitCounts), /the error bars are too narrow/);
  assert.match(pitNote("flat", Array(10).fill(500)), /flat within its sampling error/);
});

Deno.test("page 06 says the committed record lacks the fair baseline, and compares with it when present", async () => {
  const r = await raw();
  assert.equal(r.calibration.ensembleConstant, undefined);
  const text = crpsNote("default", r);
  assertQuotes(text, [
    "predates the constant σ around the ensemble mean",
    `MAE ${r.metrics.single.mae.toFixed(4)} against the ensemble's ${
      r.metrics.ensemble.mae.toFixed(4)
    }`,
    `CRPS (${r.calibration.singleConstant.crps.toFixed(5)} against ${
      r.calibration.recalibrated.crps.toFixed(5)
    })`,
    `about ${
      (r.calibration.singleConstant.crps * r.metrics.ensemble.mae / r.metrics.single.mae).toFixed(5)
    }`,
  ]);
  const fair = structuredClone(r);
  fair.calibration.ensembleConstant = { ...r.calibration.recalibrated, crps: 0.02 };
  assert.match(
    crpsNote("default", fair),
    /one constant σ 0\.02000: the per-galaxy σ scores 24 % better/,
  );
});

Deno.test("page 06 names what an ensemble trains and the committed run's members, epochs and galaxies", async () => {
  const narrow = { ...DISSERTATION_MODEL, ...NARROW_MODEL };
  const text = ensembleTrainsNote(narrow, { members: 3, epochs: 2, trainingGalaxies: 1890 });
  assert.match(
    text,
    /^3 members, each a narrow variant of the dissertation's layout .* not its network: filters 16\/16\/16\/16/,
  );
  assert.match(
    text,
    /9,217 parameters against the dissertation's 699,073, trained for 2 epochs on 1,890 training galaxies/,
  );
  const [committed] = await readCommittedUncertaintyResults();
  const r = await raw();
  const report = committedEnsembleReport(committed);
  assertQuotes(report, [
    `${r.members} members × ${r.epochs} epochs of the dissertation's network (699,073 parameters)`,
    `${r.galaxies.train.toLocaleString("en")} training galaxies of the mock`,
    formatDuration(r.wallSeconds.members.reduce((a, b) => a + b, 0)),
  ]);
  // The log's members agree with the record: as many, with the same seconds.
  const log = memberScoresFromLog(
    await Deno.readTextFile(`${UNCERTAINTY_RESULTS_DIR}/default.log`),
  );
  assert.equal(log.length, r.members);
  log.forEach((m, k) => assert.ok(Math.abs(m.seconds - r.wallSeconds.members[k]) < 0.1));
  // The check can fail: a record with one member more.
  assert.throws(() =>
    assertQuotes(committedEnsembleReport({ ...committed, members: 6 }), [`${r.members} members ×`])
  );
});

Deno.test("evaluateEnsemble() adds the fair baseline: one constant σ around the ensemble mean", async () => {
  const config = { ...DISSERTATION_MODEL, convFilters: [2], kernelSizes: [3], denseUnits: [2] };
  const models = [1, 2, 3].map((seed) => buildModel({ ...config, seed }));
  const rows = (n: number, seed: number) => ({
    x: Float32Array.from({ length: n * 186 }, (_, i) => ((i * 7919 + seed) % 997) / 997),
    y: Float32Array.from({ length: n }, (_, i) => ((i * 31 + seed) % 60) / 100),
  });
  try {
    const ensemble = { models, stdScale: 2 } as never;
    const { evaluation, test } = await evaluateEnsemble(ensemble, {
      validation: rows(60, 1),
      test: rows(40, 2),
    });
    const fair = evaluation.calibration.ensembleConstant!;
    assert.equal(fair.n, 40);
    assert.ok(Math.abs(fair.medianStd - evaluation.ensembleBaselineStd!) < 1e-12);
    // Around the ensemble mean: its MAE is the ensemble's, and the σ is one number for all.
    assert.ok(Math.abs(fair.meanStd - fair.medianStd) < 1e-12);
    assert.equal(test.mean.length, 40);
  } finally {
    models.forEach((m) => m.dispose());
    tf.disposeVariables();
  }
});
