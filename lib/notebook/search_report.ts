/**
 * Notebook 05's account of the searches: the committed larger ones (`results/search/`) as tables
 * and sentences computed from their records, and what the page's own small search trains. Every
 * number a sentence quotes is read from the logs, so a new log rewrites the sentence.
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
import { networkAgainstDissertation } from "./_words.ts";

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

/** "TPE", "random search": a strategy as prose. */
function strategyName(c: Pick<CommittedSearch, "strategy">): string {
  return c.strategy === "tpe" ? "TPE" : "random search";
}

/** Each committed profile's TPE and random logs (either undefined where it is not committed). */
function tpeAndRandom(committed: readonly CommittedSearch[]) {
  return COMMITTED_SEARCH_PROFILES.map((profile) => ({
    profile,
    tpe: committed.find((c) => c.profile === profile && c.strategy === "tpe"),
    random: committed.find((c) => c.profile === profile && c.strategy === "random"),
  }));
}

/** The trial 0 of a log, when it is the baseline. */
function baselineOf(trials: readonly TrialRecord[]): TrialRecord | undefined {
  return trials.find((t) => t.source === "baseline");
}

/**
 * What the page's own search trains: its baseline (trial 0) against the dissertation's network,
 * and the range of its trials' sizes.
 *
 * @param trials the search's trials
 * @param base the model fields the points leave open (input length)
 */
export function searchBaselineNote(
  trials: readonly TrialRecord[],
  base: Partial<ModelConfig> = {},
): string {
  const baseline = baselineOf(trials);
  const sizes = trials.map((t) => Number(t.info?.parameters)).filter(Number.isFinite);
  const range = sizes.length
    ? ` The trials' networks have ${Math.min(...sizes).toLocaleString("en")} to ${
      Math.max(...sizes).toLocaleString("en")
    } parameters.`
    : "";
  if (!baseline) return `No baseline trial was run.${range}`;
  const model = paramsToTrialConfig(baseline.params, base).model;
  return `Trial ${baseline.number}, the baseline, is ${networkAgainstDissertation(model)}.${range}`;
}

/**
 * The committed searches' space, read from their logs' headers, beside the space of the search
 * the page runs now (columns that are equal are merged).
 */
export function committedSpacesTable(
  committed: readonly CommittedSearch[],
  small?: { label: string; dimensions: Readonly<Record<string, Dimension>> },
): string {
  const groups: { logs: CommittedSearch[]; dimensions: Readonly<Record<string, Dimension>> }[] = [];
  for (const c of committed) {
    const dimensions = c.log.header.settings.space as Record<string, Dimension>;
    const same = groups.find((g) => JSON.stringify(g.dimensions) === JSON.stringify(dimensions));
    if (same) same.logs.push(c);
    else groups.push({ logs: [c], dimensions });
  }
  const columns = groups.map(({ logs, dimensions }) => ({
    label: `committed ${[...new Set(logs.map((c) => c.profile))].join("/")} ${
      logs.length > 1 ? "searches" : "search"
    } (${logs.map((c) => (c.strategy === "tpe" ? "TPE" : "random")).join(", ")})`,
    dimensions,
  }));
  return searchSpacesTable(small ? [...columns, small] : columns);
}

/** The objective settings a log's header records. */
interface Objective {
  profile?: string;
  epochs?: number;
  trainingRows?: number;
  validationRows?: number;
  data?: string;
}

function objectiveOf(c: CommittedSearch): Objective {
  return (c.log.header.settings.objective ?? {}) as Objective;
}

/**
 * What the committed searches are, from their logs: profile, trials, epochs, data, seed, TPE's
 * random start-up; their training time and epochs, and the shortest and longest trial.
 */
export function committedSearchesOverview(committed: readonly CommittedSearch[]): string {
  if (committed.length === 0) return "";
  const parts: string[] = [];
  for (const profile of COMMITTED_SEARCH_PROFILES) {
    const logs = committed.filter((c) => c.profile === profile);
    if (logs.length === 0) continue;
    const o = objectiveOf(logs[0]);
    const seeds = [...new Set(logs.map((c) => String(c.log.header.settings.seed)))];
    // The log's data line, e.g. "50000 mock galaxies simulated (seed 2023, …)".
    const line = o.data?.split("\n")[0].replace(/^\d+/, (n) => Number(n).toLocaleString("en"));
    const data = line ? ` of the ${line}` : "";
    parts.push(
      `The committed \`${profile}\` searches: ${
        logs.map((c) => `${strategyName(c)}, ${count(c.log.trials.length, "trial")}`).join("; ")
      } (seed ${seeds.join(" and ")}). Every trial trains for at most ${
        count(o.epochs ?? NaN, "epoch")
      } on ${(o.trainingRows ?? NaN).toLocaleString("en")} training galaxies and is scored on ${
        (o.validationRows ?? NaN).toLocaleString("en")
      } validation galaxies${data}: mock data, where the dissertation searched on the real ` +
        "galaxies.",
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
    parts.push(
      "\n\nTraining took " + logs.map((c) => {
        const s = summarizeSearch(c.log.trials);
        return `${formatDuration(s.seconds)} for ${strategyName(c)} (${
          count(epochsTrained(c.log.trials), "epoch")
        } in all, ${s.pruned} trials stopped early)`;
      }).join(" and ") + ".",
    );
    parts.push(trialTimesSentence(logs));
  }
  return parts.join(" ").replaceAll(" \n\n", "\n\n");
}

function trialTimesSentence(logs: readonly CommittedSearch[]): string {
  const named = logs.map((c) => ({ label: strategyName(c), trials: c.log.trials }));
  const { shortest, longest } = trialTimeRange(named);
  const describe = ({ label, trial }: { label: string; trial: TrialRecord }) =>
    `${label}'s trial ${trial.number}, ${
      trial.state === "pruned"
        ? `stopped after ${count(trial.curve.length, "epoch")}`
        : count(trial.curve.length, "epoch")
    }, ${Number(trial.info?.parameters ?? NaN).toLocaleString("en")} parameters`;
  const baselines = named.flatMap(({ label, trials }) => {
    const b = baselineOf(trials);
    return b ? [{ label, trial: b }] : [];
  });
  let text = `A trial took from ${formatDuration(shortest.trial.seconds)} (${
    describe(shortest)
  }) to ${formatDuration(longest.trial.seconds)} (${describe(longest)}).`;
  if (baselines.length) {
    const model = paramsToTrialConfig(baselines[0].trial.params).model;
    const longer = baselines.every((b) => longest.trial.seconds > b.trial.seconds);
    text += ` Trial 0, ${networkAgainstDissertation(model)}, took ${
      baselines.map((b) => `${formatDuration(b.trial.seconds)} in ${b.label}'s log`).join(
        " and ",
      )
    }${longer ? `, less than ${longest.label}'s trial ${longest.trial.number}` : ""}.`;
    if (baselines.length > 1 && sameTrial(baselines[0].trial, baselines[1].trial)) {
      const [a, b] = baselines.map((x) => x.trial.seconds);
      text += ` The same trial took ${(Math.max(a, b) / Math.min(a, b)).toFixed(2)} times as ` +
        "long in one log as in the other: wall time measures the machine and its load as well " +
        "as the trial.";
    }
  }
  return text;
}

function sameTrial(a: TrialRecord, b: TrialRecord): boolean {
  return sharedTrials([a], [b]).length === 1;
}

/** "0–4", or "3" for one trial. */
function span(from: number, to: number): string {
  return from === to ? `${from}` : `${from}–${to}`;
}

/**
 * Which code made which trials of each committed log (from its session records), and, for two
 * logs that share trials (same number, seed and point), how far the shared trials' scores moved
 * between them.
 */
export function searchCodeNote(committed: readonly CommittedSearch[]): string {
  if (committed.length === 0) return "";
  const parts = committed.map((c) => {
    const spans = trialsByCode(c.log).map((s) =>
      `${span(s.from, s.to)} by commit ${s.commit}${s.localChanges ? " with local changes" : ""}`
    );
    return `${c.label}: trials ${spans.join(", ")}`;
  });
  const local = committed.some((c) => trialsByCode(c.log).some((s) => s.localChanges));
  let text = `Each log records the commit of each sitting. ${parts.join("; ")}.` +
    (local ? " Code with local changes is code that no commit holds exactly." : "");
  for (const { profile, tpe, random } of tpeAndRandom(committed)) {
    if (!tpe || !random) continue;
    const shared = sharedTrials(tpe.log.trials, random.log.trials);
    if (shared.length === 0) continue;
    const commitOf = (c: CommittedSearch, n: number) =>
      trialsByCode(c.log).find((s) => s.from <= n && n <= s.to)?.commit;
    const differ = shared.filter((s) => commitOf(tpe, s.number) !== commitOf(random, s.number));
    const identical = shared.filter((s) => s.gap === 0).length;
    const worst = shared.reduce((a, b) => (b.gap > a.gap ? b : a));
    text += ` With one version of the code, a resumed search ends with the trials of one that ` +
      `ran straight through; across versions it need not. The two \`${profile}\` logs share ` +
      `${count(shared.length, "trial")} (${
        span(shared[0].number, shared[shared.length - 1].number)
      }: the same points with the same seeds), ${
        differ.length === shared.length ? "each" : `${differ.length} of them`
      } made by a different commit in each log: ${identical} scored identically, and the ` +
      `largest gap is ${worst.gap.toFixed(4)} (trial ${worst.number}: ${
        worst.a.toFixed(4)
      } in TPE's log, ${worst.b.toFixed(4)} in random search's).`;
  }
  return text;
}

/**
 * TPE against random search, chosen by the records: each one's best and who proposed it, the gap
 * against the run-to-run noise the logs (and, when given, the seeds of an ensemble of the
 * baseline network) show, and the two at equal training time.
 *
 * @param committed the committed searches
 * @param seeds validation MAE of one network trained from several seeds (e.g. page 06's
 *   committed ensemble), with a label saying where they come from
 */
export function searchComparisonNote(
  committed: readonly CommittedSearch[],
  seeds?: { scores: readonly MemberScore[]; label: string },
): string {
  const parts: string[] = [];
  for (const { profile, tpe, random } of tpeAndRandom(committed)) {
    if (!tpe || !random) continue;
    const bests = [tpe, random].map((c) => ({ c, best: bestTrial(c.log.trials) }));
    if (bests.some((b) => !b.best)) continue;
    const describe = ({ c, best }: { c: CommittedSearch; best?: TrialRecord }) => {
      const head = `${capital(strategyName(c))}'s best is ${best!.value!.toFixed(4)} ` +
        `(trial ${best!.number}`;
      if (best!.source !== "baseline") {
        return `${head}, ${
          best!.source === "tpe" ? "one of TPE's own proposals" : "a random point"
        })`;
      }
      const own = bestTrial(c.log.trials.filter((t) => t.source !== "baseline"));
      const others = c.log.trials.filter((t) => t.source !== "baseline").length;
      return `${head}): the dissertation's network, fed in as the baseline, not a point ` +
        `${strategyName(c)} proposed${
          own
            ? `; its own ${others} proposals reached ${
              own.value!.toFixed(4)
            } at best (trial ${own.number})`
            : ""
        }`;
    };
    const [a, b] = bests;
    const gap = Math.abs(a.best!.value! - b.best!.value!);
    const lower = a.best!.value! < b.best!.value! ? a : b;
    let text = `**\`${profile}\` profile.** ${describe(a)}. ${describe(b)}. ${
      gap === 0
        ? "The two bests are equal."
        : `${capital(strategyName(lower.c))}'s is lower by ${gap.toFixed(4)}.`
    }`;
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
      const spread = Math.max(...maes) - Math.min(...maes);
      noise.push(
        `${
          compare(gap, spread)
        } the spread of ${seeds.scores.length} seeds of ${seeds.label}: validation MAE ${
          Math.min(...maes).toFixed(4)
        } to ${Math.max(...maes).toFixed(4)} after ${count(seeds.scores[0].epochs, "epoch")}`,
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

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "smaller than", "about the size of", "2.5 times": x against a yardstick y. */
function compare(x: number, y: number): string {
  if (y === 0) return "larger than";
  const r = x / y;
  return r < 0.8 ? "smaller than" : r <= 2 ? "about the size of" : `${r.toFixed(1)} times`;
}

function equalComputeSentence(tpe: CommittedSearch, random: CommittedSearch): string {
  const runs = [tpe, random].map((c) => ({
    c,
    seconds: summarizeSearch(c.log.trials).seconds,
    epochs: epochsTrained(c.log.trials),
  }));
  const [short, long] = runs[0].seconds <= runs[1].seconds ? runs : [runs[1], runs[0]];
  const budget = short.seconds;
  const less = 1 - short.seconds / long.seconds;
  const fewer = 1 - short.epochs / long.epochs;
  let text =
    `At equal training time: ${strategyName(short.c)} trained for ${
      formatDuration(short.seconds)
    } in all, ${Math.round(100 * less)} % less than ${strategyName(long.c)}'s ${
      formatDuration(long.seconds)
    } (${
      fewer >= 0 ? `${Math.round(100 * fewer)} % fewer` : `${Math.round(-100 * fewer)} % more`
    } ` +
    `epochs). After ${formatDuration(budget)} of training each, `;
  const [bs, bl] = [bestWithin(short.c.log.trials, budget), bestWithin(long.c.log.trials, budget)];
  if (bs && bl && bs.value === bl.value && bs.number === bl.number) {
    text += `the best of both was the same trial ${bs.number} (${bs.value!.toFixed(4)})` +
      (bs.source === "baseline" ? ", the dissertation's network" : "");
  } else {
    const v = (t?: TrialRecord) => (t ? `${t.value!.toFixed(4)} (trial ${t.number})` : "none");
    text += `${strategyName(short.c)}'s best was ${v(bs)} and ${strategyName(long.c)}'s ${v(bl)}`;
  }
  let spent = 0;
  const reference = Math.min(bs?.value ?? Infinity, bl?.value ?? Infinity);
  for (const t of long.c.log.trials) {
    spent += t.seconds;
    if (spent <= budget || t.state !== "complete" || t.value === null) continue;
    if (t.value < reference) {
      text += `; ${strategyName(long.c)}'s first trial to do better, trial ${t.number} (${
        t.value.toFixed(4)
      }), ended after ${formatDuration(spent)} of its training`;
      break;
    }
  }
  return text + ".";
}

/** A committed search as Markdown: its trials, sessions, and the best point against trial 0. */
export function committedSearchReport({ label, log }: CommittedSearch): string {
  const s = summarizeSearch(log.trials);
  const base = baselineOf(log.trials);
  const best = bestTrial(log.trials);
  let comparison = "";
  if (best && base && best.number === base.number) {
    const own = bestTrial(log.trials.filter((t) => t.source !== "baseline"));
    comparison = `\n\n**Best configuration: trial ${base.number}**, the dissertation's network ` +
      `fed in as the baseline (validation MAE ${base.value!.toFixed(4)}, on the mock). None of ` +
      "the search's own proposals did better" +
      (own
        ? `; the best of them against it:\n\n` +
          compareTrialsTable(own, base, [
            `best proposal (trial ${own.number})`,
            `dissertation's network (trial ${base.number})`,
          ])
        : ".");
  } else if (best && base) {
    comparison = "\n\n**Best configuration against the dissertation's network** (both trained " +
      "here on the mock, scored on validation galaxies):\n\n" +
      compareTrialsTable(best, base, [
        `best found (trial ${best.number})`,
        `dissertation's network (trial ${base.number})`,
      ]);
  }
  return `### ${label}\n\n${
    count(log.trials.length, "trial")
  } (${s.complete} complete, ${s.pruned} ` +
    `stopped early, ${s.failed} failed), ${formatDuration(s.seconds)} of training in all. ` +
    `Sessions:\n\n${searchSessionsTable(log)}\n\n${searchTrialsTable(log.trials)}` + comparison;
}

/**
 * TPE against random search at equal trials, for each profile whose two logs are committed; a
 * sentence saying what is missing where a profile has one log only.
 */
export function committedSearchRaces(committed: readonly CommittedSearch[]): string {
  const parts: string[] = [];
  for (const { profile, tpe, random } of tpeAndRandom(committed)) {
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
        `bold; ${a.length} and ${count(b.length, "trial")} logged, compared up to ${
          Math.min(a.length, b.length)
        }):\n\n` +
        searchRaceTable({ label: "TPE", trials: a }, { label: "random", trials: b }),
    );
  }
  return parts.join("\n\n");
}

/** TPE against random search at equal training time, for each profile with both logs. */
export function committedComputeRaces(committed: readonly CommittedSearch[]): string {
  const parts: string[] = [];
  for (const { profile, tpe, random } of tpeAndRandom(committed)) {
    if (!tpe || !random) continue;
    parts.push(
      `**\`${profile}\` profile, at equal training time** (each search's trials' own seconds, ` +
        `summed in order; the lower best of a row in bold):\n\n` +
        computeRaceTable(
          { label: "TPE", trials: tpe.log.trials },
          { label: "random", trials: random.log.trials },
        ),
    );
  }
  return parts.join("\n\n");
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
export function baselineLegend(
  trials: readonly TrialRecord[],
  base: Partial<ModelConfig> = {},
): string {
  const baseline = baselineOf(trials);
  if (!baseline) return "baseline";
  const model = paramsToTrialConfig(baseline.params, base).model;
  const what = networkAgainstDissertation(model);
  return `trial ${baseline.number}: ${
    what.startsWith("the dissertation's network")
      ? "the dissertation's network"
      : `a variant, ${countParams(model).toLocaleString("en")} parameters`
  }`;
}
