import assert from "node:assert/strict";
import { fitMinMax, MinMaxScaler } from "../lib/min_max_scaler.ts";

// 4 rows × 3 columns; the last column is constant.
const values = new Float32Array([
  0,
  10,
  5,
  2,
  20,
  5,
  4,
  30,
  5,
  8,
  50,
  5,
]);

Deno.test("fitMinMax() maps each training column onto [0, 1]", () => {
  const scaler = fitMinMax(values, [0, 1, 2], { width: 3 });
  const scaled = scaler.transform(values);
  assert.deepEqual([...scaled.subarray(0, 3)], [0, 0, 0]);
  assert.deepEqual([...scaled.subarray(6, 9)], [1, 1, 0]);
  // Row 3 was not fitted on: it may fall outside [0, 1], which is the point.
  assert.deepEqual([...scaled.subarray(9, 12)], [2, 2, 0]);
});

Deno.test("fitMinMax() on 'all' rows reproduces the dissertation's leaky fit", () => {
  const scaler = fitMinMax(values, "all", { width: 3 });
  assert.deepEqual([...scaler.min], [0, 10, 5]);
  assert.deepEqual([...scaler.max], [8, 50, 5]);
  assert.equal(scaler.fittedOn, "all rows");
});

Deno.test("MinMaxScaler maps a constant column to 0 and inverts it back to its value", () => {
  const scaler = fitMinMax(values, "all", { width: 3 });
  const scaled = scaler.transform(values);
  assert.ok([0, 1, 2, 3].every((i) => scaled[i * 3 + 2] === 0));
  assert.deepEqual(scaler.inverseTransform(scaled), values);
});

Deno.test("MinMaxScaler survives a JSON round trip unchanged", () => {
  const scaler = fitMinMax(values, [1, 3], { width: 3, fittedOn: "train rows" });
  const restored = MinMaxScaler.fromJSON(JSON.parse(JSON.stringify(scaler)));
  assert.deepEqual(restored.transform(values), scaler.transform(values));
  assert.equal(restored.fittedOn, "train rows");
});

Deno.test("MinMaxScaler refuses malformed JSON and mismatched widths", () => {
  assert.throws(() => MinMaxScaler.fromJSON({ kind: "min-max", min: [0], max: [] }), TypeError);
  assert.throws(() => MinMaxScaler.fromJSON({ min: [0], max: [1] }), TypeError);
  assert.throws(() => MinMaxScaler.fromJSON(null), TypeError);
  const scaler = fitMinMax(values, "all", { width: 3 });
  assert.throws(() => scaler.transform(new Float32Array(4)), /not a whole number of rows of 3/);
  assert.throws(() => fitMinMax(values, [], { width: 3 }), /zero rows/);
});

Deno.test("measureScalerLeak() counts widened columns and test values outside [0, 1]", async () => {
  const { measureScalerLeak, prepareData } = await import("../lib/prepare.ts");
  const { simulateSpectra } = await import("../lib/mock/simulate.ts");
  const data = simulateSpectra({ n: 200, seed: 3 });
  const prepared = prepareData(data, { seed: 3 });
  const leak = measureScalerLeak(data, prepared);
  assert.equal(leak.testValues, 20 * 186);
  // A column with a test value outside [0, 1] on the honest fit is one the leaky fit widens.
  const test = prepared.test.x;
  const columnsOutside = new Set<number>();
  test.forEach((v, k) => (v < 0 || v > 1) && columnsOutside.add(k % 186));
  assert.ok(leak.widenedColumns >= columnsOutside.size && columnsOutside.size > 0);
  assert.equal(leak.testValuesOutside, test.filter((v) => v < 0 || v > 1).length);
  assert.ok(leak.widenedColumns > 0 && leak.maxDifference > 0 && leak.maxDifference < 1);
  // Fitted on all rows, nothing can leak: the same data split with no test rows changes nothing.
  const none = prepareData(data, { seed: 3, testFraction: 0 });
  assert.deepEqual(measureScalerLeak(data, none).testValues, 0);
});
