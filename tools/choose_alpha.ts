/**
 * Chooses a PDF head's α on its own run's validation galaxies and writes `alpha_choice.json` into
 * the PDF head's run folder, which page 07 reads (`lib/notebook/alpha_choice.ts`).
 *
 * `deno run -A tools/choose_alpha.ts --baseline DIR --pdf DIR [--data FILE]`
 *
 * @module
 */
import {
  EXIT,
  fail,
  gitCommit,
  parseToolArgs,
  prepareToolRun,
  runTool,
  selectToolBackend,
  splitCounts,
} from "./_cli.ts";
import { getProfile } from "../lib/profiles.ts";
import { pdfBinsOf } from "../lib/model.ts";
import { loadModel } from "../lib/runs/model_folder.ts";
import { loadRunArtifact, type RunArtifact, sameIds } from "../lib/runs/run_folder.ts";
import { alphaChoiceNote, chooseAlphaOnValidation } from "../lib/notebook/alpha_choice.ts";
import { writeFileAtomic } from "../lib/_atomic.ts";

const HELP = `usage: deno run -A tools/choose_alpha.ts --baseline DIR --pdf DIR [--data FILE]

Chooses the α of a PDF head's run (--pdf, a folder of deno task main --head pdf) on its
validation galaxies, by page 07's rule: the flattest slope of the mean error above z = 0.2 (by
true z) that reaches half the baseline run's (--baseline) within 10 % of its MAE, else the flattest
within that MAE. It rebuilds both runs' galaxies and split from their records (--data: the file
they were trained on, when not the mock), checks that the test galaxies are the runs' own, and
writes DIR/alpha_choice.json (the --pdf folder). No test galaxy is used.

Exit codes: 0 done, 2 usage, 3 a model does not load, 4 a run folder is missing or damaged or
its galaxies are not these.`;

await runTool("choose_alpha", async () => {
  const args = parseToolArgs("choose_alpha", {
    baseline: { type: "string" },
    pdf: { type: "string" },
    data: { type: "string" },
  }, HELP);
  if (!args.baseline || !args.pdf) fail(EXIT.usage, "name both --baseline DIR and --pdf DIR");
  const read = (dir: string) =>
    loadRunArtifact(dir).catch((e) => fail(EXIT.input, (e as Error).message));
  const [baseline, pdf] = [await read(args.baseline), await read(args.pdf)];
  for (const key of ["profile", "data", "galaxies"] as const) {
    if (String(baseline.run[key]) !== String(pdf.run[key])) {
      fail(EXIT.input, `the runs differ in their ${key}: they must share galaxies and split`);
    }
  }
  const profile = { ...getProfile(pdf.run.profile), galaxies: pdf.run.galaxies };
  await selectToolBackend(undefined, profile); // before the models load, to check them first
  const [b, p] = [await model(args.baseline), await model(args.pdf)];
  if (!pdfBinsOf(p)) fail(EXIT.model, `${args.pdf}/model: not a PDF head (--head pdf)`);
  const { prepared } = await prepareToolRun({ data: args.data }, profile);
  console.log(`split: ${splitCounts(prepared)}`);
  for (const run of [baseline, pdf]) checkTestGalaxies(run, prepared.testIds);
  const scored = await chooseAlphaOnValidation(b, p, prepared);
  b.dispose();
  p.dispose();
  const choice = {
    command: `deno run -A tools/choose_alpha.ts --baseline ${args.baseline} --pdf ${args.pdf}` +
      (args.data ? ` --data ${args.data}` : ""),
    commit: await gitCommit(),
    ...scored,
  };
  await writeFileAtomic(`${args.pdf}/alpha_choice.json`, JSON.stringify(choice, null, 2) + "\n");
  console.log(alphaChoiceNote(choice));
});

/** Exit 4 unless the rebuilt split's test galaxies are those the run was scored on. */
function checkTestGalaxies({ dir, test }: RunArtifact, testIds: ArrayLike<number>): void {
  if (!sameIds(test.ids, testIds)) {
    fail(EXIT.input, `${dir}: its test galaxies are not the rebuilt split's (other data or seed)`);
  }
}

async function model(dir: string) {
  return (await loadModel(`${dir}/model`).catch((e) => fail(EXIT.model, (e as Error).message)))
    .model;
}
