/**
 * Winograd's minimal filtering for the forward plan's wide convolutions (Lavin & Gray 2016):
 * F(m, r) computes m outputs of an r-tap correlation from a tile of m + r − 1 inputs with m + r − 1
 * multiplications instead of m · r. For C input and K output channels they become one GEMM per
 * transform point x, M_x (tiles × C) · U_x (C × K), with V = Bᵀ d the transformed tiles, U = G g
 * the transformed filters and Aᵀ M the tile's outputs. The matrices are Toom-Cook's for the points
 * 0, ±1, ±2, ±1/2 and ∞, built in float64; the float32 result is within about 2e-6 of the layer's
 * largest output of the direct sum (tests/winograd_test.ts).
 *
 * @module
 */
import { sgemm } from "./_blas_arrays.ts";
import type { ConvStep } from "./_blas_plan_steps.ts";
import { copiesWindows } from "./_conv.ts";
import type { SimdArena } from "./_simd.ts";

/** Transform points of a tile, at most this many (the kernels combine up to 8 sources). */
export const WINOGRAD_ALPHA = 8;
/** The finite points, in the order taken; the last point of every tile is ∞. */
const POINTS = [0, 1, -1, 2, -2, 0.5, -0.5];

/** F(m, taps): the three transforms, each row padded to {@link WINOGRAD_ALPHA} columns. */
export interface WinogradTransform {
  /** Outputs per tile. */
  m: number;
  taps: number;
  /** Transform points (inputs per tile): m + taps − 1. */
  alpha: number;
  /** Bᵀ, alpha rows of 8: V_x = Σ_l Bᵀ[x, l] d_l. */
  bt: Float32Array;
  /** Aᵀ, m rows of 8: y_i = Σ_x Aᵀ[i, x] M_x. */
  at: Float32Array;
  /** G, alpha rows of taps, in float64: U_x = Σ_k G[x, k] g_k. */
  g: Float64Array;
}

/** Coefficients, lowest power first, of the product of two polynomials. */
function multiply(a: number[], b: number[]): number[] {
  const product = new Array(a.length + b.length - 1).fill(0);
  a.forEach((x, i) => b.forEach((y, j) => product[i + j] += x * y));
  return product;
}

/**
 * Toom-Cook's F(m, taps) for correlation. Linear convolution s = h ∗ g evaluates both polynomials
 * at the points, multiplies and interpolates (s = C[(A h) ⊙ (G g)]); correlation is its
 * transpose, y = Aᵀ[(G g) ⊙ (Cᵀ d)], so Bᵀ = Cᵀ: row x holds the coefficients of the Lagrange
 * polynomial of point x (of ∏(t − p) for ∞), whose 1 / ∏(p_x − p) moves into G.
 */
export function winogradTransform(m: number, taps: number): WinogradTransform {
  const alpha = m + taps - 1;
  if (m < 1 || taps < 1 || alpha > WINOGRAD_ALPHA) {
    throw new RangeError(`F(${m}, ${taps}) needs more than ${WINOGRAD_ALPHA} points`);
  }
  const points = POINTS.slice(0, alpha - 1);
  const bt = new Float32Array(alpha * WINOGRAD_ALPHA);
  const at = new Float32Array(m * WINOGRAD_ALPHA);
  const g = new Float64Array(alpha * taps);
  for (const [x, p] of points.entries()) {
    let lagrange = [1], scale = 1;
    for (const [y, q] of points.entries()) {
      if (y === x) continue;
      lagrange = multiply(lagrange, [-q, 1]);
      scale *= p - q;
    }
    lagrange.forEach((c, l) => bt[x * WINOGRAD_ALPHA + l] = c);
    for (let k = 0; k < taps; k++) g[x * taps + k] = p ** k / scale;
    for (let i = 0; i < m; i++) at[i * WINOGRAD_ALPHA + x] = p ** i;
  }
  const infinity = alpha - 1;
  points.reduce((all, q) => multiply(all, [-q, 1]), [1])
    .forEach((c, l) => bt[infinity * WINOGRAD_ALPHA + l] = c);
  g[infinity * taps + taps - 1] = 1;
  at[(m - 1) * WINOGRAD_ALPHA + infinity] = 1;
  return { m, taps, alpha, bt, at, g };
}

/**
 * F(m, taps) for a convolution step the plan should run through Winograd, else null: many input
 * channels (few are convolved through a window matrix), at least 3 taps, channel counts the SIMD
 * kernels take (multiples of 4). m fills a tile of {@link WINOGRAD_ALPHA} points.
 */
export function winogradFor(step: ConvStep): WinogradTransform | null {
  const { taps, inChannels, channels, convLength } = step;
  if (taps < 3 || copiesWindows(step) || inChannels % 4 !== 0 || channels % 4 !== 0) return null;
  const m = Math.min(WINOGRAD_ALPHA - taps + 1, convLength);
  return m >= 2 ? winogradTransform(m, taps) : null;
}

/** Tiles of m outputs that cover a step's output positions. */
export function tilesOf(step: ConvStep, transform: WinogradTransform): number {
  return Math.ceil(step.convLength / transform.m);
}

/**
 * U = G g for a Conv1D kernel laid out as tfjs keeps it ([taps, C, K]): alpha planes of C × K,
 * each sum in float64.
 */
export function transformKernel(
  kernel: Float32Array,
  step: ConvStep,
  transform: WinogradTransform,
  u: Float32Array,
): void {
  const { taps, alpha, g } = transform;
  const size = step.inChannels * step.channels;
  for (let x = 0; x < alpha; x++) {
    const plane = u.subarray(x * size, (x + 1) * size);
    const row = g.subarray(x * taps, (x + 1) * taps);
    // Accumulating tap by tap in float32 would round alpha · taps times; sum each weight in float64.
    for (let i = 0; i < size; i++) {
      let sum = 0;
      for (let k = 0; k < taps; k++) sum += row[k] * kernel[k * size + i];
      plane[i] = sum;
    }
  }
}

/** Floats of the arrays {@link winogradProduct} works in, for `rows` rows. */
export function winogradSizes(step: ConvStep, transform: WinogradTransform, rows: number) {
  const tiles = tilesOf(step, transform);
  return {
    kernel: transform.alpha * step.inChannels * step.channels,
    transformed: transform.alpha * rows * tiles * step.inChannels,
    products: transform.alpha * rows * tiles * step.channels,
  };
}

/** A step's transform with its coefficients and transformed kernel copied into the arena. */
export interface WinogradKernel {
  transform: WinogradTransform;
  bt: Float32Array;
  at: Float32Array;
  u: Float32Array;
}

/** Copies the step's transform into `arena` and transforms its current `kernel` there. */
export function prepareWinograd(
  arena: Pick<SimdArena, "alloc">,
  step: ConvStep,
  transform: WinogradTransform,
  kernel: Float32Array,
): WinogradKernel {
  const bt = arena.alloc(transform.bt.length), at = arena.alloc(transform.at.length);
  bt.set(transform.bt);
  at.set(transform.at);
  const u = arena.alloc(transform.alpha * step.inChannels * step.channels);
  transformKernel(kernel, step, transform, u);
  return { transform, bt, at, u };
}

/** The work arrays of {@link winogradProduct}, sized by {@link winogradSizes}. */
export interface WinogradWork {
  transformed: Float32Array;
  products: Float32Array;
  /** At least `inChannels` and `channels` zeros. */
  zeros: Float32Array;
}

/**
 * A convolution step's product through Winograd over `rows` rows of `input` into `out`
 * (position j of row r at `out[(r · convLength + j) · channels]`), before bias and
 * activation. Every array is in `arena`; `work` is sized by {@link winogradSizes}, `zeros` holds
 * at least `inChannels` and `channels` zeros.
 */
export function winogradProduct(
  arena: SimdArena,
  step: ConvStep,
  kernel: WinogradKernel,
  rows: number,
  input: Float32Array,
  work: WinogradWork,
  out: Float32Array,
): void {
  const { inLength, inChannels, channels, convLength } = step;
  const { transform: { m, alpha }, bt, at, u } = kernel;
  const tiles = tilesOf(step, kernel.transform), { transformed: v, products: mx, zeros } = work;
  arena.run("winogradInput", input, rows, inLength, inChannels, tiles, m, alpha, bt, v, zeros);
  const inPlane = rows * tiles * inChannels, outPlane = rows * tiles * channels;
  for (let x = 0; x < alpha; x++) {
    const a = v.subarray(x * inPlane), b = u.subarray(x * inChannels * channels);
    sgemm({ m: rows * tiles, n: channels, k: inChannels, a, b, c: mx.subarray(x * outPlane) });
  }
  arena.run("winogradOutput", mx, rows, tiles, m, alpha, at, channels, convLength, out, zeros);
}
