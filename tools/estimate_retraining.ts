/**
 * How long retraining a profile's pages takes on this machine, measured now: the report prints it
 * before `--retrain` starts, so that nobody starts a night's work by accident.
 *
 *   deno run -A tools/estimate_retraining.ts [--profile smoke|default|full]
 *
 * It times a few training steps and a prediction pass of the profile's network on the backend the
 * notebooks would take, and multiplies out notebook 03's training, notebook 05's search and
 * notebook 06's ensemble (lib/notebook/training_time.ts).
 *
 * @module
 */
import { formatBackendReport } from "../lib/backend/select.ts";
import { profileModel } from "../lib/profiles.ts";
import { SEARCH_BUDGETS } from "../lib/search/budgets.ts";
import { formatDuration } from "../lib/tables.ts";
import { measureSpeed, trainingSeconds } from "../lib/notebook/training_time.ts";
import { parseToolArgs, profileFromArgs, selectToolBackend } from "./_cli.ts";

const args = parseToolArgs("estimate", { profile: { type: "string" } }, import.meta);
const profile = profileFromArgs(args);
const backend = await selectToolBackend(undefined, profile);
const speed = await measureSpeed(profileModel(profile), profile.batchSize);
const budget = SEARCH_BUDGETS[profile.name];
const jobs: [string, number][] = [
  [`notebook 03: ${profile.extendedEpochs} epochs`, profile.extendedEpochs],
  [
    `notebook 05: a search of ${budget.trials} trials × ${budget.epochs} epochs (at most)`,
    budget.trials * budget.epochs,
  ],
  [`notebook 06: an ensemble of 5 members × ${profile.epochs} epochs`, 5 * profile.epochs],
];
const seconds = jobs.map(([, epochs]) =>
  trainingSeconds(speed, { epochs, galaxies: profile.galaxies })
);
console.log(
  `retraining the ${profile.name} profile here (${formatBackendReport(backend)}; measured ${
    Math.round(speed.trainSamplesPerSecond)
  } training samples/s at batch ${speed.batchSize}, ${
    Math.round(speed.predictRowsPerSecond)
  } predictions/s):`,
);
jobs.forEach(([what], i) => console.log(`  ${what}: about ${formatDuration(seconds[i])}`));
console.log(`  in all: about ${formatDuration(seconds.reduce((a, b) => a + b, 0))}`);
