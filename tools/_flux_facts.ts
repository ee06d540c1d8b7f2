/**
 * The mock held against every published fact about the real fluxes (issue 17).
 *
 * Table 1's three quoted rows (first and last three fluxes), the mean spectra per redshift range
 * of Figure 11 (falling with z, z < 0.1 peak about 3 × the 0.2–0.3 peak, a BP hump, a larger RP
 * hump, the dip where BP and RP join), and the noise at both ends. Used by `tools/mock_facts.ts`
 * (prints them) and `tests/mock_flux_scale_test.ts` (asserts them).
 *
 * @module
 */
import { PUBLISHED_EXAMPLE_ROWS } from "../lib/published.ts";
import { N_BP, N_FLUX } from "../lib/spectra.ts";
import { SAMPLE_WAVELENGTHS_NM } from "../lib/mock/mod.ts";

/** Galaxies to measure: noisy fluxes, the same galaxies without noise, and the noise's σ. */
export interface FactsInput {
  n: number;
  z: Float32Array;
  gMag: Float32Array;
  /** Fluxes as written to the data files (with noise). */
  flux: Float32Array;
  /** The same galaxies' noiseless fluxes. */
  clean: Float32Array;
  /** Expected noise σ of sample j at noiseless signal s. */
  sigma: (s: number, j: number) => number;
}

/** The columns Table 1 quotes: flux_0..2 and flux_183..185. */
export const QUOTED_COLUMNS = [0, 1, 2, 183, 184, 185] as const;

/** Half-width of the redshift window around a quoted row's z. */
const ROW_WINDOW = 0.01;

/** The q-quantile of `values` (sorted copy, nearest rank). */
function quantile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.floor(q * s.length)))];
}

function nearest(nm: number): number {
  let best = N_BP;
  for (let j = N_BP; j < N_FLUX; j++) {
    if (Math.abs(SAMPLE_WAVELENGTHS_NM[j] - nm) < Math.abs(SAMPLE_WAVELENGTHS_NM[best] - nm)) {
      best = j;
    }
  }
  return best;
}

/**
 * Measures every fact on `d`: per quoted row, the mock's 5–95 % range of each quoted column for
 * galaxies within ±{@link ROW_WINDOW} of its z and the share below each value (0.5: the median);
 * per z range, the mean spectrum's peaks and samples 79 (last BP), 80 (first RP) and 84, whose
 * dip marks where the bands join; the ends' quantiles, the median S/N at 18.6 ≤ G < 19.0, and
 * the share of flux_0..2 below zero.
 */
export function measureFluxFacts(d: FactsInput) {
  const rows = PUBLISHED_EXAMPLE_ROWS.map((row) => {
    const near: number[] = [];
    for (let i = 0; i < d.n; i++) if (Math.abs(d.z[i] - row.z) <= ROW_WINDOW) near.push(i);
    const quoted = [...row.first, ...row.last];
    const p5: number[] = [], p95: number[] = [], rank: number[] = [];
    QUOTED_COLUMNS.forEach((j, k) => {
      const v = near.map((i) => d.flux[i * N_FLUX + j]);
      p5.push(quantile(v, 0.05)), p95.push(quantile(v, 0.95));
      rank.push(v.filter((x) => x < quoted[k]).length / Math.max(v.length, 1));
    });
    const inside = quoted.map((q, k) => q >= p5[k] && q <= p95[k]);
    return { z: row.z, count: near.length, quoted, p5, p95, inside, rank };
  });

  // The ranges of width 0.1 from 0 to 0.6 (the last one closed).
  const ranges = [0, 1, 2, 3, 4, 5].map((k) => {
    const [a, b] = [k / 10, (k + 1) / 10];
    const m = new Float64Array(N_FLUX);
    let count = 0;
    for (let i = 0; i < d.n; i++) {
      if (d.z[i] < a || (b < 0.6 ? d.z[i] >= b : d.z[i] > b)) continue;
      count++;
      for (let j = 0; j < N_FLUX; j++) m[j] += d.flux[i * N_FLUX + j];
    }
    for (let j = 0; j < N_FLUX; j++) m[j] /= Math.max(count, 1);
    const bpPeak = Math.max(...m.subarray(0, N_BP)), rpPeak = Math.max(...m.subarray(N_BP));
    return {
      range: [a, b] as [number, number],
      count,
      peak: Math.max(bpPeak, rpPeak),
      bpPeak,
      rpPeak,
      at79: m[79],
      at80: m[80],
      at84: m[84],
      dip: m[79] > m[80] && m[84] > m[80],
    };
  });

  const three = (j: number) => {
    const v = Array.from({ length: d.n }, (_, i) => d.flux[i * N_FLUX + j]);
    return [0.05, 0.5, 0.95].map((q) => quantile(v, q));
  };

  const snr = [[366, 0], [797, nearest(797)], [997, 185]].map(([nm, j]) => {
    const r: number[] = [];
    for (let i = 0; i < d.n; i++) {
      if (d.gMag[i] < 18.6 || d.gMag[i] >= 19.0) continue;
      const s = d.clean[i * N_FLUX + j];
      r.push(s / d.sigma(s, j));
    }
    return { nm, sample: j, median: quantile(r, 0.5) };
  });

  let negative = 0;
  for (let i = 0; i < d.n; i++) {
    for (let j = 0; j < 3; j++) negative += d.flux[i * N_FLUX + j] < 0 ? 1 : 0;
  }

  return {
    rows,
    ranges,
    /** Peak of the z < 0.1 mean over the peak of the 0.2–0.3 mean (published: about 3). */
    peakRatio: ranges[0].peak / ranges[2].peak,
    flux0: three(0),
    flux185: three(185),
    snr,
    negativeBlue: negative / (3 * d.n),
  };
}

/** The facts as text, one block per kind, with the published value beside each. */
export function formatFluxFacts(f: ReturnType<typeof measureFluxFacts>): string {
  const n2 = (v: number) => v.toFixed(2).padStart(6);
  const out: string[] = [];
  out.push("Table 1 rows: quoted value, then the mock's 5–95 % for galaxies within ±0.01 in z");
  for (const r of f.rows) {
    out.push(`  z = ${r.z.toFixed(3)} (${r.count} galaxies)`);
    QUOTED_COLUMNS.forEach((j, k) => {
      out.push(
        `    flux_${String(j).padEnd(3)} ${n2(r.quoted[k])}  in [${n2(r.p5[k])}, ${
          n2(r.p95[k])
        }]  ${r.inside[k] ? "yes" : "NO "}  rank ${r.rank[k].toFixed(2)}`,
      );
    });
  }
  const inside = f.rows.flatMap((r) => r.inside).filter((x) => x).length;
  const ranks = f.rows.flatMap((r) => r.rank);
  const blue = f.rows.flatMap((r) => r.rank.slice(0, 3)),
    red = f.rows.flatMap((r) => r.rank.slice(3));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  out.push(
    `  inside: ${inside} of 18; mean rank ${mean(ranks).toFixed(2)} (blue ${
      mean(blue).toFixed(2)
    }, red ${mean(red).toFixed(2)}; 0.5 is central)`,
  );
  out.push("Figure 11: mean spectrum per z range");
  out.push("  range       count   peak  BP peak  RP peak  RP>BP  s79    s80    s84   dip");
  for (const r of f.ranges) {
    out.push(
      `  ${r.range[0].toFixed(1)}–${r.range[1].toFixed(1)}  ${String(r.count).padStart(7)} ${
        n2(r.peak)
      } ${n2(r.bpPeak)}   ${n2(r.rpPeak)}   ${r.rpPeak > r.bpPeak ? "yes" : "NO "}  ${n2(r.at79)} ${
        n2(r.at80)
      } ${n2(r.at84)}  ${r.dip ? "yes" : "NO"}`,
    );
  }
  const falls = f.ranges.every((r, k) => k === 0 || r.peak < f.ranges[k - 1].peak);
  out.push(
    `  peaks fall with z: ${falls ? "yes" : "NO"}; peak z<0.1 / peak 0.2–0.3 = ${
      f.peakRatio.toFixed(2)
    } (published: about 3)`,
  );
  out.push("Ends (all galaxies): 5 / 50 / 95 %");
  out.push(`  flux_0   ${f.flux0.map(n2).join(" ")}   (quoted rows: −0.21 … 0.54)`);
  out.push(`  flux_185 ${f.flux185.map(n2).join(" ")}   (quoted rows: 2.39 … 12.43)`);
  out.push(`  flux_0..2 below zero: ${(100 * f.negativeBlue).toFixed(1)} % (quoted rows: 2 of 9)`);
  out.push("Median S/N per sample, 18.6 ≤ G < 19.0");
  for (const s of f.snr) out.push(`  ${s.nm} nm (flux_${s.sample}): ${s.median.toFixed(2)}`);
  return out.join("\n");
}
