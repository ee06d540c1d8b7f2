import assert from "node:assert/strict";
import { balancedWeights, cappedSubset, smoothedHistogram } from "../lib/bias/mod.ts";
import { Random } from "../lib/random.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

Deno.test("smoothedHistogram() without smoothing is the normalised histogram, ends clamped", () => {
  const h = smoothedHistogram([0.05, 0.15, 0.15, -0.01, 0.7], {
    binWidth: 0.1,
    zMax: 0.2,
    smoothing: 0,
  });
  assert.deepEqual(h.edges, [0, 0.1, 0.2]);
  assert.deepEqual([...h.counts], [2, 3]); // −0.01 joins the first bin, 0.7 the last
  assert.deepEqual([...h.density], [0.4, 0.6]);
});

Deno.test("smoothedHistogram() spreads a bin by the Gaussian kernel and keeps its mass in range", () => {
  // One galaxy in the middle bin of 0.01: a kernel of one bin gives neighbours e^(−1/2) of it.
  const h = smoothedHistogram([0.305], { smoothing: 0.01 });
  const mid = h.density[30];
  close(h.density[29] / mid, Math.exp(-0.5), 1e-12);
  close(h.density[31] / mid, Math.exp(-0.5), 1e-12);
  close(h.density[32] / mid, Math.exp(-2), 1e-12);
  close(h.density.reduce((a, b) => a + b, 0), 1, 1e-12);
  // At z = 0 nothing leaks below the range: the first bin holds 1/(1 + e^(−1/2) + e^(−2) + …).
  const edge = smoothedHistogram([0.001], { smoothing: 0.01 });
  let norm = 0;
  for (let d = 0; d <= 6; d++) norm += Math.exp(-0.5 * d * d);
  close(edge.density[0], 1 / norm, 1e-12);
});

Deno.test("smoothedHistogram() refuses no data, a bad kernel and a redshift that is not a number", () => {
  assert.throws(() => smoothedHistogram([]), /no redshifts/);
  assert.throws(() => smoothedHistogram([0.1], { smoothing: -1 }), /kernel width/);
  assert.throws(() => smoothedHistogram([0.1, NaN]), /redshift NaN is not a finite number/);
});

Deno.test("balancedWeights() inverse and square-root inverse, worked by hand", () => {
  const z = [0.05, 0.05, 0.05, 0.15];
  const opts = { binWidth: 0.1, zMax: 0.2, smoothing: 0 };
  // Densities 3/4 and 1/4: inverse weights a : 3a with 3a + 3a = 4, a = 2/3.
  const inv = balancedWeights(z, opts);
  [2 / 3, 2 / 3, 2 / 3, 2].forEach((w, i) => close(inv.weights[i], w, 1e-7));
  assert.deepEqual([...inv.binWeights].map((w) => +w.toFixed(12)), [0.666666666667, 2]);
  // Square root: a : √3 a with 3a + √3 a = 4.
  const sqrt = balancedWeights(z, { ...opts, power: 0.5 });
  const a = 4 / (3 + Math.sqrt(3));
  close(sqrt.weights[0], a, 1e-7);
  close(sqrt.weights[3], Math.sqrt(3) * a, 1e-7);
  // Power 0: every galaxy weighs 1.
  assert.deepEqual([...balancedWeights(z, { ...opts, power: 0 }).weights], [1, 1, 1, 1]);
});

Deno.test("balancedWeights() caps the largest weight at maxRatio times the smallest", () => {
  // Inverse ratio 3 capped at 2: a : 2a with 3a + 2a = 4, a = 0.8.
  const { weights } = balancedWeights([0.05, 0.05, 0.05, 0.15], {
    binWidth: 0.1,
    zMax: 0.2,
    smoothing: 0,
    maxRatio: 2,
  });
  [0.8, 0.8, 0.8, 1.6].forEach((w, i) => close(weights[i], w, 1e-7));
});

Deno.test("balancedWeights() have mean 1 and, unsmoothed and uncapped, weigh every bin alike", () => {
  const r = new Random(3);
  const z = Float64Array.from({ length: 5000 }, () => Math.abs(0.14 + 0.08 * r.normal()));
  const { weights, histogram } = balancedWeights(z, { smoothing: 0, maxRatio: Infinity });
  close(weights.reduce((a, b) => a + b, 0) / z.length, 1, 1e-6);
  // Σ weights per occupied bin is the same for every bin: the weighted histogram is flat.
  const perBin = new Float64Array(histogram.counts.length);
  z.forEach((v, i) => perBin[Math.min(59, Math.floor(v / 0.01 + 1e-6))] += weights[i]);
  const occupied = [...perBin].filter((_, b) => histogram.counts[b] > 0);
  for (const s of occupied) close(s, occupied[0], 1e-3);
  // Smoothed and capped at 100, the rarest galaxies weigh at most 100 times the commonest.
  const capped = balancedWeights(z).weights;
  close(capped.reduce((a, b) => a + b, 0) / z.length, 1, 1e-6);
  assert.ok(Math.max(...capped) / Math.min(...capped) <= 100 * (1 + 1e-6));
});

Deno.test("balancedWeights() refuses a negative power, a cap below 1 and no data", () => {
  assert.throws(() => balancedWeights([0.1], { power: -1 }), /power must be a finite number ≥ 0/);
  assert.throws(() => balancedWeights([0.1], { maxRatio: 0.5 }), /maxRatio must be at least 1/);
  assert.throws(() => balancedWeights([]), /no redshifts/);
});

Deno.test("cappedSubset() keeps at most cap galaxies per bin, all of a sparse bin", () => {
  const r = new Random(8);
  const z = Float64Array.from({ length: 3000 }, () => 0.6 * r.uniform() ** 2);
  const keep = cappedSubset(z, { cap: 20, binWidth: 0.05 });
  const kept = new Array(12).fill(0), all = new Array(12).fill(0);
  z.forEach((v) => all[Math.min(11, Math.floor(v / 0.05 + 1e-6))]++);
  keep.forEach((i) => kept[Math.min(11, Math.floor(z[i] / 0.05 + 1e-6))]++);
  assert.deepEqual(kept, all.map((c) => Math.min(c, 20)));
  for (let j = 1; j < keep.length; j++) assert.ok(keep[j] > keep[j - 1]); // ascending, no repeat
});

Deno.test("cappedSubset() is reproducible from its seed and draws each galaxy alike", () => {
  const z = new Float64Array(8).fill(0.12);
  assert.deepEqual(cappedSubset(z, { cap: 3, seed: 1 }), cappedSubset(z, { cap: 3, seed: 1 }));
  // Over many seeds each of 8 galaxies is kept 3/8 of the time.
  const times = new Array(8).fill(0);
  for (let seed = 0; seed < 4000; seed++) {
    cappedSubset(z, { cap: 3, seed }).forEach((i) => times[i]++);
  }
  for (const t of times) close(t / 4000, 3 / 8, 0.03);
});

Deno.test("cappedSubset() refuses a cap that is not a whole number ≥ 1", () => {
  assert.throws(() => cappedSubset([0.1], { cap: 0 }), /cap must be a whole number ≥ 1, not 0/);
  assert.throws(() => cappedSubset([0.1], { cap: 2.5 }), /not 2.5/);
  assert.throws(() => cappedSubset([NaN], { cap: 1 }), /not a finite number/);
});
