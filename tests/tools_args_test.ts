// Every command-line tool, benchmarks included, found from the tree (so a new one is covered at
// once): a mistyped flag is a usage error, exit 2, in one line that names the tool and the flag,
// never a stack trace; `--help` prints the usage and exits 0, before any work.
import assert from "node:assert/strict";

const TOOLS = new URL("../tools/", import.meta.url);

function entryPoints(): string[] {
  const list = (folder: URL, prefix: string) =>
    [...Deno.readDirSync(folder)]
      .filter((e) => e.isFile && e.name.endsWith(".ts") && !e.name.startsWith("_"))
      .map((e) => prefix + e.name);
  return [...list(TOOLS, ""), ...list(new URL("bench/", TOOLS), "bench/")].sort();
}

async function run(tool: string, args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    // -q, as the tasks run them: a first run on a fresh machine prints "Download …" lines.
    args: ["run", "-q", "-A", new URL(tool, TOOLS).pathname, ...args],
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, out: decode(stdout), err: decode(stderr) };
}

/** Runs `each` over `items`, `width` at a time. */
async function inBatches<T>(items: T[], width: number, each: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += width) {
    await Promise.all(items.slice(i, i + width).map(each));
  }
}

const tools = entryPoints();

Deno.test("the tools are found: the entry points of tools/ and tools/bench/", () => {
  for (const expected of ["main.ts", "predict.ts", "render_math.ts", "bench/torch_accuracy.ts"]) {
    assert.ok(tools.includes(expected), `${expected} not among ${tools.join(", ")}`);
  }
});

Deno.test("every tool: an unknown flag exits 2 with one line naming it, no stack trace", async () => {
  const wrong: string[] = [];
  await inBatches(tools, 4, async (tool) => {
    const { code, err } = await run(tool, ["--no-such-flag"]);
    const lines = err.trim().split("\n");
    if (
      code !== 2 || lines.length !== 1 || !err.includes("--no-such-flag") || /^\s+at /m.test(err)
    ) {
      wrong.push(`${tool}: exit ${code}, stderr:\n${err}`);
    }
  });
  assert.deepEqual(wrong, []);
});

Deno.test("every tool: --help prints its usage and exits 0", async () => {
  const wrong: string[] = [];
  await inBatches(tools, 4, async (tool) => {
    const { code, out, err } = await run(tool, ["--help"]);
    if (code !== 0 || out.trim().length < 20 || /^\s+at /m.test(err)) {
      wrong.push(`${tool}: exit ${code}, stdout:\n${out}\nstderr:\n${err}`);
    }
  });
  assert.deepEqual(wrong, []);
});
