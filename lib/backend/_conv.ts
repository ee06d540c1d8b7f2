/**
 * The 1-D convolution on `cpu-blas`, as three building blocks over rows of channels-last data,
 * each a few BLAS GEMMs: the forward pass, the filter's gradient and the input's.
 *
 * Two ways, by input channels:
 * - few ({@link WINDOW_COPY_MAX_CHANNELS} or less: the first layer's one): each output's window of
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
export const WINDOW_COPY_MAX_CHANNELS = 32;

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
 * Where windows lie: input floats of output j of row r start at (r · inLength + j · stride) ·
 * inChannels, in `spans` spans of `width` floats, `gap` floats apart (one span of all taps when
 * the dilation is 1).
 */
function windowSpans(conv: Convolution) {
  const { taps, inChannels } = conv, dilation = conv.dilation ?? 1;
  return dilation === 1
    ? { spans: 1, width: taps * inChannels, gap: 0 }
    : { spans: taps, width: inChannels, gap: dilation * inChannels };
}

/** Copies each output's window of `rows` rows of `input` into a row of `windows`. */
export function copyWindows(
  conv: Convolution,
  rows: number,
  input: Float32Array,
  windows: Float32Array,
): void {
  const { inChannels, inLength, convLength } = conv, stride = conv.stride ?? 1;
  const { spans, width, gap } = windowSpans(conv);
  let w = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < convLength; j++) {
      const from = (r * inLength + j * stride) * inChannels;
      for (let t = 0, at = from; t < spans; t++, at += gap) {
        for (let i = 0; i < width; i++) windows[w++] = input[at + i];
      }
    }
  }
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
  const { taps, inChannels, channels } = conv, m = positions(conv, rows);
  if (copiesWindows(conv)) {
    copyWindows(conv, rows, input, windows);
    sgemm({ m, n: channels, k: taps * inChannels, a: windows, b: kernel, c: product });
    return;
  }
  const stride = conv.stride ?? 1, dilation = conv.dilation ?? 1;
  for (let t = 0; t < taps; t++) {
    sgemm({
      m,
      n: channels,
      k: inChannels,
      a: input.subarray(t * dilation * inChannels),
      lda: stride * inChannels,
      b: kernel.subarray(t * inChannels * channels),
      c: product,
      beta: t === 0 ? 0 : 1,
    });
  }
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
  const { taps, inChannels, channels } = conv, m = positions(conv, rows);
  const beta = accumulate ? 1 : 0;
  if (copiesWindows(conv)) {
    sgemm({
      m: taps * inChannels,
      n: channels,
      k: m,
      a: windows,
      transposeA: true,
      b: productGradient,
      c: kernelGradient,
      beta,
    });
    return;
  }
  const stride = conv.stride ?? 1, dilation = conv.dilation ?? 1;
  // dW_t = X_tᵀ · dy, X_t the input positions tap t reads.
  for (let t = 0; t < taps; t++) {
    sgemm({
      m: inChannels,
      n: channels,
      k: m,
      a: input.subarray(t * dilation * inChannels),
      lda: stride * inChannels,
      transposeA: true,
      b: productGradient,
      c: kernelGradient.subarray(t * inChannels * channels),
      beta,
    });
  }
}

/**
 * The input's gradient (`rows` rows of `inLength` positions) from the product's. Through the window
 * matrix's gradient where the convolution copies windows and `windowGradient` is given (one GEMM,
 * then each window's gradient added back onto the positions it copied), else one GEMM per tap.
 */
export function convolveInputGradient(
  conv: Convolution,
  rows: number,
  productGradient: Float32Array,
  kernel: Float32Array,
  inputGradient: Float32Array,
  windowGradient: Float32Array | null,
): void {
  const { taps, inChannels, channels, inLength, convLength } = conv;
  const m = positions(conv, rows), stride = conv.stride ?? 1, dilation = conv.dilation ?? 1;
  const end = rows * inLength * inChannels;
  if (windowGradient && copiesWindows(conv)) {
    sgemm({
      m,
      n: taps * inChannels,
      k: channels,
      a: productGradient,
      b: kernel,
      transposeB: true,
      c: windowGradient,
    });
    inputGradient.fill(0, 0, end);
    const spans = windowSpans(conv);
    let w = 0;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < convLength; j++) {
        const from = (r * inLength + j * stride) * inChannels;
        for (let t = 0, at = from; t < spans.spans; t++, at += spans.gap) {
          for (let i = 0; i < spans.width; i++) inputGradient[at + i] += windowGradient[w++];
        }
      }
    }
    return;
  }
  // Position p · stride + t · dilation gets position p's gradient through tap t. With a stride
  // of 1, tap 0 writes every position up to the last output's; the rest start at zero.
  const first = stride === 1 ? m * inChannels : 0;
  inputGradient.fill(0, first, end);
  for (let t = 0; t < taps; t++) {
    sgemm({
      m,
      n: inChannels,
      k: channels,
      a: productGradient,
      b: kernel.subarray(t * inChannels * channels),
      transposeB: true,
      c: inputGradient.subarray(t * dilation * inChannels),
      ldc: stride * inChannels,
      beta: t === 0 && stride === 1 ? 0 : 1,
    });
  }
}
