/**
 * The rest-frame galaxy model: stellar continuum, absorption features, emission lines, dust.
 *
 * A galaxy's stellar light is modelled as three blackbody-like stellar
 * populations (cool giants, Sun-like dwarfs, hot A/B stars), multiplied by the
 * line blanketing that makes galaxy spectra what they are: the 4000 Å break
 * (metal lines piling up blueward of 4000 Å in old stars), the Balmer break
 * (hydrogen bound–free absorption in A stars, blueward of 3646 Å) and
 * individual absorption lines. Free parameters are fitted to the kcorrect
 * templates by `tools/calibrate_simulator.ts`.
 *
 * @module
 */
import features from "./spectral_features.json" with { type: "json" };

/** An absorption feature: a smooth step (`step`) or a Gaussian line (`line`), rest Å. */
export interface Feature {
  name: string;
  kind: "step" | "line";
  centreA: number;
  widthA: number;
}

/** Absorption features in the order of their depth parameters (`spectral_features.json`). */
export const ABSORPTION_FEATURES: readonly Feature[] = features.absorption.map((f, i) => ({
  ...f,
  kind: oneOf(f.kind, ["step", "line"] as const, `absorption[${i}].kind`),
}));

/** Number of continuum parameters: 3 log amplitudes, 3 temperature parameters, one depth per feature. */
export const N_CONTINUUM_PARAMS = 6 + ABSORPTION_FEATURES.length;

/** An emission line (rest wavelength in air, Å) and the group whose strength it follows. */
export interface EmissionLine {
  name: string;
  restA: number;
  group: LineGroup;
}

/** Emission-line groups: lines whose flux ratios are fixed by atomic physics or taken from the most line-rich template. */
export type LineGroup = "oii" | "balmer" | "oiii" | "nii" | "sii";

/** The emission-line groups, in the simulator's component order. */
export const LINE_GROUPS: readonly LineGroup[] = ["oii", "balmer", "oiii", "nii", "sii"];

/** Emission lines measured in the templates and simulated (`spectral_features.json`). */
export const EMISSION_LINES: readonly EmissionLine[] = features.emission.map((line, i) => ({
  ...line,
  group: oneOf(line.group, LINE_GROUPS, `emission[${i}].group`),
}));

/** `value` as one of `allowed`; a data file naming anything else is a programming error. */
function oneOf<T extends string>(value: string, allowed: readonly T[], where: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(
      `spectral_features.json ${where}: "${value}" is not one of ${allowed.join(", ")}`,
    );
  }
  return value as T;
}

/** hc/k in Å·K, for the Planck function. */
const HC_OVER_K = 1.438777e8;

/** Coolest and hottest stellar temperature the model allows (K). */
const T_MIN = 2500, T_MAX = 50000;

/** Temperature (K) for an unbounded parameter: a logistic map onto [T_MIN, T_MAX] in log T. */
export function temperature(param: number): number {
  return T_MIN * Math.pow(T_MAX / T_MIN, 1 / (1 + Math.exp(-param)));
}

function planckShape(lambdaA: number, t: number): number {
  // B_λ(T) up to a constant, normalised to 1 at 5500 Å.
  const x = HC_OVER_K / (lambdaA * t), x0 = HC_OVER_K / (5500 * t);
  return Math.pow(5500 / lambdaA, 5) * Math.expm1(x0) / Math.expm1(x);
}

function featureShape(f: Feature, lambdaA: number): number {
  const d = (lambdaA - f.centreA) / f.widthA;
  return f.kind === "step" ? 1 / (1 + Math.exp(d)) : Math.exp(-0.5 * d * d);
}

/**
 * The continuum F_λ at each rest wavelength (Å) for parameters `p`.
 *
 * `p` = [ln a1, ln a2, ln a3, t1, t2, t3, depth per feature…], T_i = {@link temperature}(t_i):
 * F = Σ a_i B_λ(T_i)/B_5500(T_i) × exp(−Σ depth_f shape_f(λ)).
 */
export function continuumModel(p: ArrayLike<number>, lambdaA: ArrayLike<number>): number[] {
  const out = new Array<number>(lambdaA.length);
  const temps = [temperature(p[3]), temperature(p[4]), temperature(p[5])];
  for (let i = 0; i < lambdaA.length; i++) {
    const l = lambdaA[i];
    let stars = 0;
    for (let k = 0; k < 3; k++) stars += Math.exp(p[k]) * planckShape(l, temps[k]);
    let tau = 0;
    for (let f = 0; f < ABSORPTION_FEATURES.length; f++) {
      tau += p[6 + f] * featureShape(ABSORPTION_FEATURES[f], l);
    }
    out[i] = stars * Math.exp(-tau);
  }
  return out;
}

/**
 * Calzetti et al. (2000) starburst attenuation curve k(λ), λ in Å; A_λ = k(λ) E(B−V).
 *
 * Extended below 1200 Å and above 2.2 µm by its end values' trend (not needed here).
 */
export function calzettiK(lambdaA: number): number {
  const x = 1e4 / lambdaA; // inverse microns
  const k = lambdaA < 6300
    ? 2.659 * (-2.156 + 1.509 * x - 0.198 * x * x + 0.011 * x * x * x) + 4.05
    : 2.659 * (-1.857 + 1.04 * x) + 4.05;
  return Math.max(k, 0);
}
