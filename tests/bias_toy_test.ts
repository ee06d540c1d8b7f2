import assert from "node:assert/strict";
import { errorSlope, gaussianToy, meanErrorByBin } from "../lib/bias/mod.ts";

Deno.test("gaussianToy() gives k = τ²/(σ² + τ²) and the slope −σ²/(σ² + τ²)", () => {
  const toy = gaussianToy({ n: 3, tau: 0.08, sigma: 0.06 });
  assert.ok(Math.abs(toy.shrinkage - 0.64) < 1e-12);
  assert.ok(Math.abs(toy.expectedSlope + 0.36) < 1e-12);
  // Each prediction is the posterior mean μ + k (x − μ).
  toy.zPred.forEach((p, i) =>
    assert.ok(Math.abs(p - (0.14 + 0.64 * (toy.observed[i] - 0.14))) < 1e-15)
  );
});

Deno.test("gaussianToy() is reproducible from its seed", () => {
  assert.deepEqual(gaussianToy({ n: 20, seed: 5 }), gaussianToy({ n: 20, seed: 5 }));
  assert.notDeepEqual(gaussianToy({ n: 20, seed: 5 }).zTrue, gaussianToy({ n: 20, seed: 6 }).zTrue);
});

Deno.test("the toy tilts by true z with slope −σ²/(σ² + τ²), above 0.2 as everywhere", () => {
  const toy = gaussianToy({ n: 200_000, mu: 0.14, tau: 0.08, sigma: 0.05, seed: 1 });
  const expected = -(0.05 ** 2) / (0.05 ** 2 + 0.08 ** 2); // −0.2809
  for (const zAbove of [-Infinity, 0.2]) {
    const fit = errorSlope(toy.zTrue, toy.zPred, { zAbove });
    assert.ok(
      Math.abs(fit.slope - expected) < 4 * fit.slopeSe,
      `slope ${fit.slope} ± ${fit.slopeSe} from z = ${zAbove} is not ${expected}`,
    );
  }
  // Binned by true z, the mean error is (k − 1)(z̄_bin − μ) in every well-filled bin.
  for (const r of meanErrorByBin(toy.zTrue, toy.zPred, { resamples: 100 })) {
    if (r.n < 1000) continue;
    const want = toy.expectedSlope * (r.meanTrue - 0.14);
    assert.ok(Math.abs(r.meanError - want) < 5 * r.standardError, `bin ${r.zLow}: ${r.meanError}`);
  }
});

Deno.test("the toy is flat by predicted z: E[z_pred − z_true | z_pred] = 0", () => {
  const toy = gaussianToy({ n: 200_000, seed: 2 });
  const fit = errorSlope(toy.zTrue, toy.zPred, { zAbove: -Infinity, by: "predicted" });
  assert.ok(Math.abs(fit.slope) < 4 * fit.slopeSe, `slope by prediction ${fit.slope}`);
  const rows = meanErrorByBin(toy.zTrue, toy.zPred, { by: "predicted", resamples: 100 });
  for (const r of rows.filter((r) => r.n >= 1000)) {
    assert.ok(Math.abs(r.meanError) < 5 * r.standardError, `bin ${r.zLow}: ${r.meanError}`);
  }
  // While by true z the highest well-filled bin is pulled well down.
  const byTrue = meanErrorByBin(toy.zTrue, toy.zPred, { resamples: 0 }).filter((r) => r.n >= 1000);
  assert.ok(byTrue[byTrue.length - 1].meanError < -0.02);
});

Deno.test("without noise the toy predicts the truth and does not tilt", () => {
  const toy = gaussianToy({ n: 1000, sigma: 0 });
  assert.equal(toy.shrinkage, 1);
  assert.equal(toy.expectedSlope, 0);
  toy.zPred.forEach((p, i) => assert.ok(Math.abs(p - toy.zTrue[i]) < 1e-15));
});

Deno.test("gaussianToy() rejects a width, noise or size that makes no toy", () => {
  assert.throws(() => gaussianToy({ tau: 0 }), /need τ > 0/);
  assert.throws(() => gaussianToy({ sigma: -0.01 }), /σ ≥ 0/);
  assert.throws(() => gaussianToy({ n: 0 }), /n must be a whole number/);
});
