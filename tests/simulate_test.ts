import assert from "node:assert/strict";
import {
  DISSERTATION_N,
  SAMPLE_WAVELENGTHS_NM,
  simulateChunks,
  simulateSpectra,
  SIMULATOR_VERSION,
} from "../lib/mock/simulate.ts";
import { nearestSample } from "../lib/mock/gaia_xp.ts";
import { N_BP, N_FLUX } from "../lib/spectra.ts";
import {
  getBasis,
  N_COMPONENTS,
  observeGroup,
  observeTemplate,
  Z_STEP,
} from "../lib/mock/_basis.ts";
import { restAt, restContinua } from "../lib/mock/_sed.ts";
import { KEPT_IN_GRID, N_GRID } from "../lib/mock/_instrument.ts";
import { calzettiK, LINE_GROUPS } from "../lib/mock/_sed_model.ts";

Deno.test("simulateSpectra() gives identical galaxies for the same seed and different ones for another", () => {
  const a = simulateSpectra({ n: 200, seed: 11 });
  const b = simulateSpectra({ n: 200, seed: 11 });
  const c = simulateSpectra({ n: 200, seed: 12 });
  assert.deepEqual(a.flux, b.flux);
  assert.deepEqual(a.z, b.z);
  assert.notDeepEqual(a.z, c.z);
  assert.match(SIMULATOR_VERSION, /^\d+\.\d+\.\d+$/);
});

Deno.test("simulateChunks() yields exactly the rows of one simulateSpectra() call", () => {
  const whole = simulateSpectra({ n: 1000, seed: 5 });
  const parts = [...simulateChunks({ n: 1000, seed: 5, chunkSize: 333 })];
  assert.deepEqual(parts.map((p) => p.n), [333, 333, 333, 1]);
  const flux = new Float32Array(1000 * N_FLUX);
  let row = 0;
  for (const p of parts) flux.set(p.flux, (row += p.n, (row - p.n) * N_FLUX));
  assert.deepEqual(flux, whole.flux);
  assert.deepEqual(Array.from(parts.at(-1)!.ids), [999]);
});

Deno.test("simulateSpectra() returns the dissertation's shapes and the kept sample grid", () => {
  const d = simulateSpectra({ n: 7, seed: 1, firstIndex: 100 });
  assert.equal(d.n, 7);
  assert.equal(d.flux.length, 7 * 186);
  assert.deepEqual(Array.from(d.ids), [100, 101, 102, 103, 104, 105, 106]);
  assert.equal(SAMPLE_WAVELENGTHS_NM.length, N_FLUX);
  assert.ok(Math.abs(SAMPLE_WAVELENGTHS_NM[0] - 366) < 1);
  assert.ok(Math.abs(SAMPLE_WAVELENGTHS_NM[185] - 996) < 1);
  for (let j = 1; j < N_FLUX; j++) {
    if (j !== N_BP) assert.ok(SAMPLE_WAVELENGTHS_NM[j] > SAMPLE_WAVELENGTHS_NM[j - 1]);
  }
  assert.equal(DISSERTATION_N, 520_393);
});

Deno.test("the sample grid matches the reference reconstruction when ../shared is present", async () => {
  const path = new URL(
    "../../shared/reference/gaiaxpy/smsgen_grid_reconstructed.csv",
    import.meta.url,
  );
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return; // reference files absent (a user's clone): nothing to compare with
  }
  const kept = text.split("\n").filter((l) => l.endsWith(",1")).map((l) => Number(l.split(",")[3]));
  assert.deepEqual(Array.from(SAMPLE_WAVELENGTHS_NM), kept);
});

function moments(z: Float32Array) {
  const n = z.length;
  let mean = 0;
  for (const v of z) mean += v / n;
  let m2 = 0, m3 = 0, m4 = 0;
  for (const v of z) {
    const d = v - mean;
    m2 += d * d / n, m3 += d ** 3 / n, m4 += d ** 4 / n;
  }
  return { mean, std: Math.sqrt(m2), skew: m3 / m2 ** 1.5, kurt: m4 / m2 ** 2 - 3 };
}

Deno.test("redshifts match the published distribution on a large draw", () => {
  const { z } = simulateSpectra({ n: 200_000, seed: 2023, noise: false });
  const m = moments(z);
  assert.ok(Math.abs(m.mean - 0.142) < 0.002, `mean ${m.mean}`);
  assert.ok(Math.abs(m.std - 0.079) < 0.002, `std ${m.std}`);
  assert.ok(Math.abs(m.skew - 1.0936) < 0.05, `skewness ${m.skew}`);
  assert.ok(Math.abs(m.kurt - 1.2703) < 0.1, `excess kurtosis ${m.kurt}`);
  const sorted = Float32Array.from(z).sort();
  const pct: [number, number][] = [
    [1, 0.02564],
    [5, 0.04463],
    [10, 0.05957],
    [25, 0.08431],
    [50, 0.12573],
    [75, 0.18107],
    [90, 0.25860],
    [95, 0.30228],
    [99, 0.36938],
  ];
  for (const [p, target] of pct) {
    const v = sorted[Math.floor(p / 100 * sorted.length)];
    assert.ok(Math.abs(v - target) < 0.005, `percentile ${p}: ${v} vs ${target}`);
  }
  const shares = [6.62, 27.77, 28.99, 16.61, 8.80, 6.00, 3.55, 1.15, 0.30, 0.11, 0.06, 0.04];
  const counts = new Array(12).fill(0);
  for (const v of z) {
    assert.ok(v >= 0 && v <= 0.6);
    counts[Math.min(11, Math.floor(v / 0.05))]++;
  }
  shares.forEach((s, b) => {
    const got = 100 * counts[b] / z.length;
    if (s > 1) assert.ok(Math.abs(got - s) < 0.1 * s, `bin ${b}: ${got}% vs ${s}%`);
  });
});

Deno.test("an emission line lands in the sample nearest (1 + z) × its rest wavelength", () => {
  const grid = new Float64Array(N_GRID);
  const oiii = LINE_GROUPS.indexOf("oiii");
  for (const z of [0.02, 0.1, 0.17, 0.3, 0.45]) {
    observeGroup(oiii, z, grid);
    const out = Array.from(KEPT_IN_GRID, (g) => grid[g]);
    const lambda = 500.68 * (1 + z);
    const band = lambda < 630 ? "bp" : "rp";
    const [a, b] = band === "bp" ? [0, N_BP] : [N_BP, N_FLUX];
    let peak = a;
    for (let j = a; j < b; j++) if (out[j] > out[peak]) peak = j;
    assert.ok(Math.abs(peak - nearestSample(lambda, band)) <= 1, `z=${z}: peak ${peak}`);
  }
});

Deno.test("interpolating the precomputed tables equals shifting then convolving directly", () => {
  const { values, dustK } = getBasis();
  const z = 0.2347, zi = Math.floor(z / Z_STEP), f = z / Z_STEP - zi;
  const direct = new Float64Array(N_GRID);
  observeTemplate(2, z, direct);
  let peak = 0;
  for (const v of direct) peak = Math.max(peak, v);
  for (let j = 0; j < N_GRID; j++) {
    const o0 = (zi * N_COMPONENTS + 2) * N_GRID + j, o1 = o0 + N_COMPONENTS * N_GRID;
    const interpolated = (1 - f) * values[o0] + f * values[o1];
    assert.ok(Math.abs(interpolated - direct[j]) < 0.005 * peak, `sample ${j}`);
  }
  // Dust applied after the instrument (as the simulator does) vs before it.
  const ebv = 0.3;
  const reddened = new Float64Array(N_GRID);
  const t = restContinua()[2];
  observeTemplate(2, z, reddened, 0, (l) => restAt(t, l) * 10 ** (-0.4 * ebv * calzettiK(l)));
  for (let j = 0; j < N_GRID; j++) {
    const after = direct[j] * 10 ** (-0.4 * ebv * dustK[zi * N_GRID + j]);
    assert.ok(Math.abs(after - reddened[j]) < 0.02 * peak, `dust, sample ${j}`);
  }
});

Deno.test("brighter galaxies have higher signal-to-noise", () => {
  const noisy = simulateSpectra({ n: 3000, seed: 9 });
  const clean = simulateSpectra({ n: 3000, seed: 9, noise: false });
  assert.deepEqual(noisy.gMag, clean.gMag);
  const snr = (i: number) => {
    let s = 0, e = 0;
    for (let j = 0; j < N_FLUX; j++) {
      const k = i * N_FLUX + j;
      s += clean.flux[k] ** 2, e += (noisy.flux[k] - clean.flux[k]) ** 2;
    }
    return Math.sqrt(s / e);
  };
  let bright = 0, nb = 0, faint = 0, nf = 0;
  for (let i = 0; i < noisy.n; i++) {
    if (noisy.gMag[i] < 18.5) (bright += snr(i), nb++);
    if (noisy.gMag[i] > 19.8) (faint += snr(i), nf++);
  }
  assert.ok(nb > 50 && nf > 50);
  assert.ok(bright / nb > 1.5 * (faint / nf), `S/N ${bright / nb} vs ${faint / nf}`);
});

Deno.test("mean spectra fall with z, the RP hump carries more light than BP, and the bands join in a dip", () => {
  const d = simulateSpectra({ n: 20_000, seed: 4 });
  const ranges = [[0, 0.1], [0.1, 0.2], [0.2, 0.3], [0.3, 0.4]];
  const means = ranges.map(([a, b]) => {
    const m = new Float64Array(N_FLUX);
    let c = 0;
    for (let i = 0; i < d.n; i++) {
      if (d.z[i] < a || d.z[i] >= b) continue;
      c++;
      for (let j = 0; j < N_FLUX; j++) m[j] += d.flux[i * N_FLUX + j];
    }
    return m.map((v) => v / c);
  });
  const peaks = means.map((m) => Math.max(...m));
  for (let r = 1; r < ranges.length; r++) assert.ok(peaks[r] < peaks[r - 1]);
  const ratio = peaks[0] / peaks[2];
  assert.ok(ratio > 2.2 && ratio < 4, `z<0.1 vs 0.2–0.3 peak ratio ${ratio}`);
  for (const m of means) {
    let bp = 0, rp = 0;
    for (let j = 0; j < N_FLUX; j++) j < N_BP ? (bp += m[j]) : (rp += m[j]);
    assert.ok(rp > bp, "the RP hump carries more light");
    assert.ok(m[79] > m[80] && m[84] > m[80], "dip where the bands join");
  }
  // Values in e⁻ s⁻¹ per unit pseudo-wavelength: a few negative (noise), none absurd.
  let negative = 0, outside = 0;
  for (const v of d.flux) (negative += v < 0 ? 1 : 0, outside += v < -5 || v > 2000 ? 1 : 0);
  assert.ok(negative > 0 && outside === 0);
});

Deno.test("simulateGalaxyAtRedshifts() moves one galaxy: same spectrum at its own z, dimmer farther away", async () => {
  const { simulateGalaxyAtRedshifts } = await import("../lib/mock/simulate.ts");
  const own = simulateSpectra({ n: 1, seed: 7, firstIndex: 3, noise: false });
  const moved = simulateGalaxyAtRedshifts({ seed: 7, index: 3, redshifts: [own.z[0], 0.2, 0.4] });
  // Equal up to the float32 rounding of the z that simulateSpectra reports.
  assert.ok(own.flux.every((v, j) => Math.abs(moved.flux[j] - v) <= 1e-4 * Math.abs(v) + 1e-7));
  const total = (r: number) =>
    moved.flux.subarray(r * 186, (r + 1) * 186).reduce((a, b) => a + b, 0);
  assert.ok(total(1) > total(2), "a galaxy at z = 0.4 is fainter than at z = 0.2");
  assert.throws(() => simulateGalaxyAtRedshifts({ seed: 7, redshifts: [0.9] }), /outside/);
});
