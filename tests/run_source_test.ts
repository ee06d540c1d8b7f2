import assert from "node:assert/strict";
import { chooseRunSource, runToEvaluate } from "../lib/notebook/notebook.ts";
import {
  measureSpeed,
  TRAIN_HERE_LIMIT_S,
  trainingSeconds,
} from "../lib/notebook/training_time.ts";
import { NARROW_MODEL, PROFILES } from "../lib/profiles.ts";
import { splitSizes } from "../lib/split.ts";

// A machine of a given speed, without timing anything.
const machine = (trainSamplesPerSecond: number) => () =>
  Promise.resolve({
    trainSamplesPerSecond,
    predictRowsPerSecond: 3 * trainSamplesPerSecond,
    batchSize: 16,
  });
const committedDefault = await Deno.stat(
  new URL("../results/runs/default/run.json", import.meta.url),
)
  .then(() => true, () => false);

async function withRunEnv<T>(value: string | undefined, body: () => Promise<T>): Promise<T> {
  if (value === undefined) Deno.env.delete("REDSHIFT_RUN");
  else Deno.env.set("REDSHIFT_RUN", value);
  try {
    return await body();
  } finally {
    Deno.env.delete("REDSHIFT_RUN");
  }
}

Deno.test("chooseRunSource() trains when training takes minutes here, and says how long", async () => {
  const smoke = await withRunEnv(undefined, () => chooseRunSource(PROFILES.smoke, machine(330)));
  assert.equal(smoke.mode, "train");
  assert.ok(smoke.estimate!.seconds < TRAIN_HERE_LIMIT_S);
  assert.match(smoke.reason, /about .* on this machine \(measured 330 training samples\/s/);
  // The default profile on a machine 100 × faster than a laptop (a GPU) trains too.
  const fast = await withRunEnv(
    undefined,
    () => chooseRunSource(PROFILES.default, machine(40_000)),
  );
  assert.deepEqual([
    fast.mode,
    fast.dir.endsWith("out/runs/default") || fast.dir.endsWith("/default"),
  ], ["train", true]);
});

Deno.test("chooseRunSource() presents the committed run when training would take long", async () => {
  const source = await withRunEnv(undefined, () => chooseRunSource(PROFILES.default, machine(330)));
  assert.ok(source.estimate!.seconds > TRAIN_HERE_LIMIT_S);
  assert.equal(source.mode, committedDefault ? "load" : "train");
  assert.match(
    source.reason,
    committedDefault ? /committed run is presented; REDSHIFT_RUN=train/ : /no committed run/,
  );
  // `full` has no committed run in this checkout unless one was made: then it trains, and says so.
  const full = await withRunEnv(undefined, () => chooseRunSource(PROFILES.full, machine(330)));
  if (full.mode === "train") {
    assert.match(full.reason, /no committed run, so it trains here: .*about/);
  }
});

Deno.test("chooseRunSource() obeys REDSHIFT_RUN, estimates a forced retraining, refuses a missing run", async () => {
  const forced = await withRunEnv("train", () => chooseRunSource(PROFILES.full, machine(330)));
  assert.equal(forced.mode, "train");
  // 30 epochs of 327,848 galaxies at 330/s and 140,507 validation predictions at 990/s: ~13 h.
  const sizes = splitSizes(PROFILES.full.galaxies);
  assert.equal(sizes.train + sizes.validation + sizes.test, 520_393);
  const hours = forced.estimate!.seconds / 3600;
  assert.ok(Math.abs(hours - 30 * (sizes.train / 330 + sizes.validation / 990) / 3600) < 1e-9);
  await withRunEnv(
    "load",
    () =>
      assert.rejects(chooseRunSource(PROFILES.smoke, machine(330)), /REDSHIFT_RUN=load: no run in/),
  );
});

Deno.test("runToEvaluate() takes notebook 03's run, else the committed one, else says what to run", async () => {
  const root = await Deno.makeTempDir();
  Deno.env.set("REDSHIFT_RUNS", root);
  try {
    const source = await withRunEnv(undefined, () => runToEvaluate(PROFILES.default));
    assert.equal(source.mode, committedDefault ? "load" : "train");
    await withRunEnv(
      undefined,
      () =>
        assert.rejects(
          runToEvaluate(PROFILES.smoke),
          /no run to evaluate in .*: run notebook 03 first/,
        ),
    );
    await withRunEnv(
      "train",
      () => assert.rejects(runToEvaluate(PROFILES.default), /REDSHIFT_RUN=train/),
    );
  } finally {
    Deno.env.delete("REDSHIFT_RUNS");
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("measureSpeed() times training and prediction; trainingSeconds() adds them up", async () => {
  const speed = await measureSpeed(NARROW_MODEL, 8, 4);
  assert.ok(speed.trainSamplesPerSecond > 0 && Number.isFinite(speed.trainSamplesPerSecond));
  assert.ok(speed.predictRowsPerSecond > 0 && Number.isFinite(speed.predictRowsPerSecond));
  // 1,000 galaxies split into 630 training and 270 validation galaxies.
  const s = { trainSamplesPerSecond: 100, predictRowsPerSecond: 1000, batchSize: 8 };
  assert.ok(Math.abs(trainingSeconds(s, { epochs: 2, galaxies: 1000 }) - 2 * (6.3 + 0.27)) < 1e-12);
});
