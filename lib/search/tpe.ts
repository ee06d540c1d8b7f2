/**
 * The tree-structured Parzen estimator (TPE; Bergstra et al. 2011), the model-based search of
 * hyperopt and Optuna. After some random trials it splits the trials so far into the best fraction
 * γ ("good") and the rest ("bad"), fits a density to each, l(x) and g(x) (per numeric dimension a
 * mixture of truncated Gaussians, one per point plus a broad prior; per categorical one smoothed
 * counts; dimensions independent, as in Optuna's default), draws candidates from l(x) and
 * evaluates the one that maximises l(x)/g(x), where the expected improvement is largest.
 *
 * @module
 */
import type { Random } from "../random.ts";
import {
  type Dimension,
  fromInternal,
  internalBounds,
  type Params,
  type ParamValue,
  sampleSpace,
  type SearchSpace,
  toInternal,
} from "./space.ts";
import type { Observation, Proposal, Sampler } from "./sampler.ts";

/** Options of {@link tpeSampler}. */
export interface TpeOptions {
  /** Random trials before the model takes over; default 10. */
  startupTrials?: number;
  /** Candidates drawn from l(x) per proposal; default 24. */
  candidates?: number;
  /** Fraction of trials counted as good; default 0.25 (at most 25 trials). */
  gamma?: number;
  /** Weight of the broad prior component of each density; default 1. */
  priorWeight?: number;
}

/** A TPE sampler: random for the first `startupTrials` trials, then model-based. */
export function tpeSampler(options: TpeOptions = {}): Sampler {
  const settings = {
    startupTrials: options.startupTrials ?? 10,
    candidates: options.candidates ?? 24,
    gamma: options.gamma ?? 0.25,
    priorWeight: options.priorWeight ?? 1,
  };
  return {
    name: "tpe",
    settings,
    propose(space: SearchSpace, observations: readonly Observation[], random: Random): Proposal {
      if (observations.length < settings.startupTrials) {
        return { params: sampleSpace(space, random), source: "random" };
      }
      const ranked = [...observations].sort((a, b) => score(a.value) - score(b.value));
      const nGood = Math.min(25, Math.max(1, Math.ceil(settings.gamma * ranked.length)));
      const good = ranked.slice(0, nGood).map((o) => o.params);
      const bad = ranked.slice(nGood).map((o) => o.params);
      const models = Object.entries(space.dimensions).map(([name, dim]) => ({
        name,
        l: fitDensity(dim, good.map((p) => p[name]), settings.priorWeight),
        g: fitDensity(dim, bad.map((p) => p[name]), settings.priorWeight),
      }));
      let best: Params | null = null, bestScore = -Infinity;
      // Invalid candidates are dropped; a few more rounds before falling back to the prior.
      for (let round = 0; round < 10 && best === null; round++) {
        for (let c = 0; c < settings.candidates; c++) {
          const params: Params = {};
          let s = 0;
          for (const m of models) {
            const v = m.l.sample(random);
            params[m.name] = v;
            s += m.l.logDensity(v) - m.g.logDensity(v);
          }
          if (space.isValid && !space.isValid(params)) continue;
          if (s > bestScore) [best, bestScore] = [params, s];
        }
      }
      return best
        ? { params: best, source: "tpe" }
        : { params: sampleSpace(space, random), source: "random" };
    },
  };
}

/** Failed trials (null, NaN, ±∞) rank last. */
function score(value: number | null): number {
  return value === null || !Number.isFinite(value) ? Infinity : value;
}

interface Density {
  sample(random: Random): ParamValue;
  logDensity(value: ParamValue): number;
}

/** A Parzen density of one dimension fitted to `values` (plus a prior). */
export function fitDensity(dim: Dimension, values: ParamValue[], priorWeight = 1): Density {
  if (dim.kind === "categorical") return categoricalDensity(dim.choices, values, priorWeight);
  const [low, high] = internalBounds(dim);
  const points = values.map((v) => toInternal(dim, Number(v)));
  const range = high - low;
  // hyperopt's bandwidths: each point's larger gap to its sorted neighbours (the prior mean
  // among them), clipped so that a dense cluster stays searchable and a lone point stays local.
  const centers = [...points, (low + high) / 2];
  const order = centers.map((_, i) => i).sort((a, b) => centers[a] - centers[b]);
  const sigmas = new Array<number>(centers.length);
  const minSigma = range / Math.min(100, 1 + centers.length);
  order.forEach((index, k) => {
    const left = k > 0 ? centers[index] - centers[order[k - 1]] : centers[index] - low;
    const right = k < order.length - 1
      ? centers[order[k + 1]] - centers[index]
      : high - centers[index];
    sigmas[index] = Math.min(range, Math.max(minSigma, left, right));
  });
  sigmas[centers.length - 1] = range; // the prior: one broad component
  const weights = centers.map((_, i) => (i === centers.length - 1 ? priorWeight : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const mass = centers.map((m, i) =>
    normalCdf((high - m) / sigmas[i]) - normalCdf((low - m) / sigmas[i])
  );
  return {
    sample(random) {
      const k = pickWeighted(weights, total, random);
      let t = centers[k];
      for (let tries = 0; tries < 100; tries++) {
        t = centers[k] + sigmas[k] * random.normal();
        if (t >= low && t <= high) break;
        t = Math.min(high, Math.max(low, t));
      }
      return fromInternal(dim, t);
    },
    logDensity(value) {
      const t = toInternal(dim, Number(value));
      let p = 0;
      for (let i = 0; i < centers.length; i++) {
        const z = (t - centers[i]) / sigmas[i];
        p += (weights[i] / total) * Math.exp(-0.5 * z * z) /
          (sigmas[i] * Math.sqrt(2 * Math.PI) * mass[i]);
      }
      return Math.log(p);
    },
  };
}

function categoricalDensity(
  choices: readonly ParamValue[],
  values: ParamValue[],
  priorWeight: number,
): Density {
  const weights = choices.map((c) => priorWeight + values.filter((v) => v === c).length);
  const total = weights.reduce((a, b) => a + b, 0);
  return {
    sample: (random) => choices[pickWeighted(weights, total, random)],
    logDensity(value) {
      const k = choices.indexOf(value);
      return k < 0 ? -Infinity : Math.log(weights[k] / total);
    },
  };
}

/** Index k drawn with probability weights[k] / total. */
function pickWeighted(weights: readonly number[], total: number, random: Random): number {
  let u = random.uniform() * total, k = 0;
  while (k < weights.length - 1 && u >= weights[k]) u -= weights[k++];
  return k;
}

/** Standard normal CDF through erf (Abramowitz & Stegun 7.1.26, error below 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 +
    t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
