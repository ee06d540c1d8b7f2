/**
 * Which runs notebook 07 shows: the committed runs of the bias methods (`results/bias/`), or,
 * while they are not there, a small version trained on the page.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import type * as tfl from "@tensorflow/tfjs-layers";
import { readEnv } from "../_env.ts";
import { simulateSpectra, SIMULATOR_VERSION } from "../mock/simulate.ts";
import { prepareData, type PreparedData } from "../prepare.ts";
import { getProfile, MOCK_SEED, type RunProfile } from "../profiles.ts";
import {
  type AlphaMeans,
  isRunFolder,
  loadAlphaMeans,
  loadRunArtifact,
  type RunArtifact,
  runRecordTable,
  sameIds,
} from "../runs/run_folder.ts";
import { loadModel } from "../runs/model_folder.ts";
import { predict, predictPdf } from "../train.ts";
import { selectRows, type Spectra } from "../spectra.ts";
import { permutation } from "../random.ts";
import { formatDuration, markdownTable } from "../tables.ts";
import { median } from "../metrics.ts";
import { DATA_ENV, loadNotebookData, type NotebookData } from "./notebook.ts";
import { PUBLISHED_ERRORS_BY_BIN } from "../published.ts";
import {
  biasComparisonTable,
  binnedComparisonTable,
  scoreMethod,
  type TradeoffCandidate,
  tradeoffNote,
  tradeoffPoint,
} from "./bias_report.ts";
import { en } from "./_words.ts";
import { alphaChoiceNote, loadAlphaChoice } from "./alpha_choice.ts";

/** Environment variable naming another folder of bias runs than `results/bias/` (for checks). */
export const BIAS_RESULTS_ENV = "REDSHIFT_BIAS_RESULTS";

/** The committed runs' folder: `$REDSHIFT_BIAS_RESULTS`, else `results/bias/` in the project. */
export function biasResultsDir(): string {
  return readEnv(BIAS_RESULTS_ENV)?.replace(/\/+$/, "") ??
    fromFileUrl(new URL("../../results/bias", import.meta.url));
}

/** A method trained as its own run: the baseline, the PDF head, or one of the two weightings. */
export type BiasMethod = "baseline" | "pdf" | "sqrt" | "inverse";

/** The trained methods, in the page's order, with the flags of `deno task main` that make them. */
export const BIAS_METHODS: readonly { name: BiasMethod; label: string; flags: string }[] = [
  { name: "baseline", label: "baseline", flags: "" },
  { name: "pdf", label: "A. PDF head", flags: " --head pdf" },
  { name: "sqrt", label: "B. weights 1/√density", flags: " --weights sqrt" },
  { name: "inverse", label: "B. weights 1/density", flags: " --weights inverse" },
];

/** The seeds each method is trained with in `results/bias/`. */
export const BIAS_SEEDS: readonly number[] = [1, 2, 3];

export { BALANCED_WEIGHT_CAP } from "../bias/mod.ts";

/** The label of a method in tables and figures. */
export function methodLabel(method: BiasMethod): string {
  return methodOf(method).label;
}

const methodOf = (method: BiasMethod) => BIAS_METHODS.find((m) => m.name === method)!;
const methodOrder = (m: BiasMethod) => BIAS_METHODS.indexOf(methodOf(m));

/**
 * The command that trains one committed run: the `default` profile's network and recipe, the
 * evaluated epoch only (no epochs past it), its seed and the method's flags.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { biasRunCommand } from "./bias_runs.ts";
 * assert.equal(
 *   biasRunCommand("pdf", 2),
 *   "deno task main --profile default --extra-epochs 0 --seed 2 --head pdf --out results/bias/pdf-seed2",
 * );
 * ```
 */
export function biasRunCommand(method: BiasMethod, seed: number): string {
  return `deno task main --profile default --extra-epochs 0 --seed ${seed}${
    methodOf(method).flags
  } --out results/bias/${method}-seed${seed}`;
}

/** One committed run of a method. */
export interface CommittedBiasRun {
  method: BiasMethod;
  seed: number;
  /** The folder's name, `<method>-seed<N>`. */
  name: string;
  artifact: RunArtifact;
}

const FOLDER = /^(baseline|pdf|sqrt|inverse)-seed(\d+)$/;

/** The complete run folders of `dir` whose names match `pattern`, with the match. */
async function runFolders(
  dir: string,
  pattern: RegExp,
): Promise<{ match: RegExpExecArray; artifact: RunArtifact }[]> {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  const found = [];
  for (const e of entries) {
    const match = pattern.exec(e.name);
    if (!e.isDirectory || !match || !(await isRunFolder(`${dir}/${e.name}`))) continue;
    found.push({ match, artifact: await loadRunArtifact(`${dir}/${e.name}`) });
  }
  return found;
}

/**
 * The complete run folders (a folder still training has no `run.json`) named `<method>-seed<N>`
 * in `dir`, by method in {@link BIAS_METHODS}' order, then by seed.
 */
export async function readCommittedBiasRuns(
  dir: string = biasResultsDir(),
): Promise<CommittedBiasRun[]> {
  const runs = (await runFolders(dir, FOLDER)).map(({ match, artifact }) => ({
    method: match[1] as BiasMethod,
    seed: Number(match[2]),
    name: match[0],
    artifact,
  }));
  return runs.sort((a, b) => methodOrder(a.method) - methodOrder(b.method) || a.seed - b.seed);
}

/** The committed runs split into those the page compares and those it sets aside. */
export interface SameSeedRuns {
  /** The seeds every method present has, ascending. */
  seeds: number[];
  /** The runs of those seeds: each method is scored over the same seeds. */
  compared: CommittedBiasRun[];
  /** The runs of a seed some method lacks, until that method has it too. */
  setAside: CommittedBiasRun[];
}

/**
 * Keeps the runs of the seeds that every method present has. A score averaged over seeds depends
 * on which seeds (seed 2's baseline alone moved the baseline's slope from −0.270 to −0.205), so
 * methods are compared only over the same seeds; a seed that only some methods have waits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CommittedBiasRun, sameSeedRuns } from "./bias_runs.ts";
 * const run = (method: "baseline" | "pdf", seed: number) =>
 *   ({ method, seed, name: `${method}-seed${seed}` }) as CommittedBiasRun;
 * const split = sameSeedRuns([run("baseline", 1), run("baseline", 2), run("pdf", 1)]);
 * assert.deepEqual(split.seeds, [1]);
 * assert.deepEqual(split.setAside.map((r) => r.name), ["baseline-seed2"]);
 * ```
 */
export function sameSeedRuns(runs: readonly CommittedBiasRun[]): SameSeedRuns {
  const methods = new Set(runs.map((r) => r.method));
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b)
    .filter((seed) =>
      [...methods].every((m) => runs.some((r) => r.method === m && r.seed === seed))
    );
  return {
    seeds,
    compared: runs.filter((r) => seeds.includes(r.seed)),
    setAside: runs.filter((r) => !seeds.includes(r.seed)),
  };
}

/** The sentence naming the runs set aside until every method has their seed; empty when none. */
export function waitingNote(setAside: readonly CommittedBiasRun[]): string {
  if (!setAside.length) return "";
  const verb = setAside.length > 1 ? "wait" : "waits";
  return `${setAside.map((r) => r.name).join(", ")} ${verb} until every method has its seed.`;
}

/** Seeds as the page names them: "seed 1", "seeds 1, 2". */
export function seedsText(seeds: readonly number[]): string {
  return `seed${seeds.length > 1 ? "s" : ""} ${seeds.join(", ")}`;
}

/**
 * The page's opening word on its runs: the committed runs it presents (`all` of them, read by
 * {@link readCommittedBiasRuns}) and over which seeds, or that it trains a small version, and why.
 */
export function committedRunsNote(all: readonly CommittedBiasRun[]): string {
  const { compared, seeds, setAside } = sameSeedRuns(all);
  if (readEnv("REDSHIFT_RUN") === "train") {
    return "**`REDSHIFT_RUN=train`**: from section 2 on, this page trains and measures a **small " +
      "version** here instead of presenting the committed runs of `results/bias/`, and every " +
      "number there is the small version's.";
  }
  if (presentsCommittedRuns(compared)) {
    return `**This page presents the committed runs** of \`results/bias/\` from section 2 on: ` +
      `${compared.length} runs, every method over ${seedsText(seeds)} ` +
      `(their records are at the end of the page). ${waitingNote(setAside)}`
        .trimEnd();
  }
  const holds = all.length ? `only ${all.map((r) => r.name).join(", ")}` : "no run";
  const noCommonSeed = all.length && !compared.length ? ", with no seed that every method has" : "";
  return `**The committed runs of the methods are not there yet**: \`results/bias/\` holds ` +
    `${holds}${noCommonSeed}. So from section 2 on, this page trains and measures a **small ` +
    "version** here, and every number there is the small version's, not the committed runs'. " +
    "The runs to commit, with their commands, are listed at the end.";
}

/** A method trained at full scale, `results/bias/<method>-full/`: the full profile, its seed. */
export interface FullScaleBiasRun {
  method: BiasMethod;
  /** The folder's name, `<method>-full`. */
  name: string;
  artifact: RunArtifact;
  /** A PDF head's test means over the α grid (`alpha_means.csv`); null for the other methods. */
  alphaMeans: AlphaMeans | null;
}

/** The complete run folders named `<method>-full` in `dir` (default {@link biasResultsDir}). */
export async function readFullScaleBiasRuns(
  dir: string = biasResultsDir(),
): Promise<FullScaleBiasRun[]> {
  const runs = [];
  for (const { match, artifact } of await runFolders(dir, /^(pdf|sqrt|inverse)-full$/)) {
    runs.push({
      method: match[1] as BiasMethod,
      name: match[0],
      artifact,
      alphaMeans: await loadAlphaMeans(artifact.dir),
    });
  }
  return runs.sort((a, b) => methodOrder(a.method) - methodOrder(b.method));
}

/**
 * The command that trains a method at full scale: the full profile's galaxies, network, recipe and
 * seed (those of the baseline full run, `results/runs/full`), the evaluated epoch only.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fullScaleBiasCommand } from "./bias_runs.ts";
 * assert.equal(
 *   fullScaleBiasCommand("pdf"),
 *   "deno task main --profile full --extra-epochs 0 --head pdf --out results/bias/pdf-full",
 * );
 * ```
 */
export function fullScaleBiasCommand(method: BiasMethod): string {
  const { flags } = methodOf(method);
  return `deno task main --profile full --extra-epochs 0${flags} --out results/bias/${method}-full`;
}

/**
 * Whether the page presents committed runs: it needs at least the baseline and the PDF head (the
 * other methods are shown when present), on one profile, and `$REDSHIFT_RUN` not `train`.
 */
export function presentsCommittedRuns(runs: readonly CommittedBiasRun[]): boolean {
  if (readEnv("REDSHIFT_RUN") === "train") return false;
  const has = (m: BiasMethod) => runs.some((r) => r.method === m);
  return has("baseline") && has("pdf") &&
    new Set(runs.map((r) => r.artifact.run.profile)).size === 1;
}

/** The committed runs as a Markdown table, one row each (the full records follow on the page). */
export function committedBiasRunsTable(runs: readonly CommittedBiasRun[]): string {
  return markdownTable(
    [
      "results/bias/",
      "test galaxies",
      "epoch evaluated",
      "training",
      "machine (last sitting)",
      "commit (last sitting)",
    ],
    runs.map(({ name, artifact: { run, test } }) => [
      name,
      test.zTrue.length.toLocaleString("en"),
      run.evaluatedEpoch,
      formatDuration(run.trainingSeconds) +
      (run.sittings && run.sittings > 1 ? ` (${run.sittings} sittings)` : ""),
      run.machine ?? run.device,
      run.commit.slice(0, 10),
    ]),
  );
}

/**
 * A sentence per run whose training time includes an epoch that took over 5 times the run's median
 * epoch: its process stood still then (paused, or starved of CPU), so the time above is not all
 * training. Empty when no run has one.
 */
export function stalledEpochsNote(runs: readonly CommittedBiasRun[]): string {
  return runs.flatMap(({ name, artifact: { history } }) => {
    const typical = median(history.map((h) => h.seconds));
    return history.filter((h) => h.seconds > 5 * typical).map((h) =>
      `**${name}**: epoch ${h.epoch} took ${formatDuration(h.seconds)}, against a median of ` +
      `${formatDuration(typical)} for its epochs. Its process stood still then (paused, or ` +
      `starved of CPU), so its training time above includes about ` +
      `${formatDuration(h.seconds - typical)} that trained nothing.`
    );
  }).join("\n\n");
}

/** The runs `results/bias/` should hold and does not, each with the command that trains it. */
export function missingBiasRuns(
  runs: readonly CommittedBiasRun[],
): { name: string; command: string }[] {
  const have = new Set(runs.map((r) => r.name));
  return BIAS_METHODS.flatMap(({ name: method }) =>
    BIAS_SEEDS.map((seed) => ({
      name: `${method}-seed${seed}`,
      command: biasRunCommand(method, seed),
    }))
  ).filter((r) => !have.has(r.name));
}

/**
 * The small version's galaxies, at most `galaxies`: the first of the profile's mock (independent
 * draws, so a fair sample, fast to simulate), or a seeded random subset of the file
 * `$REDSHIFT_DATA` names or of the `smoke` sample; split and scaled with the profile's seed.
 */
export async function loadSmallBiasData(
  profile: RunProfile = getProfile(),
  galaxies = 6_000,
): Promise<NotebookData & { prepared: PreparedData }> {
  const n = Math.min(galaxies, profile.galaxies);
  const split = (data: Spectra, source: string) => ({
    data,
    source,
    prepared: prepareData(data, { seed: profile.seed }),
  });
  if (readEnv(DATA_ENV) || profile.name === "smoke") {
    const loaded = await loadNotebookData(profile);
    if (loaded.data.n <= n) return split(loaded.data, loaded.source);
    const rows = permutation(loaded.data.n, profile.seed).subarray(0, n).sort();
    return split(
      selectRows(loaded.data, rows),
      `${loaded.source}\nthe small version: a seeded random ${en(n)} of them`,
    );
  }
  return split(
    simulateSpectra({ n, seed: MOCK_SEED }),
    `the first ${en(n)} of the \`${profile.name}\` profile's ${en(profile.galaxies)} mock ` +
      `galaxies simulated (seed ${MOCK_SEED}, simulator ${SIMULATOR_VERSION})`,
  );
}

/** Predictions of one method from one seed. */
export interface SeedPredictions {
  seed: number;
  zPred: Float32Array;
}

/** What the page's comparison reads, from the committed runs or from the small version. */
export interface BiasPredictions {
  /** Test predictions of each method present, one entry per seed (the PDF head's: its mean). */
  test: Map<BiasMethod, SeedPredictions[]>;
  /** The baseline's predictions of the validation galaxies, per seed: the isotonic map's input. */
  baselineValidation: SeedPredictions[];
  /** A PDF head (the lowest seed's) and its test PDFs, n × K. */
  pdf: { seed: number; model: tfl.LayersModel; probs: Float32Array };
  /** Every PDF head's test PDFs, one entry per seed, `pdf`'s first: the α curve's input. */
  pdfSeeds: { seed: number; probs: Float32Array }[];
}

/**
 * Reads the committed runs' test predictions (their test galaxies checked against `prepared`'s
 * split) and predicts, with the saved models, what their folders do not hold: the baselines'
 * validation predictions (for the isotonic map) and the test PDFs of every PDF head (the lowest
 * seed's model is kept).
 */
export async function predictCommittedRuns(
  runs: readonly CommittedBiasRun[],
  prepared: PreparedData,
): Promise<BiasPredictions> {
  const test = new Map<BiasMethod, SeedPredictions[]>();
  for (const r of runs) {
    const { zTrue, zPred } = r.artifact.test;
    const same = zTrue.length === prepared.test.y.length &&
      zTrue.every((z, i) => Math.abs(z - prepared.test.y[i]) < 1e-6);
    if (!same) {
      throw new Error(
        `${r.artifact.dir}: its test galaxies are not this split's (${zTrue.length} against ` +
          `${prepared.test.y.length}): trained on other data or another split seed`,
      );
    }
    test.set(r.method, [...(test.get(r.method) ?? []), { seed: r.seed, zPred }]);
  }
  const baselineValidation: SeedPredictions[] = [];
  for (const r of runs.filter((r) => r.method === "baseline")) {
    const zPred = await withSavedModel(r, (model) => predict(model, prepared.validation.x));
    baselineValidation.push({ seed: r.seed, zPred });
  }
  const first = runs.find((r) => r.method === "pdf");
  if (!first || !baselineValidation.length) {
    throw new RangeError("the committed runs need a baseline and a PDF head");
  }
  const { model } = await loadModel(`${first.artifact.dir}/model`);
  const probs = await predictPdf(model, prepared.test.x);
  const pdfSeeds = [{ seed: first.seed, probs }];
  for (const r of runs.filter((r) => r.method === "pdf" && r !== first)) {
    pdfSeeds.push({
      seed: r.seed,
      probs: await withSavedModel(r, (model) => predictPdf(model, prepared.test.x)),
    });
  }
  return { test, baselineValidation, pdf: { seed: first.seed, model, probs }, pdfSeeds };
}

/** What `use` makes of a committed run's saved model, the model disposed of afterwards. */
async function withSavedModel<T>(
  run: CommittedBiasRun,
  use: (model: tfl.LayersModel) => Promise<T>,
): Promise<T> {
  const { model } = await loadModel(`${run.artifact.dir}/model`);
  try {
    return await use(model);
  } finally {
    model.dispose();
  }
}

/** A point of the trade-off, with the method (and α) that training it at full scale would take. */
export type ChosenPoint = TradeoffCandidate & { method?: BiasMethod; alpha?: number };

/**
 * Page 07's "At full scale", in Markdown: the `chosen` point of the `default` runs' trade-off,
 * trained at full scale (`<method>-full` in `dir`), scored against the `baseline` full run by the
 * same goal, a PDF head at the chosen α (and α = 0 and 1 beside it), with its run record, both
 * binnings and Table 3; or what is missing.
 */
export async function fullScaleComparison(
  chosen: ChosenPoint | null,
  baseline: RunArtifact,
  dir: string = biasResultsDir(),
): Promise<string> {
  if (!chosen) {
    return "No point of the trade-off is better than the baseline: no method is trained at full scale.";
  }
  const { method, alpha } = chosen;
  if (!method) {
    return `The best point, ${chosen.label}, trains no network of its own: nothing to train at ` +
      "full scale.";
  }
  const run = (await readFullScaleBiasRuns(dir)).find((r) => r.method === method);
  if (!run) {
    return `**Not committed yet:** the full-scale run of ${methodLabel(method)}, for the best ` +
      `point (${chosen.label}). It is trained with\n\n\`\`\`\n${fullScaleBiasCommand(method)} ` +
      `--checkpoint results/bias/${method}-full.ckpt\n\`\`\`\n\n(the baseline full run's training ` +
      `took ${formatDuration(baseline.run.trainingSeconds)}).`;
  }
  const { ids, zTrue } = baseline.test;
  if (!sameIds(run.artifact.test.ids, ids)) {
    throw new Error(`${run.artifact.dir}: its test galaxies are not the baseline full run's`);
  }
  const means = run.alphaMeans;
  if (alpha !== undefined && !means?.alphas.includes(alpha)) {
    throw new Error(`${run.artifact.dir}: alpha_means.csv holds no PDF means for α = ${alpha}`);
  }
  const atAlpha = (a: number) => means!.means[means!.alphas.indexOf(a)];
  const score = (label: string, zPred: ArrayLike<number>) => scoreMethod(label, zTrue, [zPred]);
  const choice = alpha === undefined ? null : await loadAlphaChoice(run.artifact.dir);
  const onValidation = choice?.chosen ?? null;
  // the α of the default runs' choice, and the α chosen on the full run's validation galaxies
  const picked = alpha === undefined ? [] : [
    {
      alpha,
      how: onValidation === alpha
        ? "chosen on the default runs and on its validation galaxies"
        : "chosen on the default runs",
    },
    ...(onValidation === null || onValidation === alpha
      ? []
      : [{ alpha: onValidation, how: "chosen on its validation galaxies" }]),
  ];
  // the chosen points: each row of the table, and its label in the trade-off note
  const chosenRows = alpha === undefined
    ? [{ scores: score(run.name, run.artifact.test.zPred), label: chosen.label }]
    : picked.map((p) => ({
      scores: score(`${run.name}, α = ${p.alpha} (${p.how})`, atAlpha(p.alpha)),
      label: `the PDF head at α = ${p.alpha}, ${p.how}`,
    }));
  const scored = [
    score("baseline full run", baseline.test.zPred),
    ...(alpha === undefined ? [] : [0, 1].filter((a) => !picked.some((p) => p.alpha === a)))
      .map((a) => score(`${run.name}, α = ${a}`, atAlpha(a))),
    ...chosenRows.map((r) => r.scores),
  ];
  const candidates = chosenRows.map((r) => ({ ...tradeoffPoint(r.scores), label: r.label }));
  return runRecordTable(run.artifact.run) + "\n\n" + biasComparisonTable(scored) + "\n\n" +
    (choice ? alphaChoiceNote(choice) + "\n\n" : "") +
    tradeoffNote(tradeoffPoint(scored[0]), candidates) +
    "\n\nBinned by true z, beside the dissertation's Table 3 (real data):\n\n" +
    binnedComparisonTable(scored, "true", {
      label: "Table 3 (dissertation, real data)",
      rows: PUBLISHED_ERRORS_BY_BIN,
    }) + "\n\nBinned by predicted z:\n\n" + binnedComparisonTable(scored, "predicted");
}
