import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { BACKEND_ENV, formatBackendReport, selectBackend } from "../lib/backend/select.ts";

Deno.test("selectBackend() uses the CPU when asked and says so", async () => {
  const report = await selectBackend({ backend: "cpu" });
  assert.equal(tf.getBackend(), "cpu");
  assert.deepEqual(report, {
    backend: "cpu",
    adapter: null,
    isFallbackAdapter: false,
    reason: "requested by option",
  });
  assert.equal(formatBackendReport(report), "cpu, requested by option");
});

Deno.test("selectBackend() follows the environment variable, and an option overrides it", async () => {
  Deno.env.set(BACKEND_ENV, "cpu");
  try {
    const report = await selectBackend();
    assert.equal(report.backend, "cpu");
    assert.equal(report.reason, `requested by ${BACKEND_ENV}`);
    Deno.env.set(BACKEND_ENV, "tpu");
    await assert.rejects(
      selectBackend(),
      /REDSHIFT_BACKEND=tpu: expected "webgpu", "cpu-blas" or "cpu"/,
    );
    assert.equal((await selectBackend({ backend: "cpu" })).reason, "requested by option");
    Deno.env.delete(BACKEND_ENV);
    assert.equal(
      (await selectBackend({ preferred: "cpu" })).reason,
      "preferred by the run profile",
    );
  } finally {
    Deno.env.delete(BACKEND_ENV);
  }
});
