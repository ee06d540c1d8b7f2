import assert from "node:assert/strict";
import { selectBackend } from "../lib/backend/select.ts";
import { planGradients } from "../lib/backend/blas_gradients.ts";
import { buildModel, pdfBinsOf, resolveModelConfig } from "../lib/model.ts";
import { fitMinMax } from "../lib/min_max_scaler.ts";
import { loadModel, saveModel } from "../lib/runs/model_folder.ts";
import { evaluate, predict, predictPdf, train } from "../lib/train.ts";
import { bumpData, NARROW } from "./_toy_data.ts";
import { chooseAlphaOnValidation } from "../lib/notebook/alpha_choice.ts";
import { bestTradeoffPoint } from "../lib/notebook/bias_report.ts";
import { trainingPrior } from "../lib/bias/mod.ts";
import { ALPHA_GRID } from "../lib/runs/run_folder.ts";
import type { PreparedData } from "../lib/prepare.ts";

await selectBackend({ backend: "cpu-blas" });

const PDF_BINS = { count: 60, zMin: 0, zMax: 0.65 };
const trainSet = bumpData(192, 1), validation = bumpData(64, 2);

Deno.test("a classification head: K logits, soft-label training lowers the loss, predict gives the PDF's mean", async () => {
  const model = buildModel({ ...NARROW, seed: 3, pdfBins: PDF_BINS });
  assert.deepEqual(model.outputs[0].shape, [null, 60]);
  assert.equal(pdfBinsOf(model)!.count, 60);
  assert.equal(pdfBinsOf(buildModel(NARROW)), null);
  const before = await evaluate(model, validation, { softLabelWidth: 0.02 });
  const { history } = await train(model, { train: trainSet, validation }, {
    epochs: 8,
    batchSize: 16,
    seed: 1,
    learningRate: 0.005,
    softLabelWidth: 0.02,
  });
  const last = history.at(-1)!;
  assert.ok(last.valLoss < 0.8 * before.loss, `${last.valLoss} vs ${before.loss} untrained`);
  assert.ok(last.valMae < before.mae, `${last.valMae} vs ${before.mae}`);
  // evaluate() and the history agree; predict() is the PDF's mean; the PDFs sum to 1
  const again = await evaluate(model, validation, { softLabelWidth: 0.02 });
  assert.ok(Math.abs(again.loss - last.valLoss) < 1e-6 && Math.abs(again.mae - last.valMae) < 1e-6);
  const pdf = await predictPdf(model, validation.x);
  const z = await predict(model, validation.x, { batchSize: 7 });
  const bins = pdfBinsOf(model)!;
  for (let i = 0; i < 64; i++) {
    const row = pdf.subarray(i * 60, (i + 1) * 60);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    const mean = row.reduce((a, p, k) => a + p * bins.centres[k], 0);
    assert.ok(Math.abs(mean - z[i]) < 1e-5, `row ${i}: ${mean} vs ${z[i]}`);
  }
  const mae = z.reduce((a, zi, i) => a + Math.abs(zi - validation.y[i]), 0) / 64;
  assert.ok(Math.abs(mae - last.valMae) < 1e-5);
  await assert.rejects(predictPdf(buildModel(NARROW), validation.x), /no classification head/);
  model.dispose();
});

Deno.test("a classification head trains with soft labels only; its bins are checked", async () => {
  const model = buildModel({ ...NARROW, seed: 3, pdfBins: PDF_BINS });
  const options = { epochs: 1, batchSize: 16, seed: 1 };
  await assert.rejects(
    train(model, { train: trainSet }, { ...options, loss: "huber" }),
    /a classification head trains with "soft-label", not "huber"/,
  );
  await assert.rejects(
    train(buildModel(NARROW), { train: trainSet }, { ...options, loss: "soft-label" }),
    /unknown loss "soft-label"/,
  );
  await assert.rejects(
    train(model, { train: trainSet }, { ...options, softLabelWidth: -1 }),
    /softLabelWidth must be a finite number ≥ 0/,
  );
  assert.throws(() => buildModel({ ...NARROW, pdfBins: { count: 0, zMin: 0, zMax: 1 } }), /count/);
  assert.throws(() => buildModel({ ...NARROW, pdfBins: { count: 9, zMin: 1, zMax: 1 } }), /zMax/);
  model.dispose();
});

Deno.test("a model folder records its head and loads it back with the same PDFs", async () => {
  const dir = await Deno.makeTempDir();
  const modelConfig = resolveModelConfig({ ...NARROW, seed: 5, pdfBins: PDF_BINS });
  const model = buildModel(modelConfig);
  const scaler = fitMinMax(trainSet.x, "all", { fittedOn: "test rows" });
  await saveModel(`${dir}/model`, model, { scaler, history: [], modelConfig, run: {} });
  const loaded = await loadModel(`${dir}/model`);
  assert.deepEqual(loaded.modelConfig.pdfBins, PDF_BINS);
  assert.deepEqual(
    await predictPdf(loaded.model, validation.x),
    await predictPdf(model, validation.x),
  );
  // a folder written before heads existed is a regression model
  assert.equal(resolveModelConfig({ ...NARROW }).pdfBins, null);
  model.dispose();
  loaded.model.dispose();
});

Deno.test("sample weights scale each row's loss: weights of 2 under SGD are a rate twice as large", async () => {
  const run = async (rate: number, weights?: Float32Array) => {
    const model = buildModel({ ...NARROW, seed: 6 });
    const { history } = await train(model, { train: trainSet }, {
      epochs: 2,
      batchSize: 32,
      seed: 3,
      optimizer: "sgd",
      learningRate: rate,
      sampleWeights: weights,
    });
    const w = model.getWeights().flatMap((t) => Array.from(t.dataSync()));
    model.dispose();
    return { loss: history.map((h) => h.loss), w };
  };
  const twice = await run(0.01, new Float32Array(192).fill(2));
  const plain = await run(0.02);
  twice.loss.forEach((l, i) =>
    assert.ok(Math.abs(l / 2 - plain.loss[i]) < 1e-6, `${l} ${plain.loss[i]}`)
  );
  const worst = Math.max(...twice.w.map((v, i) => Math.abs(v - plain.w[i])));
  assert.ok(worst < 1e-5, `weights differ by ${worst}`);
  for (
    const [weights, message] of [
      [new Float32Array(191).fill(1), /191 sample weights for 192 training rows/],
      [Float32Array.from({ length: 192 }, (_, i) => (i === 7 ? -1 : 1)), /sample weight 7 is -1/],
      [Float32Array.from({ length: 192 }, (_, i) => (i === 9 ? NaN : 1)), /sample weight 9 is NaN/],
      [new Float32Array(192), /every sample weight is 0/],
    ] as const
  ) {
    await assert.rejects(
      train(buildModel(NARROW), { train: trainSet }, {
        epochs: 1,
        batchSize: 32,
        seed: 1,
        sampleWeights: weights,
      }),
      message,
    );
  }
});

Deno.test("a checkpoint knows its sample weights and soft-label width", async () => {
  const dir = await Deno.makeTempDir();
  const checkpointPath = `${dir}/run.ckpt`;
  const model = buildModel({ ...NARROW, seed: 6, pdfBins: PDF_BINS });
  const base = { epochs: 1, batchSize: 32, seed: 1, checkpointPath };
  const weights = new Float32Array(192).fill(1);
  await train(model, { train: trainSet }, { ...base, sampleWeights: weights });
  weights[0] = 2;
  await assert.rejects(
    train(model, { train: trainSet }, { ...base, epochs: 2, sampleWeights: weights }),
    /written by a different run/,
  );
  weights[0] = 1;
  await assert.rejects(
    train(model, { train: trainSet }, {
      ...base,
      epochs: 2,
      sampleWeights: weights,
      softLabelWidth: 0.05,
    }),
    /written by a different run/,
  );
  await train(model, { train: trainSet }, { ...base, epochs: 2, sampleWeights: weights });
  model.dispose();
});

Deno.test("the BLAS training plan trains a classification head and weighted rows as tfjs's steps do, within float rounding", async () => {
  const weights = Float32Array.from({ length: 192 }, (_, i) => 0.5 + (i % 5) / 4);
  const head = buildModel({ ...NARROW, pdfBins: PDF_BINS });
  assert.ok(planGradients(head), "the plan runs a classification head");
  head.dispose();
  for (
    const [pdfBins, sampleWeights] of [[PDF_BINS, undefined], [PDF_BINS, weights], [
      null,
      weights,
    ]] as const
  ) {
    const run = async (trainingPlan: boolean) => {
      const model = buildModel({ ...NARROW, seed: 8, pdfBins });
      const { history } = await train(model, { train: trainSet, validation }, {
        epochs: 2,
        batchSize: 16,
        seed: 2,
        learningRate: 0.005,
        softLabelWidth: 0.02,
        sampleWeights,
      }, { trainingPlan });
      const w = model.getWeights().flatMap((t) => Array.from(t.dataSync()));
      model.dispose();
      return { history, w };
    };
    const planned = await run(true), plain = await run(false);
    const what = `${pdfBins ? "head" : "z"}${sampleWeights ? ", weighted" : ""}`;
    planned.history.forEach((h, i) => {
      const p = plain.history[i];
      for (const key of ["loss", "mae", "valLoss", "valMae"] as const) {
        assert.ok(
          Math.abs(h[key] - p[key]) <= 2e-5 * Math.max(1, Math.abs(p[key])),
          `${what} ${key}: ${h[key]} vs ${p[key]}`,
        );
      }
    });
    const worst = Math.max(...planned.w.map((v, i) => Math.abs(v - plain.w[i])));
    assert.ok(worst < 1e-3, `${what}: weights differ by ${worst}`);
    assert.notDeepEqual(planned.w, plain.w, `${what}: two paths, two orders of summation`);
  }
});

Deno.test("chooseAlphaOnValidation() scores every α on the validation galaxies and picks by the trade-off rule", async () => {
  const baseline = buildModel({ ...NARROW, seed: 4 });
  const head = buildModel({ ...NARROW, seed: 5, pdfBins: PDF_BINS });
  const prepared = { train: trainSet, validation } as unknown as PreparedData;
  const choice = await chooseAlphaOnValidation(baseline, head, prepared);
  assert.equal(choice.validationGalaxies, 64);
  assert.deepEqual(choice.points.map((p) => p.alpha), ALPHA_GRID);
  const mae = (z: ArrayLike<number>) =>
    Array.from(z).reduce((s, v, i) => s + Math.abs(v - validation.y[i]), 0) / z.length;
  // α = 0 is the PDF's own mean, which predict() gives; the baseline's is its prediction
  assert.ok(Math.abs(choice.points[0].mae - mae(await predict(head, validation.x))) < 1e-6);
  assert.ok(Math.abs(choice.baseline.mae - mae(await predict(baseline, validation.x))) < 1e-6);
  // α = 1 by hand: each PDF divided by the training prior, renormalised, its mean
  const bins = pdfBinsOf(head)!, probs = await predictPdf(head, validation.x);
  const prior = trainingPrior(trainSet.y, bins), K = bins.count;
  const byHand = Array.from({ length: 64 }, (_, i) => {
    const q = Array.from({ length: K }, (_, k) => probs[i * K + k] / prior[k]);
    const sum = q.reduce((a, b) => a + b, 0);
    return q.reduce((a, v, k) => a + (v / sum) * bins.centres[k], 0);
  });
  assert.ok(Math.abs(choice.points[10].mae - mae(byHand)) < 1e-5);
  assert.notEqual(choice.points[10].mae.toFixed(5), choice.points[0].mae.toFixed(5));
  const labelled = choice.points.map((p) => ({ ...p, label: String(p.alpha) }));
  assert.equal(choice.chosen, bestTradeoffPoint(choice.baseline, labelled)?.alpha ?? null);
  await assert.rejects(chooseAlphaOnValidation(head, baseline, prepared), /has no PDF head/);
  [baseline, head].forEach((m) => m.dispose());
});
