/**
 * Why the tilt appears: a Gaussian toy of regression to the mean. True z ~ N(μ, τ²), observed as
 * x = z + N(0, σ²); the posterior mean ẑ = μ + k (x − μ), k = τ²/(σ² + τ²), has a mean error of
 * (k − 1)(z − μ) by true z and 0 by predicted z. The toy's z is not cut at 0.
 *
 * @module
 */
import { Random } from "../random.ts";

/** Options of {@link gaussianToy}: `n` galaxies (10,000) and `seed` (0); μ, τ, σ as below. */
export interface GaussianToyOptions {
  n?: number;
  /** Mean μ of the true z; default 0.14 (the data's mean is 0.142). */
  mu?: number;
  /** Width τ of the true z; default 0.08 (the data's std is 0.079). */
  tau?: number;
  /** Noise σ of the observation, in units of z; default 0.05. */
  sigma?: number;
  seed?: number;
}

/** The toy's draws (z, x and the posterior means ẑ) and its analytic answers. */
export interface GaussianToy {
  zTrue: Float64Array;
  observed: Float64Array;
  zPred: Float64Array;
  /** The shrinkage k = τ²/(σ² + τ²). */
  shrinkage: number;
  /** The slope of the mean error against true z, k − 1 = −σ²/(σ² + τ²). */
  expectedSlope: number;
}

/** Draws the Gaussian toy from one seed. */
export function gaussianToy(options: GaussianToyOptions = {}): GaussianToy {
  const { n = 10_000, mu = 0.14, tau = 0.08, sigma = 0.05, seed = 0 } = options;
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`n must be a whole number ≥ 1: ${n}`);
  if (!(tau > 0 && sigma >= 0 && Number.isFinite(mu))) {
    throw new RangeError(`need τ > 0, σ ≥ 0 and a finite μ: τ = ${tau}, σ = ${sigma}, μ = ${mu}`);
  }
  const random = new Random(seed);
  const shrinkage = (tau * tau) / (sigma * sigma + tau * tau);
  const zTrue = new Float64Array(n), observed = new Float64Array(n), zPred = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    zTrue[i] = mu + tau * random.normal();
    observed[i] = zTrue[i] + sigma * random.normal();
    zPred[i] = mu + shrinkage * (observed[i] - mu);
  }
  return { zTrue, observed, zPred, shrinkage, expectedSlope: shrinkage - 1 };
}
