/**
 * Notebook 05's account of the searches: the committed larger ones (`results/search/`) as tables
 * and sentences whose every number is read from the logs, and what the page's own search trains.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { count, formatDuration, markdownTable } from "../tables.ts";
import type { ModelConfig } from "../model.ts";
import {
  bestTrial,
  bestWithin,
  committedSearchPath,
  compareTrialsTable,
  computeRaceTable,
  countParams,
  type Dimension,
  epochsTrained,
  paramsToTrialConfig,
  readSearchLog,
  type SearchLog,
  searchRaceTable,
  searchSessionsTable,
  searchSpacesTable,
  searchTrialsTable,
  sharedTrials,
  summarizeSearch,
  type TrialRecord,
  trialsByCode,
  trialTimeRange,
} from "../search/mod.ts";
import type { MemberScore } from "../uncertainty/mod.ts";
import { capital, en, networkAgainstDissertation } from "./_words.ts";

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
      const label = `\`${profile}\` profile, ${strategyName({ strategy })}`;
      if (log) found.push({ label, profile, strategy, log });
    }
  }
  return found;
}

/** "TPE", "random search" (or "random" when `short`): a strategy as prose. */
function strategyName(c: Pick<CommittedSearch, "strategy">, short = false): string {
  return c.strategy === "tpe" ? "TPE" : short ? "random" : "random search";
}

/** Each committed profile's TPE and random logs (either undefined where it is not committed). */
function tpeAndRandom(committed: readonly CommittedSearch[]) {
  return COMMITTED_SEARCH_PROFILES.map((profile) => {
    const find = (strategy: CommittedSearch["strategy"]) =>
      committed.find((c) => c.profile === profile && c.strategy === strategy);
    return { profile, tpe: find("tpe"), random: find("random") };
  });
}

/** The profiles whose TPE and random logs are both committed. */
function bothLogs(committed: readonly CommittedSearch[]) {
  return tpeAndRandom(committed).flatMap(({ profile, tpe, random }) =>
    tpe && random ? [{ profile, tpe, random }] : []
  );
}

/** A log as one side of a race table. */
const side = (c: CommittedSearch) => ({ label: strategyName(c, true), trials: c.log.trials });
/** Trial 0 of a log, when it is the baseline, and the trials the search proposed itself. */
const baselineOf = (trials: readonly TrialRecord[]) => trials.find((t) => t.source === "baseline");
const proposals = (trials: readonly TrialRecord[]) => trials.filter((t) => t.source !== "baseline");
/** A trial's score, validation MAE to 4 decimals. */
const score = (t: TrialRecord) => t.value!.toFixed(4);

/** A trial's network (the model fields its point leaves open: the defaults). */
const modelOf = (trial: TrialRecord): ModelConfig => paramsToTrialConfig(trial.params).model;

/**
 * What the page's own search trains: its baseline (trial 0) against the dissertation's network,
 * and the range of its trials' sizes.
 */
export function searchBaselineNote(trials: readonly TrialRecord[]): string {
  const baseline = baselineOf(trials);
  const sizes = trials.map((t) => Number(t.info?.parameters)).filter(Number.isFinite);
  const range = sizes.length
    ? ` The trials' networks have ${en(Math.min(...sizes))} to ${en(Math.max(...sizes))} ` +
      "parameters."
    : "";
  if (!baseline) return `No baseline trial was run.${range}`;
  return `Trial ${baseline.number}, the baseline, is ${
    networkAgainstDissertation(modelOf(baseline))
  }.${range}`;
}

/**
 * The committed searches' space, read from their logs' headers, beside the space of the search
 * the page runs now (columns that are equal are merged).
 */
export function committedSpacesTable(
  committed: readonly CommittedSearch[],
  small?: { label: string; dimensions: Readonly<Record<string, Dimension>> },
): string {
  const groups = new Map<string, CommittedSearch[]>();
  for (const c of committed) {
    const key = JSON.stringify(c.log.header.settings.space);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const columns = [...groups.values()].map((logs) => ({
    label: `committed ${[...new Set(logs.map((c) => c.profile))].join("/")} ${
      logs.length > 1 ? "searches" : "search"
    } (${logs.map((c) => strategyName(c, true)).join(", ")})`,
    dimensions: logs[0].log.header.settings.space as Record<string, Dimension>,
  }));
  return searchSpacesTable(small ? [...columns, small] : columns);
}

/**
 * What the committed searches are, from their logs: profile, trials, epochs, data, seed, TPE's
 * random start-up; their training time and epochs, and the shortest and longest trial.
 */
export function committedSearchesOverview(committed: readonly CommittedSearch[]): string {
  const parts: string[] = [];
  for (const profile of COMMITTED_SEARCH_PROFILES) {
    const logs = committed.filter((c) => c.profile === profile);
    if (logs.length === 0) continue;
    const o = (logs[0].log.header.settings.objective ?? {}) as {
      epochs?: number;
      trainingRows?: number;
      validationRows?: number;
      data?: string;
    };
    const seeds = [...new Set(logs.map((c) => String(c.log.header.settings.seed)))];
    // The log's data line, e.g. "50000 mock galaxies simulated (seed 2023, …)".
    const line = o.data?.split("\n")[0].replace(/^\d+/, (n) => en(Number(n)));
    const data = line ? ` of the ${line}` : "";
    const searches = logs.map((c) => `${strategyName(c)}, ${count(c.log.trials.length, "trial")}`);
    parts.push(
      `The committed \`${profile}\` searches: ${searches.join("; ")} ` +
        `(seed ${seeds.join(" and ")}). Every trial trains for at most ` +
        `${count(o.epochs ?? NaN, "epoch")} on ${en(o.trainingRows ?? NaN)} training galaxies ` +
        `and is scored on ${en(o.validationRows ?? NaN)} validation galaxies${data}: mock data, ` +
        "where the dissertation searched on the real galaxies.",
    );
    const tpe = logs.find((c) => c.strategy === "tpe");
    const startup = Number(
      (tpe?.log.header.settings.samplerSettings as { startupTrials?: number } | undefined)
        ?.startupTrials,
    );
    if (tpe && Number.isFinite(startup)) {
      const own = tpe.log.trials.filter((t) => t.source === "tpe").length;
      parts.push(
        `TPE's first ${startup} trials are its start-up (the baseline, then random points), so ` +
          `${own} of its ${tpe.log.trials.length} are its own proposals.`,
      );
    }
    const times = logs.map((c) => {
      const s = summarizeSearch(c.log.trials);
      return `${formatDuration(s.seconds)} for ${strategyName(c)} (${
        count(epochsTrained(c.log.trials), "epoch")
      } in all, ${s.pruned} trials stopped early)`;
    });
    parts.push(`\n\nTraining took ${times.join(" and ")}.`, trialTimesSentence(logs));
  }
  return parts.join(" ").replaceAll(" \n\n", "\n\n");
}

/** The shortest and longest trial of a profile's logs, and what trial 0 took in each. */
function trialTimesSentence(logs: readonly CommittedSearch[]): string {
  const named = logs.map((c) => ({ label: strategyName(c), trials: c.log.trials }));
  const { shortest, longest } = trialTimeRange(named);
  const describe = ({ label, trial }: { label: string; trial: TrialRecord }) => {
    const epochs = count(trial.curve.length, "epoch");
    return `${label}'s trial ${trial.number}, ${
      trial.state === "pruned" ? `stopped after ${epochs}` : epochs
    }, ${en(Number(trial.info?.parameters ?? NaN))} parameters`;
  };
  const baselines = named.flatMap(({ label, trials }) => {
    const b = baselineOf(trials);
    return b ? [{ label, trial: b }] : [];
  });
  const [from, to] = [shortest, longest].map((x) =>
    `${formatDuration(x.trial.seconds)} (${describe(x)})`
  );
  let text = `A trial took from ${from} to ${to}.`;
  if (baselines.length === 0) return text;
  const longer = baselines.every((b) => longest.trial.seconds > b.trial.seconds);
  text += ` Trial 0, ${networkAgainstDissertation(modelOf(baselines[0].trial))}, took ${
    baselines.map((b) => `${formatDuration(b.trial.seconds)} in ${b.label}'s log`).join(" and ")
  }${longer ? `, less than ${longest.label}'s trial ${longest.trial.number}` : ""}.`;
  if (baselines.length > 1 && sharedTrials([baselines[0].trial], [baselines[1].trial]).length) {
    const [a, b] = baselines.map((x) => x.trial.seconds);
    text += ` The same trial took ${(Math.max(a, b) / Math.min(a, b)).toFixed(2)} times as ` +
      "long in one log as in the other: wall time measures the machine and its load as well " +
      "as the trial.";
  }
  return text;
}

/** "0–4", or "3" for one trial. */
const span = (from: number, to: number) => (from === to ? `${from}` : `${from}–${to}`);

/**
 * Which code made which trials of each committed log, and how far the scores of the trials two
 * logs share (same number, seed and point) moved between them.
 */
export function searchCodeNote(committed: readonly CommittedSearch[]): string {
  if (committed.length === 0) return "";
  const sittings = (c: CommittedSearch) =>
    trialsByCode(c.log).map((s) =>
      `${span(s.from, s.to)} by commit ${s.commit}${s.localChanges ? " with local changes" : ""}`
    );
  const parts = committed.map((c) => `${c.label}: trials ${sittings(c).join(", ")}`);
  const local = committed.some((c) => trialsByCode(c.log).some((s) => s.localChanges));
  let text = `Each log records the commit of each sitting. ${parts.join("; ")}.` +
    (local ? " Code with local changes is code that no commit holds exactly." : "");
  for (const { profile, tpe, random } of bothLogs(committed)) {
    const shared = sharedTrials(tpe.log.trials, random.log.trials);
    if (shared.length === 0) continue;
    const commitOf = (c: CommittedSearch, n: number) =>
      trialsByCode(c.log).find((s) => s.from <= n && n <= s.to)?.commit;
    const differ = shared.filter((s) => commitOf(tpe, s.number) !== commitOf(random, s.number));
    const identical = shared.filter((s) => s.gap === 0).length;
    const worst = shared.reduce((a, b) => (b.gap > a.gap ? b : a));
    const range = span(shared[0].number, shared[shared.length - 1].number);
    const which = differ.length === shared.length ? "each" : `${differ.length} of them`;
    text += " With one version of the code, a resumed search ends with the trials of one that " +
      `ran straight through; across versions it need not. The two \`${profile}\` logs share ` +
      `${count(shared.length, "trial")} (${range}: the same points with the same seeds), ` +
      `${which} made by a different commit in each log: ${identical} scored identically, and ` +
      `the largest gap is ${worst.gap.toFixed(4)} (trial ${worst.number}: ` +
      `${worst.a.toFixed(4)} in TPE's log, ${worst.b.toFixed(4)} in random search's).`;
  }
  return text;
}

/**
 * TPE against random search, chosen by the records: each one's best and who proposed it, the gap
 * against the run-to-run noise of the logs and of `seeds` (validation MAE of one network trained
 * from several seeds, e.g. page 06's committed ensemble), and the two at equal training time.
 */
export function searchComparisonNote(
  committed: readonly CommittedSearch[],
  seeds?: { scores: readonly MemberScore[]; label: string },
): string {
  const describe = (c: CommittedSearch, best: TrialRecord) => {
    const head = `${capital(strategyName(c))}'s best is ${score(best)} (trial ${best.number}`;
    if (best.source !== "baseline") {
      return `${head}, ${best.source === "tpe" ? "one of TPE's own proposals" : "a random point"})`;
    }
    const own = proposals(c.log.trials), ownBest = bestTrial(own);
    const reached = ownBest
      ? `; its own ${own.length} proposals reached ${score(ownBest)} at best ` +
        `(trial ${ownBest.number})`
      : "";
    return `${head}): the dissertation's network, fed in as the baseline, not a point ` +
      `${strategyName(c)} proposed${reached}`;
  };
  const parts: string[] = [];
  for (const { profile, tpe, random } of bothLogs(committed)) {
    const [a, b] = [bestTrial(tpe.log.trials), bestTrial(random.log.trials)];
    if (!a || !b) continue;
    const gap = Math.abs(a.value! - b.value!);
    const lower = capital(strategyName(a.value! < b.value! ? tpe : random));
    let text = `**\`${profile}\` profile.** ${describe(tpe, a)}. ${describe(random, b)}. ` +
      (gap === 0 ? "The two bests are equal." : `${lower}'s is lower by ${gap.toFixed(4)}.`);
    const shared = sharedTrials(tpe.log.trials, random.log.trials);
    const noise: string[] = [];
    if (shared.length) {
      const worst = Math.max(...shared.map((s) => s.gap));
      noise.push(
        `${compare(gap, worst)} the largest gap between two scorings of one seeded ` +
          `trial in the two logs (${worst.toFixed(4)})`,
      );
    }
    if (seeds && seeds.scores.length > 1) {
      const maes = seeds.scores.map((s) => s.valMae);
      const [low, high] = [Math.min(...maes), Math.max(...maes)];
      noise.push(
        `${compare(gap, high - low)} the spread of ${seeds.scores.length} seeds of ` +
          `${seeds.label}: validation MAE ${low.toFixed(4)} to ${high.toFixed(4)} after ` +
          count(seeds.scores[0].epochs, "epoch"),
      );
    }
    if (gap > 0 && noise.length) text += ` That gap is ${noise.join(", and ")}.`;
    text += ` Each search ran once, with one seed: these logs cannot say whether TPE beats ` +
      `random search on this problem, which takes several seeds of each and the spread of ` +
      `their bests.`;
    parts.push(text + " " + equalComputeSentence(tpe, random));
  }
  return parts.join("\n\n");
}

/** "smaller than", "about the size of", "2.5 times": x against a yardstick y. */
function compare(x: number, y: number): string {
  if (y === 0) return "larger than";
  const r = x / y;
  return r < 0.8 ? "smaller than" : r <= 2 ? "about the size of" : `${r.toFixed(1)} times`;
}

/** The two searches after the training time of the shorter one, and when the longer did better. */
function equalComputeSentence(tpe: CommittedSearch, random: CommittedSearch): string {
  const runs = [tpe, random].map((c) => ({
    c,
    name: strategyName(c),
    seconds: summarizeSearch(c.log.trials).seconds,
    epochs: epochsTrained(c.log.trials),
  }));
  const [short, long] = runs[0].seconds <= runs[1].seconds ? runs : [runs[1], runs[0]];
  const budget = short.seconds;
  const fewer = 1 - short.epochs / long.epochs;
  let text = `At equal training time: ${short.name} trained for ${formatDuration(budget)} in ` +
    `all, ${Math.round(100 * (1 - budget / long.seconds))} % less than ${long.name}'s ` +
    `${formatDuration(long.seconds)} (${Math.round(100 * Math.abs(fewer))} % ` +
    `${fewer >= 0 ? "fewer" : "more"} epochs). After ${formatDuration(budget)} of training each, `;
  const [bs, bl] = [bestWithin(short.c.log.trials, budget), bestWithin(long.c.log.trials, budget)];
  if (bs && bl && bs.value === bl.value && bs.number === bl.number) {
    text += `the best of both was the same trial ${bs.number} (${score(bs)})` +
      (bs.source === "baseline" ? ", the dissertation's network" : "");
  } else {
    const v = (t?: TrialRecord) => (t ? `${score(t)} (trial ${t.number})` : "none");
    text += `${short.name}'s best was ${v(bs)} and ${long.name}'s ${v(bl)}`;
  }
  let spent = 0;
  const reference = Math.min(bs?.value ?? Infinity, bl?.value ?? Infinity);
  for (const t of long.c.log.trials) {
    spent += t.seconds;
    if (spent <= budget || t.state !== "complete" || t.value === null) continue;
    if (t.value < reference) {
      text += `; ${long.name}'s first trial to do better, trial ${t.number} (${score(t)}), ` +
        `ended after ${formatDuration(spent)} of its training`;
      break;
    }
  }
  return text + ".";
}

/** A committed search as Markdown: its trials, sessions, and the best point against trial 0. */
export function committedSearchReport({ label, log }: CommittedSearch): string {
  const s = summarizeSearch(log.trials);
  const text = `### ${label}\n\n${count(log.trials.length, "trial")} (${s.complete} complete, ` +
    `${s.pruned} stopped early, ${s.failed} failed), ${formatDuration(s.seconds)} of training in ` +
    `all. Sessions:\n\n${searchSessionsTable(log)}\n\n${searchTrialsTable(log.trials)}`;
  const base = baselineOf(log.trials), best = bestTrial(log.trials);
  if (!best || !base) return text;
  const against = (t: TrialRecord, what: string) =>
    compareTrialsTable(t, base, [
      `${what} (trial ${t.number})`,
      `dissertation's network (trial ${base.number})`,
    ]);
  if (best.number !== base.number) {
    return `${text}\n\n**Best configuration against the dissertation's network** (both trained ` +
      `here on the mock, scored on validation galaxies):\n\n${against(best, "best found")}`;
  }
  const own = bestTrial(proposals(log.trials));
  return `${text}\n\n**Best configuration: trial ${base.number}**, the dissertation's network ` +
    `fed in as the baseline (validation MAE ${score(base)}, on the mock). None of the search's ` +
    "own proposals did better" +
    (own ? `; the best of them against it:\n\n${against(own, "best proposal")}` : ".");
}

/**
 * TPE against random search at equal trials, for each profile whose two logs are committed; a
 * sentence saying what is missing where a profile has one log only.
 */
export function committedSearchRaces(committed: readonly CommittedSearch[]): string {
  return tpeAndRandom(committed).map(({ profile, tpe, random }) => {
    if (tpe && random) {
      const [a, b] = [tpe.log.trials.length, random.log.trials.length];
      return `**\`${profile}\` profile, TPE against random search** (the lower best of each row ` +
        `in bold; ${a} and ${count(b, "trial")} logged, compared up to ${Math.min(a, b)}):\n\n` +
        searchRaceTable(side(tpe), side(random));
    }
    const one = tpe ?? random;
    return one
      ? `**\`${profile}\` profile:** only the ${strategyName(one, true)} search is committed, so ` +
        "TPE and random search cannot be compared at equal trials yet."
      : "";
  }).filter(Boolean).join("\n\n");
}

/** TPE against random search at equal training time, for each profile with both logs. */
export function committedComputeRaces(committed: readonly CommittedSearch[]): string {
  return bothLogs(committed).map(({ profile, tpe, random }) =>
    `**\`${profile}\` profile, at equal training time** (each search's trials' own seconds, ` +
    `summed in order; the lower best of a row in bold):\n\n` +
    computeRaceTable(side(tpe), side(random))
  ).join("\n\n");
}

/** The committed logs, one row each: label, trials, sittings. */
export function committedSearchesTable(committed: readonly CommittedSearch[]): string {
  return markdownTable(
    ["committed search logs in results/search/", "trials", "sittings"],
    committed.map((c) => [c.label, c.log.trials.length, c.log.sessions.length]),
  );
}

/** A path inside the project shown from the project's root (`out/runs/smoke`), else as it is. */
export function projectPath(path: string): string {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  return path.startsWith(root) ? path.slice(root.length) : path;
}

/** A figure's legend entry for a search's trial 0: "trial 0: the dissertation's network". */
export function baselineLegend(trials: readonly TrialRecord[]): string {
  const baseline = baselineOf(trials);
  if (!baseline) return "baseline";
  const model = modelOf(baseline);
  return `trial ${baseline.number}: ${
    networkAgainstDissertation(model).startsWith("the dissertation's network")
      ? "the dissertation's network"
      : `a variant, ${en(countParams(model))} parameters`
  }`;
}
