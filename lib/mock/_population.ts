/**
 * Who the galaxies are: redshift, type, dust, line strengths and brightness.
 *
 * The draws mimic a magnitude-limited spectroscopic sample: the fraction of
 * quiescent (red, old) galaxies rises with z, as luminous red galaxies
 * dominate the far part of SDSS; typical apparent brightness falls with
 * distance, but much less than 1/d_L² because the far galaxies that make it
 * into the sample are the intrinsically luminous ones (Malmquist bias).
 *
 * @module
 */
import type { Random } from "../random.ts";
import { redshiftQuantile } from "./_redshift_distribution.ts";
import { N_TEMPLATES } from "./_sed.ts";
import { GALAXY_SIZE, type Profile } from "./_extent.ts";

/** A galaxy's drawn properties. */
export interface Galaxy {
  z: number;
  /** Star-formation activity: 0 = quiescent, 1 = strongly star-forming. */
  activity: number;
  /** Light share of each template at 5500 Å (sums to 1). */
  weights: Float64Array;
  /** Multiplier of each line group's template-predicted flux. */
  lineScatter: Float64Array;
  /** Extra dust reddening E(B−V) on top of the templates' own, magnitudes. */
  ebv: number;
  /** Apparent Gaia-like G magnitude of the 186 kept samples. */
  gMag: number;
  /** Half-light radius in kpc. */
  radiusKpc: number;
  /** Light profile: star-forming galaxies are discs, quiescent ones spheroids. */
  profile: Profile;
}

/**
 * Template light shares along the activity sequence, t1..t5 at activity 0, 1/3, 2/3, 1.
 *
 * t4 (Dn4000 1.9) and t1 (redder still) are old populations; t3 is intermediate
 * (strong Balmer lines), t5 young with a weak break, t2 a starburst with strong lines.
 */
const ANCHORS: readonly number[][] = [
  [0.3, 0.0, 0.0, 0.7, 0.0],
  [0.1, 0.0, 0.2, 0.5, 0.2],
  [0.0, 0.05, 0.4, 0.15, 0.4],
  [0.0, 0.2, 0.5, 0.0, 0.3],
];

/** Scatter (natural-log sigma) of each template share around the sequence: galaxy diversity. */
export const WEIGHT_SCATTER = 0.5;
/** Scatter (ln sigma) of each line group's flux: gas conditions vary at fixed stellar type. */
export const LINE_SCATTER = 0.5;

/** Faintest and brightest G drawn. */
export const G_LIMITS = { faint: 21.0, bright: 16.5 } as const;
/** Mean G at z = 0.1, the share of the inverse-square dimming that survives selection, scatter. */
export const BRIGHTNESS = { gAtZ01: 18.7, dimmingSlope: 0.45, sigma: 0.65 } as const;

/** Quiescent fraction at redshift z: from about 0.35 nearby to 0.85 beyond z ≈ 0.35. */
export function quiescentFraction(z: number): number {
  const t = Math.min(Math.max((z - 0.05) / 0.3, 0), 1);
  return 0.35 + 0.5 * t * t * (3 - 2 * t);
}

/** Luminosity distance in units of c/H0 for flat ΛCDM (Ωm = 0.3), by Simpson's rule. */
export function luminosityDistance(z: number): number {
  const n = 32, h = z / n;
  const f = (x: number) => 1 / Math.sqrt(0.3 * (1 + x) ** 3 + 0.7);
  let s = f(0) + f(z);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(i * h);
  return (1 + z) * s * h / 3;
}

const DL_01 = luminosityDistance(0.1);

/** Draws one galaxy from its own generator. */
export function drawGalaxy(rng: Random): Galaxy {
  const z = redshiftQuantile(rng.uniform());
  const quiescent = rng.uniform() < quiescentFraction(z);
  const activity = quiescent ? 0.25 * rng.uniform() ** 2 : 0.3 + 0.7 * rng.uniform();

  // Template shares: interpolate the sequence, then scatter each share.
  const x = activity * (ANCHORS.length - 1);
  const a = Math.min(Math.floor(x), ANCHORS.length - 2), f = x - a;
  const weights = new Float64Array(N_TEMPLATES);
  let total = 0;
  for (let t = 0; t < N_TEMPLATES; t++) {
    const w = (1 - f) * ANCHORS[a][t] + f * ANCHORS[a + 1][t];
    weights[t] = w * Math.exp(WEIGHT_SCATTER * rng.normal());
    total += weights[t];
  }
  for (let t = 0; t < N_TEMPLATES; t++) weights[t] /= total;

  const common = LINE_SCATTER * rng.normal();
  const lineScatter = new Float64Array(5);
  for (let g = 0; g < 5; g++) lineScatter[g] = Math.exp(common + 0.5 * LINE_SCATTER * rng.normal());

  // Dusty star-forming galaxies, nearly dust-free quiescent ones (exponential draws).
  const ebv = -Math.log(1 - rng.uniform()) * (quiescent ? 0.02 : 0.03 + 0.08 * activity);

  // Malmquist-biased brightness; quiescent galaxies are the luminous ones at a given z.
  const dm = 5 * Math.log10(luminosityDistance(Math.max(z, 0.005)) / DL_01);
  const mean = BRIGHTNESS.gAtZ01 + BRIGHTNESS.dimmingSlope * dm - (quiescent ? 0.2 : 0);
  let gMag: number;
  do gMag = mean + BRIGHTNESS.sigma * rng.normal(); while (
    gMag > G_LIMITS.faint || gMag < G_LIMITS.bright
  );
  const profile: Profile = quiescent ? "spheroid" : "disc";
  const median = quiescent ? GALAXY_SIZE.spheroidKpc : GALAXY_SIZE.discKpc;
  const radiusKpc = median * Math.exp(GALAXY_SIZE.sigmaLn * rng.normal());
  return { z, activity, weights, lineScatter, ebv, gMag, radiusKpc, profile };
}
