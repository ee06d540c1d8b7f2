import assert from "node:assert/strict";
import { selectBackend } from "../lib/backend/select.ts";
import { resolveModelConfig } from "../lib/model.ts";
import type { EpochLog } from "../lib/train.ts";
import { fitMinMax } from "../lib/min_max_scaler.ts";
import { ModelFolderError } from "../lib/runs/model_folder.ts";
import {
  disposeEnsemble,
  type Ensemble,
  ENSEMBLE_FILE,
  isEnsembleFolder,
  loadEnsemble,
  memberSeed,
  predictWithUncertainty,
  saveEnsemble,
  trainEnsemble,
} from "../lib/uncertainty/ensemble.ts";
import { evaluateEnsemble, readCommittedUncertaintyResults } from "../lib/uncertainty/results.ts";
import { bumpData, NARROW } from "./_toy_data.ts";

await selectBackend({ backend: "cpu" });

const train = bumpData(96, 1), validation = bumpData(48, 2), test = bumpData(40, 3);
const scaler = fitMinMax(train.x, "all", { fittedOn: "training rows" });

/** A 3-member ensemble trained for one epoch on toy spectra (seconds on a CPU). */
async function trainedEnsemble(seed = 5): Promise<Ensemble & { memberSeconds: number[] }> {
  return await trainEnsemble({ train, validation }, {
    members: 3,
    modelConfig: resolveModelConfig({ ...NARROW, seed }),
    epochs: 1,
    batchSize: 16,
    seed,
    scaler,
  });
}

Deno.test("trainEnsemble() trains distinct members and fits a positive σ scale", async () => {
  const ensemble = await trainedEnsemble();
  try {
    assert.equal(ensemble.models.length, 3);
    assert.deepEqual(ensemble.memberSeeds, [5, memberSeed(5, 1), memberSeed(5, 2)]);
    assert.equal(ensemble.histories.length, 3);
    assert.ok(ensemble.stdScale > 0 && Number.isFinite(ensemble.stdScale));
    const p = await predictWithUncertainty(ensemble, test.x);
    assert.notDeepEqual(p.members[0], p.members[1]); // different seeds, different networks
    assert.ok(p.rawStd.every((s) => s > 0));
  } finally {
    disposeEnsemble(ensemble);
  }
});

Deno.test("trainEnsemble() gives the same members for the same seed", async () => {
  const a = await trainedEnsemble(9), b = await trainedEnsemble(9);
  try {
    const [pa, pb] = [
      await predictWithUncertainty(a, test.x),
      await predictWithUncertainty(b, test.x),
    ];
    assert.deepEqual(pa.mean, pb.mean);
    assert.equal(a.stdScale, b.stdScale);
  } finally {
    disposeEnsemble(a);
    disposeEnsemble(b);
  }
});

Deno.test("trainEnsemble() resumes: a finished member is loaded from its checkpoint, not retrained", async () => {
  const dir = await Deno.makeTempDir();
  const prefix = `${dir}/members`;
  const options = {
    members: 2,
    modelConfig: resolveModelConfig({ ...NARROW, seed: 5 }),
    epochs: 2,
    batchSize: 16,
    seed: 5,
    scaler,
    checkpointPrefix: prefix,
  };
  const uninterrupted = await trainEnsemble({ train, validation }, {
    ...options,
    checkpointPrefix: undefined,
  });
  // A run stopped in member 2's first epoch: member 1's finished checkpoint stays on disk.
  await assert.rejects(
    trainEnsemble({ train, validation }, {
      ...options,
      onProgress: (k) => {
        if (k === 2) throw new Error("stopped");
      },
    }),
    /stopped/,
  );
  assert.ok(Deno.statSync(`${prefix}_1.ckpt`).isFile);
  const trainedNow = new Set<number>();
  const resumed = await trainEnsemble({ train, validation }, {
    ...options,
    onProgress: (k) => void trainedNow.add(k),
  });
  try {
    assert.deepEqual([...trainedNow], [2]); // member 1 came from its file, not trained again
    // The same epochs, bit for bit, apart from their wall times.
    const untimed = (histories: EpochLog[][]) =>
      histories.map((h) => h.map(({ seconds: _, ...epoch }) => epoch));
    assert.deepEqual(untimed(resumed.histories), untimed(uninterrupted.histories));
    assert.deepEqual(
      (await predictWithUncertainty(resumed, test.x)).mean,
      (await predictWithUncertainty(uninterrupted, test.x)).mean,
    );
    assert.ok(resumed.memberSeconds[0] > 0); // its epochs' time from the first sitting
    assert.deepEqual([...Deno.readDirSync(dir)], []); // every member's file removed at the end
  } finally {
    disposeEnsemble(resumed);
    disposeEnsemble(uninterrupted);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predictWithUncertainty() returns the members' mean and sample std times the scale", async () => {
  const ensemble = await trainedEnsemble();
  try {
    const p = await predictWithUncertainty({ ...ensemble, stdScale: 2 }, test.x);
    for (const i of [0, 17, 39]) {
      const values = p.members.map((m) => m[i]);
      const mean = values.reduce((a, b) => a + b) / 3;
      const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / 2);
      assert.ok(Math.abs(p.mean[i] - mean) < 1e-6);
      assert.ok(Math.abs(p.rawStd[i] - std) < 1e-6);
      assert.ok(Math.abs(p.std[i] - 2 * p.rawStd[i]) < 1e-6);
    }
  } finally {
    disposeEnsemble(ensemble);
  }
});

Deno.test("saveEnsemble() and loadEnsemble() round-trip members, scaler and σ scale", async () => {
  const ensemble = await trainedEnsemble();
  const dir = `${await Deno.makeTempDir()}/ensemble`;
  try {
    ensemble.run = { note: "test" };
    await saveEnsemble(dir, ensemble);
    assert.ok(await isEnsembleFolder(dir));
    assert.ok(!(await isEnsembleFolder(`${dir}/member_1`)));
    const loaded = await loadEnsemble(dir);
    const [a, b] = [
      await predictWithUncertainty(ensemble, test.x),
      await predictWithUncertainty(loaded, test.x),
    ];
    assert.deepEqual(b.mean, a.mean);
    assert.deepEqual(b.std, a.std);
    assert.equal(loaded.stdScale, ensemble.stdScale);
    assert.deepEqual(loaded.memberSeeds, ensemble.memberSeeds);
    assert.deepEqual(loaded.scaler.toJSON(), scaler.toJSON());
    assert.deepEqual(loaded.run, { note: "test" });
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, [ENSEMBLE_FILE, "member_1", "member_2", "member_3"]);
    disposeEnsemble(loaded);
  } finally {
    disposeEnsemble(ensemble);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("loadEnsemble() names the folder and the problem when it is not an ensemble", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(() => loadEnsemble(dir), (e: Error) => {
    assert.ok(e instanceof ModelFolderError);
    assert.match(e.message, /ensemble\.json is missing/);
    return true;
  });
  await Deno.writeTextFile(`${dir}/${ENSEMBLE_FILE}`, JSON.stringify({ formatVersion: 99 }));
  await assert.rejects(() => loadEnsemble(dir), /format version 99/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("evaluateEnsemble() scores raw, recalibrated and constant-σ predictions", async () => {
  const ensemble = await trainedEnsemble();
  try {
    const { evaluation, test: p } = await evaluateEnsemble(ensemble, { validation, test });
    assert.equal(evaluation.members, 3);
    assert.equal(p.mean.length, test.y.length);
    const c = evaluation.calibration;
    for (const r of [c.raw, c.recalibrated, c.singleConstant]) {
      assert.equal(r.n, test.y.length);
      assert.equal(r.pitCounts.reduce((a, b) => a + b), test.y.length);
      assert.ok(r.crps > 0 && r.coverage.every((x) => x >= 0 && x <= 1));
    }
    // The recalibrated σ is the raw one times the validation-fitted scale.
    assert.ok(Math.abs(c.recalibrated.meanStd - c.raw.meanStd * ensemble.stdScale) < 1e-6);
    assert.ok(Math.abs(c.singleConstant.medianStd - evaluation.baselineStd) < 1e-12);
  } finally {
    disposeEnsemble(ensemble);
  }
});

Deno.test("readCommittedUncertaintyResults() returns nothing for a missing folder", async () => {
  assert.deepEqual(await readCommittedUncertaintyResults("/nonexistent/results"), []);
});
