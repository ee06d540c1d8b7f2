// The SIMD kernels (forward plan, training plan, Adamax) as committed: lib/backend/_simd_kernels_wasm.ts is exactly what
// lib/backend/_simd_kernels.wat compiles to (so an edit of the source without `deno task
// build:simd` fails here, and so does `deno task build:simd --check`), and its bytes are a valid
// WebAssembly module that imports the plan's memory and exports the five kernels. What the
// kernels compute is checked in tests/winograd_test.ts, tests/blas_gradients_test.ts and
// tests/blas_backend_test.ts.
import assert from "node:assert/strict";
import { compileSimdKernels } from "../tools/build_simd.ts";
import { SIMD_KERNELS_WASM } from "../lib/backend/_simd_kernels_wasm.ts";

const SOURCE = new URL("../lib/backend/_simd_kernels.wat", import.meta.url);
const GENERATED = new URL("../lib/backend/_simd_kernels_wasm.ts", import.meta.url);

/** The module's bytes from the generated file's text (its base64 string literals). */
function bytesOf(generated: string): Uint8Array<ArrayBuffer> {
  const base64 = [...generated.matchAll(/^ {2}"([A-Za-z0-9+/=]+)"/gm)].map((m) => m[1]).join("");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

Deno.test("SIMD kernels: the committed module is what the .wat compiles to", async () => {
  const wat = await Deno.readTextFile(SOURCE);
  const generated = await compileSimdKernels(wat);
  assert.equal(
    await Deno.readTextFile(GENERATED),
    generated,
    "lib/backend/_simd_kernels_wasm.ts is stale: run deno task build:simd",
  );
  // A change of the code changes the module, so the comparison above catches a missed rebuild.
  const edited = wat.replace("(f32x4.max (v128.const", "(f32x4.min (v128.const");
  assert.notEqual(edited, wat, "the edit applies");
  assert.notEqual(await compileSimdKernels(edited), generated);

  const check = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "-A",
      new URL("../tools/build_simd.ts", import.meta.url).pathname,
      "--check",
    ],
  }).output();
  const stderr = new TextDecoder().decode(check.stderr);
  assert.equal(check.code, 0, `deno task build:simd --check: ${stderr}`);
});

Deno.test("SIMD kernels: the compiled bytes are a valid module with the plan's kernels", async () => {
  const bytes = bytesOf(await compileSimdKernels(await Deno.readTextFile(SOURCE)));
  assert.ok(bytes.length > 8, "the generated file holds the module");
  assert.ok(WebAssembly.validate(bytes), "WebAssembly.validate");
  assert.ok(!WebAssembly.validate(bytes.subarray(0, bytes.length - 1)), "a truncated module fails");
  // What the plan loads is these bytes.
  assert.deepEqual(Uint8Array.from(atob(SIMD_KERNELS_WASM), (c) => c.charCodeAt(0)), bytes);
  const module = new WebAssembly.Module(bytes);
  assert.deepEqual(WebAssembly.Module.imports(module), [
    { module: "plan", name: "memory", kind: "memory" },
  ]);
  assert.deepEqual(
    WebAssembly.Module.exports(module).map((e) => `${e.kind} ${e.name}`).sort(),
    [
      "function adamax",
      "function pairRelu",
      "function pairReluBackward",
      "function winogradInput",
      "function winogradOutput",
    ],
  );
});
