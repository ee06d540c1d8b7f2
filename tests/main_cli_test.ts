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

Deno.test("deno task main --head pdf --weights sqrt --seed trains a weighted classification head and records the method", async () => {
  const out = await Deno.makeTempDir();
  const { code, stderr } = await runMain([
    "--profile=smoke",
    "--galaxies=300",
    "--epochs=1",
    "--extra-epochs=0",
    "--filters=2,3,2,3",
    "--units=5,4,3,2",
    "--head=pdf",
    "--soft-label-width=0.02",
    "--weights=sqrt",
    "--seed=7",
    `--out=${out}`,
  ]);
  assert.equal(code, 0, stderr);
  const config = JSON.parse(await Deno.readTextFile(`${out}/model/config.json`));
  assert.deepEqual(config.modelConfig.pdfBins, { count: 195, zMin: 0, zMax: 0.65 });
  assert.equal(config.modelConfig.seed, 7);
  // the training distribution over the head's bins, for predict's α
  const shares = config.run.trainingPrior.shares as number[];
  assert.equal(shares.length, 195);
  assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  const run = JSON.parse(await Deno.readTextFile(`${out}/run.json`));
  assert.equal(run.recipe.loss, "soft-label (width 0.02)");
  assert.match(
    run.recipe.sampleWeights,
    /^sqrt smoothed density of z, capped at 10× the smallest$/,
  );
  await Deno.remove(out, { recursive: true });
});

Deno.test("deno task main refuses an unknown head or weighting, and a soft-label width without a head, exit 2", async () => {
  for (
    const [args, message] of [
      [["--head=bins"], /--head bins: expected z or pdf/],
      [["--weights=log"], /--weights log: expected none, inverse or sqrt/],
      [["--soft-label-width=0.02"], /--soft-label-width is for --head pdf/],
      [["--head=pdf", "--soft-label-width=-1"], /expected a number in \[0, 1\)/],
      [["--seed=1.5"], /--seed/],
    ] as const
  ) {
    const { code, stderr } = await runMain([...args]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, message);
  }
});
