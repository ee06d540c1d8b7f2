import assert from "node:assert/strict";
import { splitIndices } from "../lib/split.ts";

Deno.test("splitIndices() gives 63 / 27 / 10 of the rows, disjoint and complete", () => {
  const { train, validation, test } = splitIndices(10_000, { seed: 5 });
  assert.deepEqual([train.length, validation.length, test.length], [6300, 2700, 1000]);
  const all = new Set([...train, ...validation, ...test]);
  assert.equal(all.size, 10_000);
  assert.ok([...all].every((i) => i >= 0 && i < 10_000));
});

Deno.test("splitIndices() with a 20 % validation share gives 72 / 18 / 10", () => {
  const s = splitIndices(1000, { seed: 1, validationFraction: 0.2 });
  assert.deepEqual([s.train.length, s.validation.length, s.test.length], [720, 180, 100]);
});

Deno.test("splitIndices() is fixed by its seed and changes with it", () => {
  const a = splitIndices(500, { seed: 9 });
  const b = splitIndices(500, { seed: 9 });
  const c = splitIndices(500, { seed: 10 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.test, c.test);
  // The same seed must give the same split on every machine: pin a few values.
  assert.deepEqual([...a.test.slice(0, 5)], [45, 52, 61, 64, 68]);
});

Deno.test("splitIndices() refuses fractions outside [0, 1)", () => {
  assert.throws(() => splitIndices(10, { testFraction: 1 }), /testFraction/);
  assert.throws(() => splitIndices(10, { validationFraction: -0.1 }), /validationFraction/);
});
