// tools/choose_alpha.ts as a user runs it: on two run folders of the smoke profile's galaxies it
// writes alpha_choice.json; runs of other galaxies and missing flags get their exit codes.
import assert from "node:assert/strict";
import { selectBackend } from "../lib/backend/select.ts";
import { buildModel, resolveModelConfig } from "../lib/model.ts";
import { loadNotebookData } from "../lib/notebook/notebook.ts";
import { loadAlphaChoice } from "../lib/notebook/alpha_choice.ts";
import { prepareData } from "../lib/prepare.ts";
import { PROFILES } from "../lib/profiles.ts";
import { saveModel } from "../lib/runs/model_folder.ts";
import { saveRunArtifact } from "../lib/runs/run_folder.ts";
import { NARROW } from "./_toy_data.ts";

await selectBackend({ backend: "cpu" });
const TOOL = new URL("../tools/choose_alpha.ts", import.meta.url).pathname;

async function chooseAlpha(...args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TOOL, ...args],
    env: { REDSHIFT_BACKEND: "cpu" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, out: decode(stdout), err: decode(stderr) };
}

/** A run folder of the smoke profile's galaxies with an untrained model (a PDF head or not). */
async function runFolder(dir: string, pdf: boolean, testIds: Float64Array) {
  const profile = PROFILES.smoke;
  const { data, source } = await loadNotebookData(profile);
  const prepared = prepareData(data, { seed: profile.seed });
  const modelConfig = resolveModelConfig({
    ...NARROW,
    seed: 2,
    ...(pdf ? { pdfBins: { count: 60, zMin: 0, zMax: 0.65 } } : {}),
  });
  const model = buildModel(modelConfig);
  await saveModel(`${dir}/model`, model, {
    modelConfig,
    scaler: prepared.scaler,
    history: [],
    run: {},
  });
  model.dispose();
  const zTrue = Float32Array.from(testIds, () => 0.1);
  await saveRunArtifact(dir, {
    history: [],
    run: {
      profile: "smoke",
      command: "deno task main --profile smoke",
      commit: "abc",
      device: "cpu",
      data: source.split("\n")[0],
      galaxies: data.n,
      evaluatedEpoch: 1,
      trainingSeconds: 1,
      wallSeconds: 1,
      finishedAt: "2026-12-08T00:00:00.000Z",
    },
    test: { ids: testIds, zTrue, zPred: zTrue },
  });
  return prepared.testIds;
}

Deno.test("choose_alpha writes the validation choice into the PDF head's folder, or says why not", async () => {
  const dir = await Deno.makeTempDir();
  const { testIds } = prepareData((await loadNotebookData(PROFILES.smoke)).data, {
    seed: PROFILES.smoke.seed,
  });
  await runFolder(`${dir}/base`, false, testIds);
  await runFolder(`${dir}/pdf`, true, testIds);
  const done = await chooseAlpha("--baseline", `${dir}/base`, "--pdf", `${dir}/pdf`);
  assert.equal(done.code, 0, done.err);
  const choice = (await loadAlphaChoice(`${dir}/pdf`))!;
  assert.equal(choice.points.length, 11);
  assert.equal(choice.validationGalaxies, 810); // 27 % of the 3,000-galaxy sample
  assert.match(choice.command, /--baseline .*\/base --pdf .*\/pdf$/);
  assert.match(done.out, /validation galaxies \(none of them a test galaxy\) choose/);

  // the baseline's test galaxies are not the rebuilt split's: exit 4, nothing written
  await Deno.remove(`${dir}/pdf/alpha_choice.json`);
  await runFolder(`${dir}/other`, false, testIds.map((id) => id + 1));
  const other = await chooseAlpha("--baseline", `${dir}/other`, "--pdf", `${dir}/pdf`);
  assert.equal(other.code, 4);
  assert.match(other.err, /other: its test galaxies are not the rebuilt split's/);
  assert.equal(await loadAlphaChoice(`${dir}/pdf`), null);
  assert.equal((await chooseAlpha("--pdf", `${dir}/pdf`)).code, 2);
  assert.equal((await chooseAlpha("--baseline", `${dir}/none`, "--pdf", `${dir}/pdf`)).code, 4);
  // a baseline given as the PDF head: its model has no PDF head
  const swapped = await chooseAlpha("--baseline", `${dir}/pdf`, "--pdf", `${dir}/base`);
  assert.equal(swapped.code, 3);
  assert.match(swapped.err, /base\/model: not a PDF head/);
});
