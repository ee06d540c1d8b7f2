// The cpu-blas backend's kernels against tfjs's reference cpu kernels on random inputs, and a
// few training steps of the full network on both backends. Skipped (with the reason printed)
// only where no BLAS library can be opened.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { BLAS_BACKEND, registerBlasBackend } from "../lib/backend/blas_backend.ts";
import { openBlas } from "../lib/backend/blas.ts";
import { assertClose, random } from "./_helpers.ts";
// The reference backend for the full network: cpu with the project's faster JS gradients
// (pure tfjs takes minutes for three steps). After the move: ../lib/backend/cpu_kernels.ts.
import { registerFastCpuKernels } from "../lib/backend/cpu_kernels.ts";
import { buildModel } from "../lib/model.ts";
import { train } from "../lib/train.ts";
import { N_FLUX } from "../lib/spectra.ts";

const blas = registerBlasBackend();
const ignore = !blas.available;
if (!blas.available) console.log(`blas_backend_test skipped: BLAS ${blas.reason}`);

/** Small integers: many ties for max pooling. */
function ties(n: number, seed: number): Float32Array {
  return random(n, seed, 0, 3).map(Math.floor);
}

/** Ties with NaN and -Infinity among them: NaN never wins a window, -Infinity only ties. */
function specials(n: number, seed: number): Float32Array {
  return ties(n, seed).map((v, i) => (i % 7 === 3 ? NaN : i % 11 === 5 ? -Infinity : v));
}

function sized(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(random(shape.reduce((a, b) => a * b, 1), seed), shape);
}

/** Runs `f` on cpu and on cpu-blas; returns the outputs' values, in order. */
async function onBoth(f: () => tf.Tensor | tf.Tensor[]) {
  const results: Float32Array[][] = [];
  for (const backend of ["cpu", BLAS_BACKEND]) {
    await tf.setBackend(backend);
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false; // no tfjs-node banner
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    results.push(await Promise.all(list.map(async (t) => (await t.data()) as Float32Array)));
    results[results.length - 1].forEach((v, i) => {
      assert.ok(v.length > 0 || list[i].size === 0);
    });
    tf.dispose(list);
  }
  return { reference: results[0], blas: results[1] };
}

async function compare(label: string, f: () => tf.Tensor | tf.Tensor[], tol = 1e-5) {
  const { reference, blas } = await onBoth(f);
  assert.equal(blas.length, reference.length);
  reference.forEach((r, i) => assertClose(blas[i], r, `${label} [output ${i}]`, tol));
}

async function compareExact(label: string, f: () => tf.Tensor | tf.Tensor[]) {
  const { reference, blas } = await onBoth(f);
  reference.forEach((r, i) => {
    const same = r.length === blas[i].length && r.every((v, j) => Object.is(v, blas[i][j]));
    assert.ok(same, `${label} [output ${i}]: ${blas[i].slice(0, 8)} ≠ ${r.slice(0, 8)}`);
  });
}

Deno.test({
  name: "cpu-blas: the backend has every cpu kernel, and Relu's one-pass gradient",
  ignore,
  fn() {
    const cpu = tf.getKernelsForBackend("cpu").map((k) => k.kernelName);
    const ours = tf.getKernelsForBackend(BLAS_BACKEND).map((k) => k.kernelName).sort();
    assert.deepEqual(ours, [...cpu, "BlasReluGrad"].sort());
  },
});

type Conv1DCase = {
  batch: number;
  width: number;
  inCh: number;
  outCh: number;
  k: number;
  stride: number;
  pad: "valid" | "same";
  dilation?: number;
};

const CONV1D_CASES: Conv1DCase[] = [
  { batch: 1, width: 7, inCh: 1, outCh: 3, k: 3, stride: 1, pad: "valid" },
  { batch: 3, width: 186, inCh: 1, outCh: 16, k: 5, stride: 1, pad: "valid" },
  { batch: 2, width: 45, inCh: 40, outCh: 24, k: 5, stride: 1, pad: "valid" },
  { batch: 2, width: 23, inCh: 33, outCh: 7, k: 2, stride: 1, pad: "valid" },
  { batch: 1, width: 30, inCh: 48, outCh: 9, k: 3, stride: 1, pad: "same" },
  { batch: 3, width: 20, inCh: 5, outCh: 4, k: 4, stride: 1, pad: "same" },
  { batch: 2, width: 29, inCh: 40, outCh: 5, k: 5, stride: 2, pad: "valid" },
  { batch: 2, width: 28, inCh: 3, outCh: 6, k: 3, stride: 3, pad: "valid" },
  { batch: 3, width: 17, inCh: 36, outCh: 8, k: 4, stride: 2, pad: "same" },
  { batch: 2, width: 19, inCh: 2, outCh: 5, k: 3, stride: 3, pad: "same" },
  { batch: 2, width: 25, inCh: 40, outCh: 6, k: 3, stride: 1, pad: "valid", dilation: 2 },
  { batch: 2, width: 25, inCh: 4, outCh: 6, k: 3, stride: 1, pad: "same", dilation: 3 },
  { batch: 1, width: 9, inCh: 64, outCh: 1, k: 1, stride: 1, pad: "valid" },
];

function describeConv(c: Conv1DCase) {
  return `x[${c.batch},${c.width},${c.inCh}] k${c.k}→${c.outCh} s${c.stride} ${c.pad}` +
    (c.dilation ? ` d${c.dilation}` : "");
}

Deno.test({
  name: "cpu-blas: conv1d forward and both gradients match cpu",
  ignore,
  async fn() {
    for (const [i, c] of CONV1D_CASES.entries()) {
      const xShape = [c.batch, c.width, c.inCh], wShape = [c.k, c.inCh, c.outCh];
      await compare(describeConv(c), () => {
        const x = sized(xShape, 10 + i) as tf.Tensor3D;
        const w = sized(wShape, 20 + i) as tf.Tensor3D;
        const conv = (a: tf.Tensor3D, b: tf.Tensor3D) =>
          tf.conv1d(a, b, c.stride, c.pad, "NWC", c.dilation ?? 1);
        const y = conv(x, w);
        if (c.dilation) return y; // tfjs has no gradient of a dilated convolution
        const r = sized(y.shape, 30 + i);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(conv(a as tf.Tensor3D, b as tf.Tensor3D), r))
        )([x, w]);
        return [y, dx, dw];
      });
    }
  },
});

Deno.test({
  name: "cpu-blas: conv2d of height > 1 and fused conv2d fall back or match cpu",
  ignore,
  async fn() {
    await compare("2-D conv 3×3 same", () => {
      const x = sized([2, 6, 5, 3], 1) as tf.Tensor4D;
      const w = sized([3, 3, 3, 4], 2) as tf.Tensor4D;
      const y = tf.conv2d(x, w, 1, "same");
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same"))
      )([x, w]);
      return [y, dx, dw];
    });
    await compare("conv2d height 3, filter height 1", () => {
      const x = sized([2, 3, 11, 6], 3) as tf.Tensor4D;
      const w = sized([1, 3, 6, 5], 4) as tf.Tensor4D;
      return tf.conv2d(x, w, [1, 2], "same");
    });
    for (const activation of ["linear", "relu", "elu", "sigmoid", "leakyrelu", "prelu"] as const) {
      await compare(`fused conv2d ${activation}`, () => {
        const x = sized([2, 1, 13, 40], 5) as tf.Tensor4D;
        const w = sized([1, 3, 40, 6], 6) as tf.Tensor4D;
        return tf.fused.conv2d({
          x,
          filter: w,
          strides: 1,
          pad: "valid",
          bias: sized([6], 7),
          activation,
          preluActivationWeights: activation === "prelu" ? sized([6], 8) : undefined,
          leakyreluAlpha: 0.1,
        });
      });
    }
  },
});

Deno.test({
  name: "cpu-blas: matMul (transposes, batches, broadcast) and fused matMul match cpu",
  ignore,
  async fn() {
    const cases: [number[], number[]][] = [
      [[1, 1], [1, 1]],
      [[7, 5], [5, 3]],
      [[16, 576], [576, 256]],
      [[33, 17], [17, 65]],
      [[1, 9], [9, 4]],
      [[3, 5, 7], [3, 7, 2]],
      [[1, 6, 4], [5, 4, 3]],
      [[4, 6, 4], [1, 4, 3]],
      [[2, 3, 6, 4], [2, 3, 4, 5]],
    ];
    for (const [i, [sa, sb]] of cases.entries()) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const shapeA = ta ? [...sa.slice(0, -2), sa.at(-1)!, sa.at(-2)!] : sa;
          const shapeB = tb ? [...sb.slice(0, -2), sb.at(-1)!, sb.at(-2)!] : sb;
          await compare(`matMul ${shapeA} × ${shapeB} tA=${ta} tB=${tb}`, () => {
            const a = sized(shapeA, 40 + i), b = sized(shapeB, 50 + i);
            const y = tf.matMul(a, b, ta, tb);
            // tfjs's BatchMatMul gradient does not reduce a broadcast batch: forward only.
            if (shapeA.length > 2 && shapeA[0] !== shapeB[0]) return y;
            const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
              tf.sum(tf.square(tf.matMul(p, q, ta, tb)))
            )([a, b]);
            return [y, da, db];
          });
        }
      }
    }
    for (const activation of ["linear", "relu", "relu6", "elu", "sigmoid", "leakyrelu", "prelu"]) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true]]) {
        await compare(`fused matMul ${activation} tA=${ta} tB=${tb}`, () => {
          const a = sized(ta ? [13, 9] : [9, 13], 60), b = sized(tb ? [11, 13] : [13, 11], 61);
          return tf.fused.matMul({
            a,
            b,
            transposeA: ta,
            transposeB: tb,
            bias: sized([11], 62),
            activation: activation as tf.fused.Activation,
            preluActivationWeights: activation === "prelu" ? sized([11], 63) : undefined,
            leakyreluAlpha: 0.3,
          });
        });
      }
    }
    await compare("fused matMul relu gradients, scalar bias, no bias", () => {
      const a = sized([10, 12], 64), b = sized([12, 6], 65);
      const bias = sized([6], 66);
      const f = (p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.square(
          tf.fused.matMul({
            a: p as tf.Tensor2D,
            b: q as tf.Tensor2D,
            bias: c,
            activation: "relu",
          }),
        ));
      const grads = tf.grads(f)([a, b, bias]);
      const scalarBias = tf.fused.matMul({ a, b, bias: tf.scalar(0.25) });
      const noBias = tf.fused.matMul({ a, b, activation: "relu" });
      return [...grads, scalarBias, noBias];
    });
  },
});

Deno.test({
  name: "cpu-blas: max pooling and its gradient match cpu, ties to the first maximum",
  ignore,
  async fn() {
    const cases: { shape: number[]; size: number; stride: number; pad: "valid" | "same" }[] = [
      { shape: [2, 1, 182, 8], size: 2, stride: 2, pad: "valid" },
      { shape: [1, 1, 87, 5], size: 2, stride: 2, pad: "valid" },
      { shape: [3, 1, 19, 4], size: 3, stride: 2, pad: "same" },
      { shape: [2, 1, 10, 3], size: 3, stride: 1, pad: "valid" },
      { shape: [2, 5, 7, 3], size: 2, stride: 2, pad: "same" },
      // tf.layers' maxPooling1d: windows along H of a width-1 input
      { shape: [2, 182, 1, 8], size: 2, stride: 2, pad: "valid" },
      { shape: [3, 19, 1, 4], size: 3, stride: 2, pad: "same" },
      { shape: [2, 10, 1, 3], size: 3, stride: 1, pad: "valid" },
    ];
    for (const [i, c] of cases.entries()) {
      for (const values of [ties, random, specials]) {
        // leaves an array of the input's size, full of 7s, in cpu-blas's pool for the gradient
        await tf.setBackend(BLAS_BACKEND);
        tf.dispose(tf.relu(tf.fill([c.shape.reduce((a, b) => a * b, 1)], 7)));
        await compareExact(
          `maxPool ${c.shape} ${c.size}/${c.stride} ${c.pad} ${values.name}`,
          () => {
            const n = c.shape.reduce((a, b) => a * b, 1);
            const x = tf.tensor4d(values(n, 70 + i), c.shape as [number, number, number, number]);
            const alongW = c.shape[1] === 1, alongH = c.shape[2] === 1;
            const size: [number, number] = [alongW ? 1 : c.size, alongH ? 1 : c.size];
            const stride: [number, number] = [alongW ? 1 : c.stride, alongH ? 1 : c.stride];
            const pool = (t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, size, stride, c.pad);
            const y = pool(x);
            const r = sized(y.shape, 80 + i);
            const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pool(t), r)))(x);
            return [y, dx];
          },
        );
      }
    }
    await compareExact("maxPool1d through tf.layers' path", () => {
      const x = tf.tensor(ties(4 * 13 * 6, 90), [4, 13, 6]);
      const pool = (t: tf.Tensor) =>
        tf.squeeze(tf.maxPool(tf.expandDims(t, 2) as tf.Tensor4D, [2, 1], [2, 1], "valid"), [2]);
      return [
        pool(x),
        tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pool(t), tf.reshape(tf.range(1, 145), [4, 6, 6]))))(
          x,
        ),
      ];
    });
  },
});

Deno.test({
  name: "cpu-blas: element-wise kernels and leading-axis sums equal cpu bit for bit",
  ignore,
  async fn() {
    await compareExact("add, mul with broadcasts; relu; step; sum", () => {
      const a = sized([4, 9, 6], 100), bias = sized([6], 101), row = sized([1, 9, 6], 102);
      const s = tf.scalar(0.5);
      const withNaN = tf.tensor([-1, 0, 2, NaN, -0.5, -0, Infinity, -Infinity, 1e-40, -1e-40]);
      return [
        tf.add(a, bias),
        tf.add(bias, a),
        tf.add(a, row),
        tf.add(a, s),
        tf.add(s, a),
        tf.add(a, a),
        tf.mul(a, bias),
        tf.mul(a, a),
        tf.mul(s, a),
        tf.sub(a, bias),
        tf.sub(bias, a),
        tf.sub(s, a),
        tf.sub(a, s),
        tf.div(a, bias),
        tf.div(s, a),
        tf.div(a, s),
        tf.div(a, tf.add(a, 2)),
        tf.maximum(a, s),
        tf.maximum(s, a),
        tf.maximum(a, bias),
        tf.maximum(tf.tensor([NaN, 1, -1]), tf.tensor([0, NaN, -2])),
        tf.add(sized([3, 1], 103), sized([1, 4], 104)), // both broadcast: the cpu kernel
        tf.add(tf.scalar(1), tf.tensor([[2]])),
        tf.relu(a),
        tf.relu(withNaN),
        tf.step(withNaN),
        tf.step(withNaN, 0.3),
        tf.sum(a, 0),
        tf.sum(a, [0, 1]),
        tf.sum(a, [0, 1], true),
        tf.sum(a, [1, 2]),
        tf.sum(a, -1),
        tf.sum(a),
      ];
    });
    await compareExact("relu's gradient (one kernel on cpu-blas), and its own gradient", () => {
      const x = tf.tensor([-1, 0, -0, 2, NaN, 3, -Infinity, Infinity, 1e-40, -1e-40]);
      const dy = tf.tensor([1, -2, 3, -4, 5, NaN, -Infinity, Infinity, -1, -1]);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), dy)));
      const a = sized([4, 9, 6], 105), r = sized([4, 9, 6], 106);
      const second = tf.grad((t: tf.Tensor) =>
        tf.sum(tf.mul(tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tf.relu(u), t)))(a), r))
      );
      return [grad(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), r)))(a), second(r)];
    });
    await tf.setBackend(BLAS_BACKEND);
    const y = tf.add(tf.tensor([1, 2], [2], "int32"), tf.tensor([3, 4], [2], "int32"));
    assert.equal(y.dtype, "int32");
    assert.deepEqual(Array.from(await y.data()), [4, 6]);
    y.dispose();
  },
});

function trainingData(n: number) {
  const x = random(n * N_FLUX, 123, 0, 1);
  const y = random(n, 456, 0, 0.6);
  return { x, y };
}

async function trainOn(backend: string, epochs = 3, checkpointPath?: string) {
  await tf.setBackend(backend);
  const model = buildModel({ seed: 7 });
  // 8 rows, batch 8: each epoch is one step, so each epoch's loss is one step's.
  const result = await train(model, { train: trainingData(8) }, {
    epochs,
    batchSize: 8,
    seed: 3,
    checkpointPath,
  });
  const weights = await Promise.all(
    model.getWeights().map((w) => w.data() as Promise<Float32Array>),
  );
  model.dispose();
  return { losses: result.history.map((h) => h.loss), weights };
}

Deno.test({
  name: "cpu-blas: three training steps of the full network give cpu's losses",
  ignore,
  async fn() {
    registerFastCpuKernels();
    const cpu = await trainOn("cpu");
    const ours = await trainOn(BLAS_BACKEND);
    assert.equal(ours.losses.length, 3);
    for (let i = 0; i < 3; i++) {
      assert.ok(
        Math.abs(ours.losses[i] - cpu.losses[i]) <= 1e-5 * Math.max(1, Math.abs(cpu.losses[i])),
        `step ${i + 1}: loss ${ours.losses[i]} on cpu-blas, ${cpu.losses[i]} on cpu`,
      );
    }
    // Adamax's first steps move a weight by about lr × sign(g) whatever |g| is, so where a gradient
    // is near zero the kernels' rounding (OpenBLAS's kernel set: SkylakeX here gave 15 of 327,680
    // weights of the second convolution off by up to 5.4e-4) may flip its sign. So: every weight
    // within the 3 steps' reach (2 × lr × 3), all but 1 in 1,000 of each array within 1e-4.
    ours.weights.forEach((w, i) => {
      const off = w.filter((v, j) => Math.abs(v - cpu.weights[i][j]) > 1e-4).length;
      assert.ok(off <= w.length / 1000, `weight ${i}: ${off} of ${w.length} differ by > 1e-4`);
      assertClose(w, cpu.weights[i], `weight ${i}`, 2 * 0.001 * 3);
    });
  },
});

Deno.test({
  name: "cpu-blas: training is deterministic and a resumed run ends bit for bit",
  ignore,
  async fn() {
    const straight = await trainOn(BLAS_BACKEND, 3);
    const again = await trainOn(BLAS_BACKEND, 3);
    assert.deepEqual(again.losses, straight.losses);
    again.weights.forEach((w, i) => assert.deepEqual(w, straight.weights[i]));
    const dir = await Deno.makeTempDir();
    try {
      const checkpoint = `${dir}/checkpoint`;
      await trainOn(BLAS_BACKEND, 2, checkpoint); // interrupted after two epochs
      const resumed = await trainOn(BLAS_BACKEND, 3, checkpoint);
      assert.deepEqual(resumed.losses, straight.losses);
      resumed.weights.forEach((w, i) => assert.deepEqual(w, straight.weights[i]));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "cpu-blas: a disposed tensor's array is reused only where nothing else can see it",
  ignore,
  async fn() {
    await tf.setBackend(BLAS_BACKEND);
    const n = 4099;
    /** A kernel output of length n (a private array of the backend's pool). */
    const fresh = (seed: number) => tf.relu(tf.tensor(random(n, seed)));
    const churn = () => tf.dispose(Array.from({ length: 4 }, (_, i) => fresh(500 + i)));
    // a view (tfjs's Slice returns a subarray) outlives the tensor it was cut from
    const parent = fresh(1);
    const view = tf.slice(parent, [10], [100]);
    const expected = random(n, 1).slice(10, 110).map((v) => (v < 0 ? 0 : v));
    parent.dispose();
    churn();
    assert.deepEqual(await view.data(), expected);
    view.dispose();
    // values read out stay as they were after the tensor is disposed
    const read = fresh(2);
    const values = (await read.data()) as Float32Array;
    const copy = values.slice();
    read.dispose();
    churn();
    assert.deepEqual(values, copy);
    // a reused array gives the same results as a new one
    const first = fresh(3),
      again = tf.tidy(() => {
        churn();
        return fresh(3);
      });
    assert.deepEqual(await again.data(), await first.data());
    tf.dispose([first, again]);
  },
});

Deno.test({
  name: "blas: sgemm honours subarray offsets and both transposes",
  ignore,
  fn() {
    const b = openBlas();
    assert.ok(b.available);
    // A (2×3) at offset 5 of its buffer, B (3×2) stored transposed at offset 3.
    const abuf = new Float32Array(11);
    abuf.set([1, 2, 3, 4, 5, 6], 5);
    const bbuf = new Float32Array(9);
    bbuf.set([1, 3, 5, 2, 4, 6], 3); // B^T = [[1,3,5],[2,4,6]]
    const cbuf = new Float32Array(6).fill(9);
    const c = cbuf.subarray(2);
    b.sgemm({ m: 2, n: 2, k: 3, a: abuf.subarray(5), b: bbuf.subarray(3), c, transposeB: true });
    assert.deepEqual(Array.from(cbuf), [9, 9, 22, 28, 49, 64]);
    assert.deepEqual(Array.from(abuf.subarray(0, 5)), [0, 0, 0, 0, 0]);
    assert.throws(
      () => b.sgemm({ m: 2, n: 2, k: 3, a: abuf, b: bbuf, c: cbuf, ldb: 1 }),
      RangeError,
    );
  },
});

Deno.test({
  name: "cpu-blas: GatherV2 along the first axis gives cpu's rows bit for bit",
  ignore,
  async fn() {
    const rows = Int32Array.from([4, 0, 4, 2, 1]);
    const cases: Array<[string, number[], number[]]> = [
      ["spectra [5, 186, 1]", [5, 186, 1], [5]],
      ["targets [5, 1]", [5, 1], [5]],
      ["a 2-D index [6, 70] by [[4, 0], [4, 2]]", [6, 70], [2, 2]],
      ["a vector", [5], [5]],
    ];
    for (const [label, shape, indexShape] of cases) {
      const size = indexShape.reduce((a, b) => a * b, 1);
      await compareExact(`gather ${label}`, () => {
        const x = tf.tensor(specials(shape.reduce((a, b) => a * b, 1), 3), shape);
        return tf.gather(x, tf.tensor(rows.slice(0, size), indexShape, "int32"));
      });
    }
    // Another axis goes to tfjs's kernel, and an index out of range raises tfjs's error.
    await compareExact("gather along axis 1", () => {
      return tf.gather(sized([3, 8, 2], 4), tf.tensor1d([7, 0, 7], "int32"), 1);
    });
    for (const backend of ["cpu", BLAS_BACKEND]) {
      await tf.setBackend(backend);
      assert.throws(
        () => tf.gather(sized([3, 4], 5), tf.tensor1d([1, 3], "int32")),
        /GatherV2: the index value 3 is not in \[0, 2\]/,
      );
    }
  },
});
