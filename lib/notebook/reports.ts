/**
 * The bookkeeping of notebooks 05 and 06 behind one call each: a progress bar over all members of
 * an ensemble, and the committed larger runs (searches, ensembles) as Markdown.
 *
 * @module
 */
import { formatDuration, markdownTable } from "../tables.ts";
import type { TrainingProgress } from "../train.ts";
import {
  bestTrial,
  committedSearchPath,
  compareTrialsTable,
  readSearchLog,
  type SearchLog,
  searchRaceTable,
  searchSessionsTable,
  searchTrialsTable,
  summarizeSearch,
} from "../search/mod.ts";
import {
  calibrationTable,
  coverageByBinTable,
  type Ensemble,
  type UncertaintyResults,
} from "../uncertainty/mod.ts";
import type { ProgressDisplay } from "./notebook.ts";

/**
 * A `trainEnsemble` progress callback that shows one bar over all members: member k's epochs
 * follow member k − 1's, and the time left counts the members still to train.
 */
export function ensembleProgress(
  display: ProgressDisplay,
  plan: { members: number; epochs: number; batchSize: number },
): (member: number, progress: TrainingProgress) => Promise<void> {
  const { members, epochs, batchSize } = plan;
  return (k, p) =>
    display.update({
      ...p,
      epoch: p.epoch + (k - 1) * epochs,
      epochs: members * epochs,
      secondsLeft: p.secondsLeft + ((members - k) * epochs * p.steps * batchSize) /
          Math.max(p.samplesPerSecond, 1e-9),
    });
}

/** One row per member of a freshly trained ensemble: its seed, last validation MAE and seconds. */
export function ensembleMembersTable(
  ensemble: Pick<Ensemble, "histories" | "memberSeeds"> & { memberSeconds: number[] },
): string {
  return markdownTable(
    ["member", "seed", "val MAE", "seconds"],
    ensemble.histories.map((h, k) => [
      k + 1,
      ensemble.memberSeeds[k],
      h[h.length - 1].valMae.toFixed(4),
      ensemble.memberSeconds[k].toFixed(1),
    ]),
  );
}

/** A committed ensemble run (`results/uncertainty/<profile>.json`) as Markdown: what, how, scores. */
export function committedEnsembleReport(r: UncertaintyResults): string {
  return [
    `### \`${r.profile}\` profile: ${r.members} members × ${r.epochs} epochs, ` +
    `${r.galaxies.train.toLocaleString("en")} training galaxies`,
    "",
    markdownTable(["", "the run"], [
      ["command", `\`${r.command}\``],
      ["device", r.device],
      [
        "training",
        `${formatDuration(r.wallSeconds.members.reduce((a, b) => a + b, 0))} in all (members: ` +
        `${r.wallSeconds.members.map((s) => formatDuration(s)).join(", ")})`,
      ],
      ["evaluation", formatDuration(r.wallSeconds.evaluation)],
      // A run resumed from its members' checkpoints records the sitting that finished it.
      [
        "last sitting",
        `started ${r.startedAt}, ${formatDuration(r.wallSeconds.total)}, commit ${r.commit}`,
      ],
    ]),
    "",
    calibrationTable([{ label: r.profile, evaluation: r }]),
    "",
    coverageByBinTable([
      { label: "ensemble", report: r.calibration.recalibrated },
      { label: "constant σ", report: r.calibration.singleConstant },
    ]),
  ].join("\n");
}

/** A committed search log with its label, e.g. "`default` profile, TPE". */
export interface CommittedSearch {
  label: string;
  profile: (typeof COMMITTED_SEARCH_PROFILES)[number];
  strategy: "tpe" | "random";
  log: SearchLog;
}

/** The profiles whose larger searches may be committed under `results/search/`. */
const COMMITTED_SEARCH_PROFILES = ["default", "full"] as const;

/** The larger searches committed under `results/search/` (none when nothing is committed). */
export async function readCommittedSearches(): Promise<CommittedSearch[]> {
  const found: CommittedSearch[] = [];
  for (const profile of COMMITTED_SEARCH_PROFILES) {
    for (const strategy of ["tpe", "random"] as const) {
      const log = await readSearchLog(committedSearchPath(profile, strategy));
      const name = strategy === "tpe" ? "TPE" : "random search";
      if (log) found.push({ label: `\`${profile}\` profile, ${name}`, profile, strategy, log });
    }
  }
  return found;
}

/** A committed search as Markdown: its trials, sessions, and the best point against trial 0. */
export function committedSearchReport({ label, log }: CommittedSearch): string {
  const s = summarizeSearch(log.trials);
  const base = log.trials.find((t) => t.source === "baseline");
  const best = bestTrial(log.trials);
  return `### ${label}\n\n${
    countOf(log.trials.length, "trial")
  } (${s.complete} complete, ${s.pruned} ` +
    `stopped early, ${s.failed} failed), ${formatDuration(s.seconds)} of training in all. ` +
    `Sessions:\n\n${searchSessionsTable(log)}\n\n${searchTrialsTable(log.trials)}` +
    (best && base
      ? "\n\n**Best configuration against the dissertation's:**\n\n" +
        compareTrialsTable(best, base, ["best found", "dissertation"])
      : "");
}

/**
 * TPE against random search at equal trials, for each profile whose two logs are committed; a
 * sentence saying what is missing where a profile has one log only.
 */
export function committedSearchRaces(committed: readonly CommittedSearch[]): string {
  const parts: string[] = [];
  for (const profile of COMMITTED_SEARCH_PROFILES) {
    const tpe = committed.find((c) => c.profile === profile && c.strategy === "tpe");
    const random = committed.find((c) => c.profile === profile && c.strategy === "random");
    if (!tpe && !random) continue;
    if (!tpe || !random) {
      parts.push(
        `**\`${profile}\` profile:** only the ${tpe ? "TPE" : "random"} search is committed, so ` +
          "TPE and random search cannot be compared at equal trials yet.",
      );
      continue;
    }
    const [a, b] = [tpe.log.trials, random.log.trials];
    parts.push(
      `**\`${profile}\` profile, TPE against random search** (the lower best of each row in ` +
        `bold; ${a.length} and ${countOf(b.length, "trial")} logged, compared up to ${
          Math.min(a.length, b.length)
        }):\n\n` +
        searchRaceTable({ label: "TPE", trials: a }, { label: "random", trials: b }),
    );
  }
  return parts.join("\n\n");
}

/** "1 trial", "2 trials". */
function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
