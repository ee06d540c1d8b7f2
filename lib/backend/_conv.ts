/**
 * The 1-D convolution on `cpu-blas`, as three building blocks over rows of channels-last data,
 * each a few BLAS GEMMs: the forward pass, the filter's gradient and the input's.
 *
 * Two ways, by input channels:
 * - few (`WINDOW_COPY_MAX_CHANNELS` or less: the first layer's one): each output's window of
 *   taps × channels is copied into a row of a window matrix, and one GEMM runs with the window as
 *   its inner dimension. Outputs are packed, `convLength` a row.
 * - many: one GEMM per tap over all rows at once, its A matrix the input shifted by the tap (a
 *   strided view, no copy), so output j of a row sums input positions j · stride + t · dilation.
 *   Rows of the output are `inLength / stride` positions apart; the last positions of a row then
 *   mix it with the next, and nothing reads them.
 *
 * Results are deterministic for a fixed BLAS thread count: OpenBLAS splits a GEMM's rows and
 * columns between threads, never its inner dimension.
 *
 * @module
 */
import { sgemm } from "./_blas_arrays.ts";

/** Inputs with at most this many channels are convolved through a window matrix. */
const WINDOW_COPY_MAX_CHANNELS = 32;

/** A convolution along rows of channels-last data: what the building blocks need to know. */
export interface Convolution {
  taps: number;
  inChannels: number;
  /** Output channels (filters). */
  channels: number;
  /** Input positions a row holds, padding included (a multiple of the stride). */
  inLength: number;
  /** Outputs a row gives. */
  convLength: number;
  /** Input positions between two outputs (default 1). */
  stride?: number;
  /** Input positions between two taps (default 1). */
  dilation?: number;
}

/** Whether the convolution copies its input's windows into a matrix (few input channels). */
export function copiesWindows(conv: Convolution): boolean {
  return conv.inChannels <= WINDOW_COPY_MAX_CHANNELS;
}

/** Floats a row of the GEMMs' output spans (see the module's two ways). */
export function productRowStride(conv: Convolution): number {
  const positions = copiesWindows(conv) ? conv.convLength : conv.inLength / (conv.stride ?? 1);
  return positions * conv.channels;
}

/** Floats a row of the window matrix holds (0 when the convolution copies none). */
export function windowRowLength(conv: Convolution): number {
  return copiesWindows(conv) ? conv.convLength * conv.taps * conv.inChannels : 0;
}

/** GEMM rows for `rows` rows: the outputs, or every position from the first to the last output. */
function positions(conv: Convolution, rows: number): number {
  if (copiesWindows(conv)) return rows * conv.convLength;
  return (rows - 1) * (conv.inLength / (conv.stride ?? 1)) + conv.convLength;
}

/**
 * Copies each output's window of `rows` rows of `input` into a row of `windows`; with `scatter`,
 * adds each row of `windows` back onto the input positions its window covers instead. Input
 * floats of output j of row r start at (r · inLength + j · stride) · inChannels: one span of all
 * taps, or with a dilation a span per tap.
 */
export function copyWindows(
  conv: Convolution,
  rows: number,
  input: Float32Array,
  windows: Float32Array,
  scatter = false,
): void {
  const { taps, inChannels, inLength, convLength } = conv;
  const stride = conv.stride ?? 1, dilation = conv.dilation ?? 1;
  const [spans, width, gap] = dilation === 1
    ? [1, taps * inChannels, 0]
    : [taps, inChannels, dilation * inChannels];
  let w = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < convLength; j++) {
      const from = (r * inLength + j * stride) * inChannels;
      for (let t = 0, at = from; t < spans; t++, at += gap) {
        for (let i = 0; i < width; i++) {
          if (scatter) input[at + i] += windows[w++];
          else windows[w++] = input[at + i];
        }
      }
    }
  }
}

/**
 * How the GEMMs read `rows` rows of `x` (the input, or its gradient): through the window matrix
 * `windows` where given, one GEMM over windows of `width` = taps × inChannels floats; else one
 * GEMM per tap over `x` itself, `shift` floats further on for each, reading `width` = inChannels
 * floats at each position, `stride` positions apart.
 */
function gemmView(conv: Convolution, rows: number, x: Float32Array, windows: Float32Array | null) {
  const m = positions(conv, rows), { taps, inChannels } = conv;
  if (windows) return { m, x: windows, taps: 1, width: taps * inChannels, stride: 1, shift: 0 };
  const stride = conv.stride ?? 1, shift = (conv.dilation ?? 1) * inChannels;
  return { m, x, taps, width: inChannels, stride, shift };
}

/**
 * The forward pass over `rows` rows of `input` into `product` (rows {@link productRowStride}
 * floats apart), before bias and activation; a kernel is laid out as tfjs keeps it, [taps,
 * inChannels, channels]. `windows` receives the window matrix where the convolution copies one.
 */
export function convolve(
  conv: Convolution,
  rows: number,
  input: Float32Array,
  kernel: Float32Array,
  product: Float32Array,
  windows: Float32Array,
): void {
  if (copiesWindows(conv)) copyWindows(conv, rows, input, windows);
  const { m, x, taps, width, stride, shift } = gemmView(
    conv,
    rows,
    input,
    windowsOf(conv, windows),
  );
  const n = conv.channels, lda = stride * width;
  for (let t = 0; t < taps; t++) {
    const a = x.subarray(t * shift), b = kernel.subarray(t * width * n);
    sgemm({ m, n, k: width, a, lda, b, c: product, beta: t === 0 ? 0 : 1 });
  }
}

/** `windows` where the convolution copies windows, else null. */
function windowsOf(conv: Convolution, windows: Float32Array | null): Float32Array | null {
  return windows && copiesWindows(conv) ? windows : null;
}

/**
 * The kernel's gradient from the product's (`productGradient`, laid out as {@link convolve}'s
 * output, zero where no output is read) into `kernelGradient`, added to it with `accumulate`.
 * `windows` holds the input's window matrix where the convolution copies one (as {@link convolve}
 * or {@link copyWindows} left it).
 */
export function convolveFilterGradient(
  conv: Convolution,
  rows: number,
  input: Float32Array,
  windows: Float32Array,
  productGradient: Float32Array,
  kernelGradient: Float32Array,
  accumulate: boolean,
): void {
  const { m, x, taps, width, stride, shift } = gemmView(
    conv,
    rows,
    input,
    windowsOf(conv, windows),
  );
  const n = conv.channels, lda = stride * width, beta = accumulate ? 1 : 0;
  // dW_t = X_tᵀ · dy, X_t the input positions tap t reads.
  for (let t = 0; t < taps; t++) {
    const a = x.subarray(t * shift), c = kernelGradient.subarray(t * width * n);
    sgemm({ m: width, n, k: m, a, lda, transposeA: true, b: productGradient, c, beta });
  }
}

/**
 * The input's gradient (`rows` rows of `inLength` positions) from the product's. Through the window
 * matrix's gradient where the convolution copies windows and `windowGradient` is given (then each
 * window's gradient is added back onto the positions it copied), else one GEMM per tap.
 */
export function convolveInputGradient(
  conv: Convolution,
  rows: number,
  productGradient: Float32Array,
  kernel: Float32Array,
  inputGradient: Float32Array,
  windowGradient: Float32Array | null,
): void {
  const windows = windowsOf(conv, windowGradient), end = rows * conv.inLength * conv.inChannels;
  const { m, x, taps, width, stride, shift } = gemmView(conv, rows, inputGradient, windows);
  // Position p · stride + t · dilation gets position p's gradient through tap t. With a stride
  // of 1, tap 0 writes every position up to the last output's; the rest start at zero.
  if (!windows) inputGradient.fill(0, stride === 1 ? m * width : 0, end);
  const n = conv.channels, ldc = stride * width;
  for (let t = 0; t < taps; t++) {
    const b = kernel.subarray(t * width * n), c = x.subarray(t * shift);
    const beta = t === 0 && stride === 1 ? 0 : 1;
    sgemm({ m, n: width, k: n, a: productGradient, b, transposeB: true, c, ldc, beta });
  }
  if (windows) {
    inputGradient.fill(0, 0, end);
    copyWindows(conv, rows, inputGradient, windows, true);
  }
}
