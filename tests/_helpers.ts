// Small fixtures shared by the tests.
import assert from "node:assert/strict";
import { N_FLUX } from "../lib/spectra.ts";

/** One CSV data row: z then 186 fluxes that vary with the row and column. */
export function csvRow(z: number, seed = 0): string[] {
  return [
    String(z),
    ...Array.from({ length: N_FLUX }, (_, j) => ((seed * 7 + j) % 13 / 4 - 0.2).toFixed(3)),
  ];
}

/** Writes `lines` (already joined fields) to a fresh temporary CSV file and returns its path. */
export async function writeTempCsv(
  lines: string[],
  options: { header?: boolean } = {},
): Promise<string> {
  const header = ["z", ...Array.from({ length: N_FLUX }, (_, j) => `flux_${j}`)].join(",");
  const path = await Deno.makeTempFile({ suffix: ".csv" });
  await Deno.writeTextFile(path, [...(options.header ? [header] : []), ...lines].join("\n") + "\n");
  return path;
}

/** A few valid rows as CSV lines. */
export function validLines(n: number): string[] {
  return Array.from({ length: n }, (_, i) => csvRow(0.05 + 0.1 * (i % 5), i).join(","));
}

/** Deterministic uniform numbers in [lo, hi) from a seed (mulberry32). */
export function random(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** Fails unless `actual` is within `tol` × the largest magnitude of `expected` (at least 1). */
export function assertClose(
  actual: Float32Array,
  expected: Float32Array,
  label: string,
  tol = 1e-5,
) {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let worst = 0, scale = 1;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) worst = d;
  }
  assert.ok(worst <= tol * scale, `${label}: max |diff| ${worst} > ${tol} × ${scale}`);
}
