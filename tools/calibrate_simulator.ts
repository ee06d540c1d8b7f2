/**
 * Derives the simulator's committed numbers from the public reference files.
 *
 * Reads `../shared/reference/gaiaxpy/` (dispersion, BP/RP responses, the
 * reconstructed sample grid) and `../shared/reference/kcorrect/` (five galaxy
 * templates fitted to SDSS galaxies), fits this project's parametric galaxy
 * model to each template, and writes `lib/mock/calibration.json`.
 * The library never reads `../shared` itself: a user's clone has only the
 * numbers written here.
 *
 * Usage: `deno run -A tools/calibrate_simulator.ts [REFERENCE_DIR]`
 *
 * @module
 */
import {
  ABSORPTION_FEATURES,
  continuumModel,
  EMISSION_LINES,
  N_CONTINUUM_PARAMS,
  temperature,
} from "../lib/mock/_sed_model.ts";
import { writeFileAtomic } from "../lib/_atomic.ts";
import { EXIT, fail, parseToolCommandLine, usage } from "./_args.ts";
import { isFolder } from "./_system.ts";

const { positionals } = parseToolCommandLine("calibrate_simulator", {}, true, import.meta);
if (positionals.length > 1) {
  usage(`one REFERENCE_DIR expected, got ${positionals.length} arguments`);
}
const REF = positionals[0] ?? new URL("../../shared/reference/", import.meta.url).pathname;
for (const part of ["gaiaxpy", "kcorrect"]) {
  if (!isFolder(`${REF}/${part}`)) {
    fail(EXIT.input, `${REF}: no ${part}/ folder (expected the team's shared/reference/)`);
  }
}
const OUT = new URL("../lib/mock/calibration.json", import.meta.url).pathname;

/** Rest-frame range fitted: what 366–996 nm covers for 0 ≤ z ≤ 0.6, with margins. */
const FIT_MIN_A = 2150;
const FIT_MAX_A = 10800;

function readCsvRows(path: string): string[][] {
  return Deno.readTextFileSync(path).trim().split("\n")
    .filter((l) => !l.startsWith("#"))
    .map((l) => l.split(","));
}

// ---------- instrument ----------

function instrumentTables() {
  const disp = readCsvRows(
    `${REF}/gaiaxpy/TabulatedDispersionFunction-DR3-v375wiv142r_20200610.csv`,
  ).slice(1);
  const bpResp = readCsvRows(`${REF}/gaiaxpy/bpC03_v375wi_response.csv`).map((r) => r.map(Number));
  const rpResp = readCsvRows(`${REF}/gaiaxpy/rpC03_v142r_response.csv`).map((r) => r.map(Number));
  // Every nm from 320 to 1070: its row of the dispersion table and its index in the responses.
  const lams = Array.from({ length: 751 }, (_, i) => 320 + i);
  const rows = lams.map((lam) => disp.find((r) => Math.round(Number(r[0])) === lam)!);
  const at = lams.map((lam) => Math.round((lam - 310) / 0.5));
  const grid = readCsvRows(`${REF}/gaiaxpy/smsgen_grid_reconstructed.csv`).slice(1);
  const kept = grid.filter((r) => r[5] === "1");
  const bpAll = grid.filter((r) => r[0] === "BP").map((r) => Number(r[2]));
  const rpAll = grid.filter((r) => r[0] === "RP").map((r) => Number(r[2]));
  return {
    responseWavelengthNm: { start: 320, step: 1, count: lams.length },
    responseBp: at.map((k) => sig(Math.max(0, bpResp[1][k]))),
    responseRp: at.map((k) => sig(Math.max(0, rpResp[1][k]))),
    pseudoWavelengthBp: rows.map((r) => round(Number(r[1]), 4)),
    pseudoWavelengthRp: rows.map((r) => (r[2] === "" ? null : round(Number(r[2]), 4))),
    sampleBand: kept.map((r) => r[0]),
    sampleIndex: kept.map((r) => Number(r[1])),
    samplePseudoWavelength: kept.map((r) => Number(r[2])),
    sampleWavelengthNm: kept.map((r) => Number(r[3])),
    sampleWidthNm: kept.map((r) => Number(r[4])),
    sampleStepBp: round(Math.abs(bpAll[1] - bpAll[0]), 5),
    sampleStepRp: round(Math.abs(rpAll[1] - rpAll[0]), 5),
  };
}

// ---------- galaxy templates ----------

interface Template {
  wave: Float64Array;
  flux: Float64Array[];
}

function readTemplates(): Template {
  const rows = Deno.readTextFileSync(`${REF}/kcorrect/kcorrect_default_v4_templates.txt`)
    .trim().split("\n").filter((l) => !l.startsWith("#")).map((l) =>
      l.trim().split(/\s+/).map(Number)
    ).filter((r) => r[0] >= FIT_MIN_A - 200 && r[0] <= FIT_MAX_A + 200);
  const wave = new Float64Array(rows.map((r) => r[0]));
  const flux = [1, 2, 3, 4, 5].map((k) => new Float64Array(rows.map((r) => r[k])));
  return { wave, flux };
}

function meanIn(w: Float64Array, f: ArrayLike<number>, a: number, b: number): number {
  let s = 0, n = 0;
  for (let i = 0; i < w.length; i++) if (w[i] >= a && w[i] < b) (s += f[i], n++);
  return s / n;
}

/** Ratio of the mean f_nu (∝ f_λ λ²) in the rest-frame band `a` to that in band `b`. */
function fnuRatio(w: Float64Array, f: ArrayLike<number>, a: number[], b: number[]): number {
  const fnu = Array.from(f, (v, i) => v * w[i] * w[i]);
  return meanIn(w, fnu, a[0], a[1]) / meanIn(w, fnu, b[0], b[1]);
}

const U_BAND = [3200, 3900];
const G_BAND = [4100, 5500];
const R_BAND = [5600, 6900];
const I_BAND = [7000, 8400];

/** Whether a rest wavelength is fitted: in the fitted range, away from every emission line. */
function fitted(lam: number): boolean {
  return lam >= FIT_MIN_A && lam <= FIT_MAX_A &&
    !EMISSION_LINES.some((l) => Math.abs(lam - l.restA) < 18);
}

/** Levenberg–Marquardt on log flux with a numerical Jacobian. */
function fitContinuum(w: Float64Array, f: Float64Array): number[] {
  const idx = [...w.keys()].filter((i) => fitted(w[i]) && f[i] > 0);
  const lw = idx.map((i) => w[i]);
  const y = idx.map((i) => Math.log(f[i]));
  // Start: three stellar temperatures, equal weights, no features; log amplitudes offset.
  const norm = Math.log(meanIn(w, f, 5450, 5550));
  const starts = [[3500, 6000, 15000], [4000, 8000, 30000], [3000, 5000, 10000]];
  let best: number[] = [];
  let bestCost = Infinity;
  for (const t of starts) {
    const p0 = new Array(N_CONTINUUM_PARAMS).fill(0);
    for (let k = 0; k < 3; k++) {
      p0[k] = norm - Math.log(3);
      // Inverse of temperature(): logistic in log T between 2500 and 50000 K.
      const x = Math.log(t[k] / 2500) / Math.log(20);
      p0[3 + k] = Math.log(x / (1 - x));
    }
    const { p, cost } = levenbergMarquardt(p0, lw, y);
    if (cost < bestCost) (bestCost = cost, best = p);
  }
  return best;
}

/** Weight of the ridge penalty that keeps depths of features the data barely constrain near 0. */
const DEPTH_PENALTY = 0.5;

function residuals(p: number[], lw: number[], y: number[]): number[] {
  const m = continuumModel(p, lw);
  const r = y.map((v, i) => v - Math.log(Math.max(m[i], 1e-300)));
  for (let f = 6; f < p.length; f++) r.push(DEPTH_PENALTY * p[f]);
  return r;
}

function levenbergMarquardt(p0: number[], lw: number[], y: number[]) {
  let p = p0.slice();
  let r = residuals(p, lw, y);
  let cost = r.reduce((s, v) => s + v * v, 0);
  let lambda = 1e-2;
  const np = p.length;
  for (let iter = 0; iter < 300; iter++) {
    const jac: number[][] = [];
    for (let k = 0; k < np; k++) {
      const q = p.slice();
      const h = 1e-5 * Math.max(1, Math.abs(q[k]));
      q[k] += h;
      const rk = residuals(q, lw, y);
      jac.push(rk.map((v, i) => -(v - r[i]) / h));
    }
    const a = Array.from(
      { length: np },
      (_, i) =>
        Array.from({ length: np }, (_, j) => jac[i].reduce((s, v, n) => s + v * jac[j][n], 0)),
    );
    const g = jac.map((row) => row.reduce((s, v, n) => s + v * r[n], 0));
    let improved = false;
    for (let tries = 0; tries < 10 && !improved; tries++) {
      const m = a.map((row, i) => row.map((v, j) => (i === j ? v * (1 + lambda) + 1e-12 : v)));
      const step = solve(m, g);
      const q = p.map((v, k) => v + step[k]);
      const rq = residuals(q, lw, y);
      const c = rq.reduce((s, v) => s + v * v, 0);
      if (Number.isFinite(c) && c < cost) {
        const rel = (cost - c) / cost;
        p = q, r = rq, cost = c, lambda = Math.max(lambda / 3, 1e-7), improved = true;
        if (rel < 1e-9) return { p, cost };
      } else lambda *= 4;
    }
    if (!improved) break;
  }
  return { p, cost };
}

/** Solves a small dense system by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
    [m[c], m[piv]] = [m[piv], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = new Array(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * x[k];
    x[r] = s / m[r][r];
  }
  return x;
}

/** Fits Gaussians of one common width at the known line centres to the residual; fluxes in Å × F(5500). */
function measureLines(w: Float64Array, resid: Float64Array) {
  const idx = [...w.keys()].filter((i) =>
    EMISSION_LINES.some((l) => Math.abs(w[i] - l.restA) < 30)
  );
  let best = { sigma: 0, flux: [] as number[], cost: Infinity };
  for (let sigma = 1.5; sigma <= 8; sigma += 0.25) {
    const cols = EMISSION_LINES.map((l) =>
      idx.map((i) =>
        Math.exp(-0.5 * ((w[i] - l.restA) / sigma) ** 2) / (sigma * Math.sqrt(2 * Math.PI))
      )
    );
    const a = cols.map((ci) => cols.map((cj) => ci.reduce((s, v, n) => s + v * cj[n], 0)));
    const b = cols.map((ci) => ci.reduce((s, v, n) => s + v * resid[idx[n]], 0));
    const flux = solve(a.map((row, i) => row.map((v, j) => (i === j ? v + 1e-9 : v))), b);
    const cost = idx.reduce((s, i, n) => {
      const m = cols.reduce((t, c, k) => t + flux[k] * c[n], 0);
      return s + (resid[i] - m) ** 2;
    }, 0);
    if (cost < best.cost) best = { sigma, flux, cost };
  }
  return best;
}

function calibrateTemplates() {
  const t = readTemplates();
  return t.flux.map((raw, k) => {
    const scale = meanIn(t.wave, raw, 5450, 5550);
    const f = raw.map((v) => v / scale);
    const p = fitContinuum(t.wave, f);
    const model = continuumModel(p, Array.from(t.wave));
    const resid = f.map((v, i) => v - model[i]);
    const lines = measureLines(t.wave, resid);
    const fitIdx = [...t.wave.keys()].filter((i) => fitted(t.wave[i]));
    const rms = Math.sqrt(
      fitIdx.reduce((s, i) => s + Math.log(model[i] / f[i]) ** 2, 0) / fitIdx.length,
    );
    const lineFlux = Object.fromEntries(EMISSION_LINES.map((l, j) => [l.name, lines.flux[j]]));
    // [template, model] pairs of each measure.
    const both = (measure: (flux: ArrayLike<number>) => number) =>
      [f, model].map((g) => round(measure(g), 3));
    const colour = (g: ArrayLike<number>, a: number[], b: number[]) =>
      -2.5 * Math.log10(fnuRatio(t.wave, g, a, b));
    const check = {
      // The narrow 4000 Å break (Balogh et al. 1999), then colours in magnitudes.
      dn4000: both((g) => fnuRatio(t.wave, g, [4000, 4100], [3850, 3950])),
      uMinusG: both((g) => colour(g, U_BAND, G_BAND)),
      gMinusR: both((g) => colour(g, G_BAND, R_BAND)),
      rMinusI: both((g) => colour(g, R_BAND, I_BAND)),
      logFluxRms: round(rms, 4),
      lineSigmaA: lines.sigma,
    };
    return {
      name: `kcorrect t${k + 1}`,
      continuum: p.map((v) => round(v, 6)),
      temperaturesK: [3, 4, 5].map((i) => Math.round(temperature(p[i]))),
      lineFluxA: Object.fromEntries(Object.entries(lineFlux).map(([n, v]) => [n, round(v, 4)])),
      check,
    };
  });
}

function round(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}

function sig(v: number): number {
  return v === 0 ? 0 : Number(v.toPrecision(5));
}

const instrument = instrumentTables();
const templates = calibrateTemplates();
for (const t of templates) {
  console.log(t.name, JSON.stringify(t.check), JSON.stringify(t.lineFluxA));
}

// The output is data, not code: lib/mock/_calibration.ts imports it.
const calibration = {
  provenance: {
    generatedBy: "tools/calibrate_simulator.ts",
    generatedOn: new Date().toISOString().slice(0, 10),
    instrument: "GaiaXPy configuration files (BSD-3-Clause): " +
      "TabulatedDispersionFunction-DR3-v375wiv142r_20200610.csv (pseudo-wavelength u(λ), 1 nm), " +
      "bpC03_v375wi_response.csv and rpC03_v142r_response.csv (responses R(λ), resampled to 1 nm, " +
      "negatives clipped to 0), and smsgen_grid_reconstructed.csv (a reconstruction of the Apsis " +
      "120 + 120 sample grid; the 186 samples the dissertation kept).",
    templates:
      "Parameters of this project's galaxy model (lib/mock/_sed_model.ts) fitted by least " +
      "squares to the five kcorrect v4 templates (Blanton & Roweis 2007, BSD-3-Clause), rest frame " +
      `${FIT_MIN_A}–${FIT_MAX_A} Å, each normalised to F_λ(5500 Å) = 1; emission-line fluxes ` +
      "measured on the residual (Å, relative to that continuum). `check` pairs [template, model] values.",
  },
  instrument,
  templates,
  featureNames: ABSORPTION_FEATURES.map((f) => f.name),
};
await writeFileAtomic(OUT, JSON.stringify(calibration) + "\n");
console.log(`wrote ${OUT}`);
