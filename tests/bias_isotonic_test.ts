import assert from "node:assert/strict";
import { applyIsotonic, fitIsotonic } from "../lib/bias/mod.ts";
import { Random } from "../lib/random.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

Deno.test("fitIsotonic() pools one violating pair into its mean", () => {
  const fit = fitIsotonic([1, 2, 3, 4], [1, 3, 2, 4]);
  assert.deepEqual([...fit.x], [1, 2, 3, 4]);
  assert.deepEqual([...fit.y], [1, 2.5, 2.5, 4]);
});

Deno.test("fitIsotonic() pools into the weighted mean", () => {
  // (3 × 3 + 1 × 2) / 4 = 2.75
  const fit = fitIsotonic([1, 2, 3, 4], [1, 3, 2, 4], { weights: [1, 3, 1, 1] });
  assert.deepEqual([...fit.y], [1, 2.75, 2.75, 4]);
});

Deno.test("fitIsotonic() of decreasing data is one step at the mean, knots at its ends", () => {
  const fit = fitIsotonic([0.1, 0.2, 0.3, 0.4], [4, 3, 2, 1]);
  assert.deepEqual([...fit.x], [0.1, 0.4]);
  assert.deepEqual([...fit.y], [2.5, 2.5]);
});

Deno.test("fitIsotonic() pools equal x first and ignores the input order", () => {
  // x = 1 pools to 1 (weight 2); x = 2 has 0.5 < 1, so all merge into (2 + 0.5)/3.
  const fit = fitIsotonic([2, 1, 1], [0.5, 0, 2]);
  assert.deepEqual([...fit.x], [1, 2]);
  close(fit.y[0], 2.5 / 3);
  close(fit.y[1], 2.5 / 3);
  assert.deepEqual(fitIsotonic([3, 1, 2], [2, 1, 3]), fitIsotonic([1, 2, 3], [1, 3, 2]));
});

Deno.test("fitIsotonic() of increasing data leaves it as it is", () => {
  const fit = fitIsotonic([0.3, 0.1, 0.2], [0.35, 0.12, 0.2]);
  assert.deepEqual([...fit.x], [0.1, 0.2, 0.3]);
  assert.deepEqual([...fit.y], [0.12, 0.2, 0.35]);
});

Deno.test("fitIsotonic() on noisy data is non-decreasing and keeps the weighted mean", () => {
  const r = new Random(9);
  const n = 2000;
  const x = Float64Array.from({ length: n }, () => r.uniform());
  const y = x.map((v) => v * v + 0.1 * r.normal());
  const w = Float64Array.from({ length: n }, () => 0.5 + r.uniform());
  const fit = fitIsotonic(x, y, { weights: w });
  for (let k = 1; k < fit.x.length; k++) {
    assert.ok(fit.x[k] > fit.x[k - 1] && fit.y[k] >= fit.y[k - 1]);
  }
  const fitted = applyIsotonic(fit, x);
  let sw = 0, swy = 0, swf = 0;
  for (let i = 0; i < n; i++) sw += w[i], swy += w[i] * y[i], swf += w[i] * fitted[i];
  close(swf / sw, swy / sw, 1e-12);
});

Deno.test("applyIsotonic() interpolates linearly between knots and clamps outside", () => {
  const fit = { x: Float64Array.of(0.1, 0.2, 0.4), y: Float64Array.of(0.1, 0.3, 0.3) };
  const out = applyIsotonic(fit, [0, 0.1, 0.15, 0.2, 0.3, 0.4, 0.9, NaN]);
  [0.1, 0.1, 0.2, 0.3, 0.3, 0.3, 0.3].forEach((v, i) => close(out[i], v, 1e-15));
  assert.ok(Number.isNaN(out[7]));
  assert.throws(
    () => applyIsotonic({ x: new Float64Array(), y: new Float64Array() }, [1]),
    /knots/,
  );
});

Deno.test("an isotonic map undoes a monotone distortion of the predictions", () => {
  // Predictions squeezed towards 0.15: z_pred = 0.15 + 0.5 (z − 0.15). Fitted on one set,
  // the map returns the truth on another, between the fitted points.
  const squeeze = (z: number) => 0.15 + 0.5 * (z - 0.15);
  const zVal = Float64Array.from({ length: 61 }, (_, i) => i / 100);
  const fit = fitIsotonic(zVal.map(squeeze), zVal);
  const zTest = [0.005, 0.123, 0.4567, 0.599];
  applyIsotonic(fit, zTest.map(squeeze)).forEach((z, i) => close(z, zTest[i], 1e-12));
});

Deno.test("fitIsotonic() rejects bad input with clear errors", () => {
  assert.throws(() => fitIsotonic([1, 2], [1]), /2 x values but 1 y values/);
  assert.throws(() => fitIsotonic([], []), /no points/);
  assert.throws(() => fitIsotonic([1, NaN], [1, 2]), /x\[1\] is NaN/);
  assert.throws(() => fitIsotonic([1, 2], [1, Infinity]), /y\[1\] is Infinity/);
  assert.throws(() => fitIsotonic([1, 2], [1, 2], { weights: [1, 0] }), /weights\[1\] is 0/);
  assert.throws(() => fitIsotonic([1, 2], [1, 2], { weights: [1] }), /2 points but 1 weights/);
});
