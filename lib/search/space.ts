/**
 * Search spaces: named dimensions (integers, reals, categories), an optional validity rule, and
 * uniform sampling. Samplers draw and score numeric dimensions in an "internal" coordinate: the
 * logarithm on log scales, and for integers a real number rounded at the end.
 *
 * @module
 */
import type { Random } from "../random.ts";

/** A numeric dimension: integers or reals in [low, high], optionally on a log scale. */
export interface NumericDimension {
  kind: "int" | "float";
  low: number;
  high: number;
  /** Sample uniformly in log(value) rather than in value. */
  log?: boolean;
}

/** A categorical dimension: one of `choices`. */
export interface CategoricalDimension {
  kind: "categorical";
  choices: readonly (string | number)[];
}

/** One dimension of a search space. */
export type Dimension = NumericDimension | CategoricalDimension;

/** A value of one dimension. */
export type ParamValue = number | string;

/** A point of a search space: one value per dimension. */
export type Params = Record<string, ParamValue>;

/** Dimensions by name, and a rule that rejects points which cannot be built. */
export interface SearchSpace {
  dimensions: Readonly<Record<string, Dimension>>;
  /** False for points that cannot be evaluated (e.g. kernels that leave no samples). */
  isValid?: (params: Params) => boolean;
}

/** Bounds of a numeric dimension's internal coordinate. */
export function internalBounds(dim: NumericDimension): [number, number] {
  // Integers get half a step either side, so that rounding gives every value an equal share.
  const pad = dim.kind === "int" ? 0.5 : 0;
  const low = dim.low - pad, high = dim.high + pad;
  return dim.log ? [Math.log(Math.max(low, dim.low / 2)), Math.log(high)] : [low, high];
}

/** A numeric dimension's value in its internal coordinate. */
export function toInternal(dim: NumericDimension, value: number): number {
  return dim.log ? Math.log(value) : value;
}

/** The value of a numeric dimension at internal coordinate `t` (rounded and clamped). */
export function fromInternal(dim: NumericDimension, t: number): number {
  const x = dim.log ? Math.exp(t) : t;
  const v = dim.kind === "int" ? Math.round(x) : x;
  return Math.min(dim.high, Math.max(dim.low, v));
}

/** A uniform draw of one dimension (uniform in the internal coordinate). */
export function sampleDimension(dim: Dimension, random: Random): ParamValue {
  if (dim.kind === "categorical") return dim.choices[random.int(dim.choices.length)];
  const [low, high] = internalBounds(dim);
  return fromInternal(dim, low + (high - low) * random.uniform());
}

/**
 * A uniform draw of a whole point that `space.isValid` accepts, by rejection.
 *
 * @param options how many draws to try before giving up (default 10,000)
 */
export function sampleSpace(
  space: SearchSpace,
  random: Random,
  options: { maxTries?: number } = {},
): Params {
  const maxTries = options.maxTries ?? 10_000;
  for (let i = 0; i < maxTries; i++) {
    const params: Params = {};
    for (const [name, dim] of Object.entries(space.dimensions)) {
      params[name] = sampleDimension(dim, random);
    }
    if (!space.isValid || space.isValid(params)) return params;
  }
  throw new Error(
    `no valid point found in ${maxTries} draws: is the space's validity rule too tight?`,
  );
}

/** Checks that every dimension of `space` has a value of the right kind and range in `params`. */
export function checkParams(space: SearchSpace, params: Params): void {
  for (const [name, dim] of Object.entries(space.dimensions)) {
    const v = params[name];
    const ok = dim.kind === "categorical"
      ? dim.choices.includes(v)
      : typeof v === "number" && v >= dim.low && v <= dim.high &&
        (dim.kind === "float" || Number.isInteger(v));
    if (!ok) throw new RangeError(`parameter ${name} = ${v} lies outside the search space`);
  }
  if (space.isValid && !space.isValid(params)) {
    throw new RangeError(`parameters ${JSON.stringify(params)} break the space's validity rule`);
  }
}
