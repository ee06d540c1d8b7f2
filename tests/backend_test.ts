import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { BACKEND_ENV, formatBackendReport, selectBackend } from "../lib/backend/select.ts";
import { openBlas } from "../lib/backend/blas.ts";

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

Deno.test("selectBackend() climbs the ladder: hardware WebGPU, else cpu-blas, else cpu", async () => {
  const adapter = await navigator.gpu?.requestAdapter().catch(() => null);
  const software = Boolean(
    (adapter?.info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter,
  );
  const report = await selectBackend();
  if (adapter && !software) {
    assert.equal(report.backend, "webgpu");
    assert.ok(report.adapter && report.adapter.length > 0);
  } else {
    const blas = openBlas();
    assert.equal(report.backend, blas.available ? "cpu-blas" : "cpu");
    assert.match(report.reason, adapter ? /software GPU adapter/ : /no GPU adapter/);
    if (blas.available) assert.match(formatBackendReport(report), /^cpu-blas \(.+\), detected: /);
    else assert.match(report.reason, /BLAS not available: /);
    if (adapter) {
      // A software adapter only when asked for.
      assert.equal((await selectBackend({ backend: "webgpu" })).backend, "webgpu");
    } else {
      await assert.rejects(selectBackend({ backend: "webgpu" }), /no adapter is available/);
    }
  }
  await selectBackend({ backend: "cpu" });
});
