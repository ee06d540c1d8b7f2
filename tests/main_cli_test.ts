// The main command's width flags, run as a user runs it.
import assert from "node:assert/strict";

const MAIN = new URL("../tools/main.ts", import.meta.url).pathname;

async function runMain(args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { REDSHIFT_BACKEND: "cpu" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

Deno.test("deno task main --filters/--units trains the network of that width and records it", async () => {
  const out = await Deno.makeTempDir();
  const { code, stdout, stderr } = await runMain([
    "--profile=smoke",
    "--galaxies=300",
    "--epochs=1",
    "--filters=2,3,2,3",
    "--units=5,4,3,2",
    `--out=${out}`,
  ]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /filters 2,3,2,3, dense units 5,4,3,2/);
  const config = JSON.parse(await Deno.readTextFile(`${out}/model/config.json`));
  assert.deepEqual(config.modelConfig.convFilters, [2, 3, 2, 3]);
  assert.deepEqual(config.modelConfig.denseUnits, [5, 4, 3, 2]);
  await Deno.remove(out, { recursive: true });
});

Deno.test("deno task main refuses a width list of the wrong length or with a non-number, exit 2", async () => {
  const short = await runMain(["--filters=8,8"]);
  assert.equal(short.code, 2);
  assert.match(short.stderr, /--filters needs 4 numbers/);
  const bad = await runMain(["--units=8,x,8,8"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--units expects comma-separated positive integers, got "8,x,8,8"/);
});
