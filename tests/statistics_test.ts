import assert from "node:assert/strict";
import { binShares, describeSample, quantileSorted } from "../lib/statistics.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("describeSample() matches moments worked by hand", () => {
  // values 0, 0, 0, 4: mean 1, deviations −1,−1,−1,3; m2 = 3, m3 = 6, m4 = 21
  const d = describeSample([0, 4, 0, 0]);
  close(d.mean, 1);
  close(d.median, 0);
  close(d.std, Math.sqrt(3));
  close(d.skewness, 6 / 3 ** 1.5);
  close(d.excessKurtosis, 21 / 9 - 3);
  assert.throws(() => describeSample([]), /empty/);
});

Deno.test("quantileSorted() interpolates linearly between ranks, like numpy's default", () => {
  const s = [10, 20, 30, 40, 50];
  close(quantileSorted(s, 0), 10);
  close(quantileSorted(s, 0.25), 20);
  close(quantileSorted(s, 0.1), 14);
  close(quantileSorted(s, 1), 50);
  close(describeSample(s).percentiles[99], 49.6);
});

Deno.test("binShares() counts each value in one 0.05 bin and puts 0.6 in the last", () => {
  const shares = binShares([0, 0.049, 0.05, 0.3, 0.6, 0.7]);
  assert.equal(shares.length, 12);
  assert.deepEqual(shares.map((s) => s.count), [2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  close(shares[0].percent, 100 / 3);
  assert.deepEqual([shares[11].low, shares[11].high], [0.55, 0.6]);
});
