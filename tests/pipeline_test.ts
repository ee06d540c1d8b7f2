import assert from "node:assert/strict";
import { selectBackend } from "../lib/backend/select.ts";
import { buildModel } from "../lib/model.ts";
import { prepareData } from "../lib/prepare.ts";
import { simulateSpectra } from "../lib/mock/simulate.ts";
import { evaluate, predict, train } from "../lib/train.ts";
import { redshiftMetrics } from "../lib/metrics.ts";
import { NARROW } from "./_toy_data.ts";

await selectBackend({ backend: "cpu" });

Deno.test("a narrow network learns redshift from 600 simulated spectra, identically for one seed", async () => {
  const run = async () => {
    const prepared = prepareData(simulateSpectra({ n: 600, seed: 5 }), { seed: 5 });
    const model = buildModel({ ...NARROW, seed: 5 });
    const before = await evaluate(model, prepared.validation);
    const { history } = await train(model, prepared, { epochs: 4, batchSize: 16, seed: 5 });
    const metrics = redshiftMetrics(prepared.test.y, await predict(model, prepared.test.x));
    const trainMean = prepared.train.y.reduce((a, b) => a + b) / prepared.train.y.length;
    const guess = redshiftMetrics(prepared.test.y, prepared.test.y.map(() => trainMean));
    model.dispose();
    return { before, history, metrics, guessMae: guess.mae };
  };
  const first = await run();
  const last = first.history.at(-1)!;
  assert.ok(
    last.valLoss < first.before.loss / 5,
    `validation loss ${last.valLoss} is not well below its start ${first.before.loss}`,
  );
  // Clearly better than always guessing the training set's mean redshift.
  assert.ok(
    first.metrics.mae < 0.85 * first.guessMae,
    `test MAE ${first.metrics.mae} vs ${first.guessMae} for the mean guess`,
  );
  const second = await run();
  assert.deepEqual(second.metrics, first.metrics);
});
