// The README's exit codes, for `predict` and `main` alike, run as a user runs them: every user
// error is one line on standard error (never a stack trace) and its own code, found before work.
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { selectBackend } from "../lib/backend/select.ts";
import { buildModel, resolveModelConfig } from "../lib/model.ts";
import { fitMinMax } from "../lib/min_max_scaler.ts";
import { saveModel } from "../lib/runs/model_folder.ts";
import { train } from "../lib/train.ts";
import { writeSpectra } from "../lib/data/write_spectra.ts";
import { FLUX_COLUMNS } from "../lib/spectra.ts";
import { bumpData, NARROW } from "./_toy_data.ts";

await selectBackend({ backend: "cpu" });

const PREDICT = new URL("../tools/predict.ts", import.meta.url).pathname;
const MAIN = new URL("../tools/main.ts", import.meta.url).pathname;

async function run(tool: string, args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", tool, ...args],
    env: { REDSHIFT_BACKEND: "cpu" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, out: decode(stdout), err: decode(stderr) };
}

/** One line of error, no stack trace. */
function oneLine(err: string, what: string) {
  assert.doesNotMatch(err, /^\s+at /m, `${what}: a stack trace in\n${err}`);
  assert.doesNotMatch(err, /Uncaught/, what);
}

const dir = await Deno.makeTempDir();
const modelConfig = resolveModelConfig({ ...NARROW, seed: 2 });
const model = buildModel(modelConfig);
const { x, y } = bumpData(40, 1);
await saveModel(`${dir}/model`, model, {
  modelConfig,
  scaler: fitMinMax(x, "all"),
  history: [],
  run: {},
});
await writeSpectra({ n: 40, z: y, flux: x, ids: new Float64Array(40) }, `${dir}/in.csv`);
const inText = await Deno.readTextFile(`${dir}/in.csv`);

Deno.test("predict: collisions, bad numbers, bad files and broken models each get their code, before any work", async () => {
  const base = ["--model", `${dir}/model`, "--in", `${dir}/in.csv`];
  const cases: [string[], number, RegExp][] = [
    [
      [...base, "--out", `${dir}/o.csv`, "--rejects", `${dir}/in.csv`],
      5,
      /--rejects .* would overwrite --in/,
    ],
    [
      [...base, "--out", `${dir}/o.csv`, "--rejects", `${dir}/model/weights.bin`],
      5,
      /model folder/,
    ],
    [[...base, "--out", `${dir}/o.csv`, "--rejects", `${dir}/o.csv`], 5, /same file/],
    [[...base, "--out", dir + "/model/../in.csv"], 5, /would overwrite --in/],
    [[...base, "--out", `${dir}/dir.csv`], 5, /is a folder/],
    [[...base, "--out", `${dir}/o.csv`, "--chunk", "1e8"], 2, /--chunk 1e8/],
    [[...base, "--out", `${dir}/o.csv`, "--chunk", "100000000"], 2, /--chunk 100000000/],
    [[...base, "--out", `${dir}/o.csv`, "--batch", "0x10"], 2, /--batch 0x10/],
    [[...base, "--out", `${dir}/o.csv`, "--batch", "-5"], 2, /--batch/],
    [[...base, "--out", `${dir}/o.csv`, "--ood-far", "1e400"], 2, /--ood-far/],
    [[...base, "--out", `${dir}/o.csv`, "--nope"], 2, /Unknown option '--nope'/],
    [[...base, "--out", `${dir}/o.csv`, "--z-column", "flux_3"], 4, /one of the 186 fluxes/],
    [
      ["--model", `${dir}/model`, "--in", `${dir}/dir.csv`, "--out", `${dir}/o.csv`],
      4,
      /not a regular file/,
    ],
    [
      ["--model", `${dir}/model`, "--in", `${dir}/list.parquet`, "--out", `${dir}/o.csv`],
      4,
      /ids must be/,
    ],
    [
      ["--model", `${dir}/garbage`, "--in", `${dir}/in.csv`, "--out", `${dir}/o.csv`],
      3,
      /checksum/,
    ],
    [
      ["--model", `${dir}/narrow`, "--in", `${dir}/in.csv`, "--out", `${dir}/o.csv`],
      3,
      /scaler has 100 columns, not 186/,
    ],
  ];
  await Deno.mkdir(`${dir}/dir.csv`, { recursive: true });
  const columns: Record<string, unknown> = { id: [[1, 2]], z: [0.1] };
  for (const c of FLUX_COLUMNS) columns[c] = [1];
  pl.DataFrame(columns).writeParquet(`${dir}/list.parquet`);
  await Deno.mkdir(`${dir}/garbage`);
  for await (const e of Deno.readDir(`${dir}/model`)) {
    await Deno.copyFile(`${dir}/model/${e.name}`, `${dir}/garbage/${e.name}`);
  }
  const weights = await Deno.readFile(`${dir}/garbage/weights.bin`);
  await Deno.writeFile(`${dir}/garbage/weights.bin`, crypto.getRandomValues(weights));
  // A folder for spectra of another width: saved as such, so its checksums hold.
  const narrow = buildModel({ ...modelConfig, inputLength: 100 });
  await saveModel(`${dir}/narrow`, narrow, {
    modelConfig,
    scaler: fitMinMax(new Float32Array(100), "all", { width: 100 }),
    history: [],
    run: {},
  });
  for (const [args, code, message] of cases) {
    const r = await run(PREDICT, args);
    const what = args.slice(4).join(" ") || args.join(" ");
    assert.equal(r.code, code, `${what}: ${r.err}`);
    assert.match(r.err, message, what);
    oneLine(r.err, what);
  }
  assert.equal(await Deno.readTextFile(`${dir}/in.csv`), inText, "the input is untouched");
  const left = await Array.fromAsync(Deno.readDir(dir), (e) => e.name);
  assert.ok(!left.some((n) => n.startsWith("o.csv") || n.endsWith(".tmp")), `${left}`);
});

Deno.test("main: flags, profile, data, checkpoint and output paths are checked before data loads", async () => {
  const out = `${dir}/run`;
  await Deno.writeTextFile(`${dir}/garbage.csv`, "not,a,catalogue\n1,2,3\n");
  // A checkpoint with a flipped byte.
  const checkpoint = `${dir}/run.ckpt`;
  const small = buildModel({ ...NARROW, seed: 4 });
  await train(small, { train: bumpData(20, 3) }, {
    epochs: 1,
    batchSize: 10,
    seed: 1,
    checkpointPath: checkpoint,
  });
  small.dispose();
  const bytes = await Deno.readFile(checkpoint);
  bytes[bytes.length >> 1] ^= 1;
  await Deno.writeFile(checkpoint, bytes);
  await Deno.writeTextFile(`${dir}/a-file`, "");
  const missing = `${dir}/missing.csv`;
  await Deno.writeTextFile(`${dir}/five.csv`, inText.split("\n").slice(0, 6).join("\n") + "\n");
  const fiveGalaxies =
    /five\.csv: 5 galaxies would split into 3 training, 1 validation and 1 test galaxies: too few for a meaningful split \(at least 100/;
  const fortyGalaxies =
    /in\.csv: 40 galaxies would split into 25 training, 11 validation and 4 test/;
  const cases: [string[], number, RegExp][] = [
    [["--bogus"], 2, /Unknown option '--bogus'/],
    [["--profile", "huge"], 2, /unknown profile "huge"/],
    [["--data", missing, "--batch", "0"], 2, /--batch 0/],
    [["--data", missing, "--batch", "0x10"], 2, /--batch 0x10/],
    [["--data", missing, "--epochs", "1e3"], 2, /--epochs 1e3/],
    [["--data", missing, "--galaxies", "99999999999"], 2, /--galaxies/],
    [["--data", `${dir}/spectra.txt`], 2, /--data .*\.csv or \.parquet/],
    [["--data", missing, "--checkpoint", checkpoint, "--out", out], 3, /damaged checkpoint/],
    [["--data", missing, "--out", `${dir}/a-file`], 5, /names a file/],
    [["--data", `${dir}/in.csv`, "--checkpoint", `${dir}/in.csv`, "--out", out], 5, /--data/],
    [["--data", `${out}/model/in.csv`, "--out", out], 5, /would replace --data/],
    [["--profile", "smoke", "--data", missing, "--out", out], 4, /file not found/],
    [["--profile", "smoke", "--data", `${dir}/garbage.csv`, "--out", out], 4, /garbage\.csv/],
    // Too few galaxies for a split that means anything: refused, naming the sizes.
    [["--profile", "smoke", "--data", `${dir}/five.csv`, "--out", out], 4, fiveGalaxies],
    [["--profile", "smoke", "--data", `${dir}/in.csv`, "--out", out], 4, fortyGalaxies],
    [
      ["--galaxies", "20", "--out", out],
      2,
      /--galaxies 20: 20 galaxies would split into 13 training/,
    ],
  ];
  for (const [args, code, message] of cases) {
    const r = await run(MAIN, args);
    assert.equal(r.code, code, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, message, args.join(" "));
    oneLine(r.err, args.join(" "));
    // Usage and path errors come before any data is loaded.
    if (code === 2 || code === 3 || code === 5) assert.doesNotMatch(r.out, /split:|galaxies/);
  }
  assert.equal(await Deno.readTextFile(`${dir}/in.csv`), inText);
});

Deno.test("main --help explains every flag with its default, and the exit codes", async () => {
  const r = await run(MAIN, ["--help"]);
  assert.equal(r.code, 0);
  for (
    const flag of [
      "--profile",
      "--data",
      "--galaxies",
      "--epochs",
      "--batch",
      "--scaling",
      "--filters",
      "--units",
      "--backend",
      "--out",
      "--checkpoint",
    ]
  ) {
    const line = r.out.split("\n").find((l) => l.trimStart().startsWith(flag));
    assert.ok(line, `${flag} is explained`);
    const block = r.out.slice(r.out.indexOf(line));
    assert.match(block.slice(0, 400), /default/, `${flag} names its default`);
  }
  assert.match(r.out, /Exit codes: 0 done, 1 internal error, 2 usage, 3 .*4 .*5 .*130/s);
});

Deno.test("main prints the training time it measured after the first steps", async () => {
  const out = `${dir}/timed`;
  const r = await run(MAIN, [
    "--profile=smoke",
    "--galaxies=300",
    "--epochs=1",
    "--filters=2,2,2,2",
    "--units=4,4,4,4",
    `--out=${out}`,
  ]);
  assert.equal(r.code, 0, r.err);
  // the smoke profile's extra epoch past the evaluated one
  assert.match(r.out, /training: 2 epochs \(1 evaluated\) × \d+ galaxies = [\d,]+ samples on cpu/);
  assert.match(
    r.out,
    /measured \d+ samples\/s \(epoch 1, step 10 of 12\): about .* to train \(1 epochs after this one\)/,
  );
});
