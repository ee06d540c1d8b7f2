/**
 * The dissertation's published numbers, to print beside ours.
 *
 * Source: A. Kiraleos, "Application of Machine Learning Methods on
 * Astronomical Databases", MSc dissertation, 2023, as summarised in the
 * project's mission notes (shared/docs/mission.md). Nothing here is computed.
 *
 * @module
 */

/** Table 3: mean error (prediction − truth), its std and the share of data per 0.05 bin. */
export const PUBLISHED_ERRORS_BY_BIN: readonly {
  zLow: number;
  zHigh: number;
  meanError: number;
  stdError: number;
  percent: number;
}[] = [
  // [mean error, std, % of data] for 0.00–0.05, 0.05–0.10, …, 0.55–0.60
  [0.0216, 0.0236, 6.62],
  [0.0117, 0.0208, 27.77],
  [0.0013, 0.0243, 28.99],
  [-0.0081, 0.0296, 16.61],
  [-0.011, 0.0346, 8.8],
  [-0.0122, 0.0333, 6.0],
  [-0.0248, 0.0351, 3.55],
  [-0.0458, 0.0416, 1.15],
  [-0.0793, 0.0593, 0.3],
  [-0.1327, 0.0806, 0.11],
  [-0.1804, 0.1128, 0.06],
  [-0.21, 0.0978, 0.04],
].map(([meanError, stdError, percent], b) => ({
  zLow: b * 5 / 100,
  zHigh: (b + 1) * 5 / 100,
  meanError,
  stdError,
  percent,
}));

/** Redshift distribution of the whole dataset (520,393 galaxies). */
export const PUBLISHED_REDSHIFT_STATS = {
  n: 520_393,
  mean: 0.142,
  median: 0.126,
  std: 0.079,
  skewness: 1.0936,
  excessKurtosis: 1.2703,
  percentiles: {
    1: 0.02564,
    5: 0.04463,
    10: 0.05957,
    25: 0.08431,
    50: 0.12573,
    75: 0.18107,
    90: 0.25860,
    95: 0.30228,
    99: 0.36938,
  } as Record<number, number>,
} as const;

/** Headline results of the published run. */
export const PUBLISHED_RESULTS = {
  testMae: 0.021,
  trainMae: 0.021,
  validationMae: 0.021,
  /** Validation (Huber) loss levels off near this value. */
  validationLossPlateau: 0.0005,
  epochs: 20,
  batchSize: 16,
  trainingMinutes: 75,
  trainingHardware: "one AMD RX 6600 (8 GB), Keras",
  testGalaxies: 52_000,
} as const;

/** Table 1: the three galaxies the dissertation quotes (z, first three and last three fluxes). */
export const PUBLISHED_EXAMPLE_ROWS: readonly { z: number; first: number[]; last: number[] }[] = [
  { z: 0.1735581, first: [0.539, 0.514, 0.439], last: [2.909, 2.705, 2.386] },
  { z: 0.2647779, first: [-0.213, -0.14, 0.052], last: [13.063, 12.639, 12.429] },
  { z: 0.1288678, first: [0.394, 0.329, 0.287], last: [5.484, 5.281, 5.123] },
];
