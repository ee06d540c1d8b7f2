/**
 * One WebGPU dispatch per weight tensor for the Adamax update, in place: through tfjs's ops it
 * costs ten dispatches per tensor, and on a GPU a step's time is mostly per-dispatch overhead.
 * tfjs's own programs write a new output, so this shader is recorded by hand into the backend's
 * command stream, through tfjs-backend-webgpu 4.22's internals (checked before use).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { AdamaxStep, AdamaxTensors } from "./adamax.ts";

/** What this module needs of tfjs-backend-webgpu's `WebGPUBackend`. */
interface WebGPUBackendInternals {
  device: GPUDevice;
  tensorMap: { get(dataId: object): { resource: unknown; values: unknown; dtype: string } };
  uploadToGPU(dataId: object): void;
  makeUniforms(uniforms: { type: string; data: number[] }[]): GPUBufferBinding;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  commandQueueOwnedIds: WeakSet<object>;
  dispatchCountInPass: number;
  activeTimers?: unknown[] | null;
}

const WORKGROUP = 64;

// Same operations in the same order as adamaxReference (adamax.ts), with the constants rounded
// to f32 as a uniform holds them, so both agree to rounding (FMA contraction).
const SHADER = /* wgsl */ `
struct Params { a : vec4<f32>, epsilon : f32 };
@group(0) @binding(0) var<storage, read_write> w : array<f32>;
@group(0) @binding(1) var<storage, read_write> m : array<f32>;
@group(0) @binding(2) var<storage, read_write> u : array<f32>;
@group(0) @binding(3) var<storage, read> g : array<f32>;
@group(0) @binding(4) var<uniform> p : Params;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id : vec3<u32>,
        @builtin(num_workgroups) groups : vec3<u32>) {
  let i = id.x + id.y * groups.x * ${WORKGROUP}u;
  if (i >= arrayLength(&g)) { return; }
  let stepSize = p.a.x;
  let beta1 = p.a.y;
  let oneMinusBeta1 = p.a.z;
  let beta2 = p.a.w;
  let gi = g[i];
  let newM = m[i] * beta1 + gi * oneMinusBeta1;
  let newU = max(u[i] * beta2, abs(gi));
  m[i] = newM;
  u[i] = newU;
  w[i] = w[i] - (newM / (newU + p.epsilon)) * stepSize;
}
`;

const pipelines = new WeakMap<GPUDevice, GPUComputePipeline>();

/**
 * On tfjs's WebGPU backend, one Adamax update of each tensor's weight, m and u from its gradient,
 * one dispatch per tensor, rewriting the three buffers in place.
 */
export function webgpuAdamax(tensors: AdamaxTensors[], step: AdamaxStep): void {
  const b = tf.backend() as unknown as WebGPUBackendInternals;
  if (
    !b.device || !b.tensorMap || typeof b.uploadToGPU !== "function" ||
    typeof b.makeUniforms !== "function" || typeof b.submitQueue !== "function" ||
    typeof b.ensureCommandEncoderReady !== "function" || !b.commandQueueOwnedIds
  ) throw new Error("Adamax on WebGPU needs tfjs-backend-webgpu 4.22's internals");
  const pipeline = pipelineFor(b.device);
  const params = [
    { type: "float32", data: [step.stepSize, step.beta1, 1 - step.beta1, step.beta2] },
    { type: "float32", data: [step.epsilon] },
  ];
  const submitEvery = tf.env().getNumber("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE");
  for (const { weight, firstMoment, infNorm, gradient } of tensors) {
    const all = [weight, firstMoment, infNorm, gradient];
    const n = gradient.size;
    if (n === 0) continue;
    const buffers = all.map((t) => {
      b.uploadToGPU(t.dataId);
      return b.tensorMap.get(t.dataId).resource as GPUBuffer;
    });
    // A uniform buffer per dispatch, as tfjs does: its pool recycles them at each submit, which
    // may fall between two of our dispatches.
    const uniforms = b.makeUniforms(params.map((p) => ({ ...p, data: [...p.data] })));
    const bindGroup = b.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        ...buffers.map((buffer, k) => ({ binding: k, resource: { buffer, size: 4 * n } })),
        { binding: 4, resource: uniforms },
      ],
    });
    b.ensureCommandEncoderReady();
    if (!b.computePassEncoder) b.computePassEncoder = b.commandEncoder!.beginComputePass();
    const pass = b.computePassEncoder;
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    const groups = Math.ceil(n / WORKGROUP);
    const limit = b.device.limits.maxComputeWorkgroupsPerDimension;
    const x = Math.min(groups, limit);
    pass.dispatchWorkgroups(x, Math.ceil(groups / x));
    for (const t of all) {
      // tfjs defers freeing a buffer the queued commands use until the next submit
      b.commandQueueOwnedIds.add(t.dataId);
    }
    for (const t of all.slice(0, 3)) {
      // a host copy cached by an earlier read() is stale now
      b.tensorMap.get(t.dataId).values = null;
    }
    if (++b.dispatchCountInPass >= submitEvery) {
      b.endComputePassEncoder();
      b.submitQueue();
    }
  }
}

function pipelineFor(device: GPUDevice): GPUComputePipeline {
  let pipeline = pipelines.get(device);
  if (!pipeline) {
    pipeline = device.createComputePipeline({
      label: "FusedAdamax",
      layout: "auto",
      compute: { module: device.createShaderModule({ code: SHADER }), entryPoint: "main" },
    });
    pipelines.set(device, pipeline);
  }
  return pipeline;
}
