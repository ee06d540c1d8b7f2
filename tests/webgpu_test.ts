// The WebGPU checks (tests/_webgpu_checks.ts) run in a child `deno run` process, and each test
// here asserts on the line of JSON it prints.
//
// Why a child: `deno test` runs every test file in an isolate of its own and tears it down when
// the file ends. Tearing down a WebGPU instance there (Deno 2.9.6 on Mesa's llvmpipe through EGL)
// can crash the process at exit, after every test has passed: glibc's "corrupted size vs.
// prev_size", "corrupted double-linked list" or a segfault, exit status 134 or 139. Measured
// 2026-11-24: four test files that only request an adapter crashed 17 of 40 `deno test` runs, one
// such file 1 of 40; the same requests in a main isolate (`deno run`, as the tools and the
// notebook kernel use) crashed 0 of 100. So the checks run where the tools run, and no test file
// of the suite touches the GPU itself.
import assert from "node:assert/strict";
import { WEBGPU_CHECKS, type WebGPUReport } from "./_webgpu_checks.ts";

const checks = new URL("./_webgpu_checks.ts", import.meta.url).pathname;
const child = await new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", "--quiet", checks],
  stdout: "piped",
  stderr: "piped",
}).output();
const printed = new TextDecoder().decode(child.stdout).trim().split("\n").at(-1) ?? "";
const failure = child.success ? null : `the checks' process exited with ${child.code}:\n` +
  new TextDecoder().decode(child.stderr);
const report: WebGPUReport | null = failure ? null : JSON.parse(printed);

for (const check of WEBGPU_CHECKS) {
  Deno.test({
    name: check.name,
    ignore: report?.results[check.name] === "skipped: no adapter",
    fn: () => {
      assert.ok(report, failure ?? "");
      assert.equal(report.results[check.name], "ok");
    },
  });
}
