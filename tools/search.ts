/**
 * Hyperparameter search over the network, logged trial by trial and resumable (flags: --help).
 *
 * Each finished trial is appended to the log (default `out/search/<profile>_<strategy>.jsonl`);
 * with `--resume` an interrupted search continues where it stopped and ends with the same trials.
 * `--time-limit` starts no new trial after that many minutes, so a search can run in slices.
 * Prints the trials table and the best point against the profile's own network at the end.
 *
 * The larger searches that notebook 05 presents are committed as
 * `results/search/<profile>_<strategy>.jsonl`, e.g. on a GPU:
 *
 *   deno task search --profile default --strategy tpe --log results/search/default_tpe.jsonl --resume
 *
 * It imports the library's modules one by one, not `lib/mod.ts`, and reads files with polars only
 * for the `smoke` profile, so that it bundles for the GPU machine
 * (`../shared/tools/device-pack.sh tools/search.ts`).
 *
 * @module
 */
import { formatBackendReport } from "../lib/backend/select.ts";
import {
  describeMachine,
  gitCommit,
  oneOf,
  parseToolArgs,
  positiveInteger,
  prepareToolRun,
  profileFromArgs,
  runTool,
  stringFlags,
  usage,
} from "./_cli.ts";
import {
  compareTrialsTable,
  runCnnSearch,
  SEARCH_BUDGETS,
  searchTrialsTable,
  summarizeSearch,
} from "../lib/search/mod.ts";

const args = parseToolArgs(
  "search",
  {
    ...stringFlags("profile", "trials", "epochs", "seed", "log"),
    ...stringFlags("time-limit", "backend", "galaxies"),
    strategy: { type: "string", default: "tpe" },
    resume: { type: "boolean", default: false },
    "no-baseline": { type: "boolean", default: false },
  },
  [
    "usage: deno task search [--profile smoke|default|full] [--strategy tpe|random] [--trials N]",
    "         [--epochs N] [--seed N] [--log FILE] [--resume] [--time-limit MINUTES]",
    "         [--backend webgpu|cpu-blas|cpu] [--galaxies N] [--no-baseline]",
  ].join("\n"),
);
const strategy = oneOf("--strategy", args.strategy, ["tpe", "random"]);
const profile = profileFromArgs({ profile: args.profile }); // a bad name is a usage error
const budget = SEARCH_BUDGETS[profile.name];
const trials = args.trials ? positiveInteger("--trials", args.trials) : budget.trials;
const epochs = args.epochs ? positiveInteger("--epochs", args.epochs) : budget.epochs;
const seed = args.seed ? positiveInteger("--seed", args.seed) : budget.seed;
const galaxies = args.galaxies ? positiveInteger("--galaxies", args.galaxies) : profile.galaxies;
const logPath = args.log ?? `out/search/${profile.name}_${strategy}.jsonl`;
const timeText = args["time-limit"];
const timeLimit = timeText === undefined ? undefined : Number(timeText) * 60;
if (timeText !== undefined && !(/^[0-9]*\.?[0-9]+$/.test(timeText) && timeLimit! > 0)) {
  usage(`--time-limit ${timeText}: expected minutes > 0, e.g. 30 or 2.5`);
}

await runTool("search", async () => {
  const { backend, source, prepared } = await prepareToolRun(args, { ...profile, galaxies });
  console.log(
    `${prepared.train.y.length} training, ${prepared.validation.y.length} validation galaxies; ` +
      `${strategy} search, ${trials} trials of up to ${epochs} epochs; log ${logPath}`,
  );

  await Deno.mkdir(logPath.replace(/[^/]*$/, "") || ".", { recursive: true });
  const started = performance.now();
  const result = await runCnnSearch(profile, prepared, {
    strategy,
    trials,
    epochs,
    seed,
    baseline: !args["no-baseline"],
    logPath,
    resume: args.resume,
    timeLimitSeconds: timeLimit,
    settings: { data: source },
    session: {
      command: `deno task search ${Deno.args.join(" ")}`,
      device: backend.adapter ?? "CPU",
      machine: describeMachine(),
      backend: formatBackendReport(backend),
      commit: await gitCommit(),
      deno: Deno.version.deno,
    },
    onTrialEnd: (t) => {
      const value = t.value === null ? "—" : t.value.toFixed(4);
      console.log(
        `trial ${t.number} (${t.source}): ${t.state}, val MAE ${value}, ${t.curve.length} epochs, ` +
          `${t.seconds.toFixed(1)} s`,
      );
    },
  });
  const seconds = (performance.now() - started) / 1000;
  console.log("\n" + searchTrialsTable(result.trials));
  const summary = summarizeSearch(result.trials);
  console.log(
    `\n${result.trials.length} trials (${result.resumedTrials} resumed): ${summary.complete} complete, ` +
      `${summary.pruned} stopped early, ${summary.failed} failed; this session ${
        seconds.toFixed(0)
      } s, all trials ${summary.seconds.toFixed(0)} s`,
  );
  const baseline = result.trials.find((t) => t.source === "baseline");
  if (result.best && baseline) {
    console.log("\n" + compareTrialsTable(result.best, baseline, ["best found", "baseline"]));
  }
  if (result.stoppedForTime) {
    console.log(`\nstopped by --time-limit; continue with the same command and --resume`);
  }
});
