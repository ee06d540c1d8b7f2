// Page 05's sentences about the committed searches quote the logs: each count and time a sentence
// gives is computed here again from the raw JSON lines of results/search/, and an altered copy of
// a record makes the check fail (so the check can fail).
import assert from "node:assert/strict";
import { NARROW_MODEL } from "../lib/profiles.ts";
import { DISSERTATION_MODEL } from "../lib/model.ts";
import { formatDuration } from "../lib/tables.ts";
import {
  baselineLegend,
  type CommittedSearch,
  committedSearchesOverview,
  committedSearchReport,
  readCommittedSearches,
  searchBaselineNote,
  searchCodeNote,
  searchComparisonNote,
} from "../lib/notebook/search_report.ts";
import {
  committedSearchPath,
  countParams,
  parseSearchLog,
  trialConfigToParams,
  type TrialRecord,
} from "../lib/search/mod.ts";
import { readCommittedMemberScores } from "../lib/uncertainty/mod.ts";

/** The committed logs, read as raw JSON lines (not through the library under test). */
async function rawLog(strategy: "tpe" | "random") {
  const text = await Deno.readTextFile(committedSearchPath("default", strategy));
  const records = text.trim().split("\n").map((l) => JSON.parse(l));
  return {
    header: records[0],
    sessions: records.filter((r) => r.type === "session"),
    trials: records.filter((r) => r.type === "trial") as TrialRecord[],
  };
}

/** What page 05 must quote about the two committed searches, computed from the raw records. */
async function expectedFacts(): Promise<string[]> {
  const [tpe, random] = [await rawLog("tpe"), await rawLog("random")];
  const o = tpe.header.settings.objective;
  const all = [...tpe.trials, ...random.trials];
  const shortest = all.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const longest = all.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  const seconds = (ts: TrialRecord[]) => ts.reduce((s, t) => s + t.seconds, 0);
  const epochs = (ts: TrialRecord[]) => ts.reduce((s, t) => s + t.curve.length, 0);
  const pruned = (ts: TrialRecord[]) => ts.filter((t) => t.state === "pruned").length;
  return [
    `TPE, ${tpe.trials.length} trials`,
    `random search, ${random.trials.length} trials`,
    `at most ${o.epochs} epochs`,
    `${o.trainingRows.toLocaleString("en")} training galaxies`,
    `${o.validationRows.toLocaleString("en")} validation galaxies`,
    `TPE's first ${tpe.header.settings.samplerSettings.startupTrials} trials`,
    `${formatDuration(seconds(tpe.trials))} for TPE (${epochs(tpe.trials)} epochs in all, ` +
    `${pruned(tpe.trials)} trials stopped early)`,
    `${formatDuration(seconds(random.trials))} for random search (${
      epochs(random.trials)
    } epochs in all, ${pruned(random.trials)} trials stopped early)`,
    `from ${formatDuration(shortest.seconds)} (random search's trial ${shortest.number}`,
    `to ${formatDuration(longest.seconds)} (TPE's trial ${longest.number}`,
    `took ${formatDuration(tpe.trials[0].seconds)} in TPE's log and ${
      formatDuration(random.trials[0].seconds)
    } in random search's log`,
  ];
}

function assertQuotes(text: string, facts: string[]): void {
  for (const fact of facts) assert.ok(text.includes(fact), `the page does not quote: ${fact}`);
}

/** A committed search with its log's trials changed by `edit`. */
function altered(c: CommittedSearch, edit: (trials: TrialRecord[]) => TrialRecord[]) {
  return { ...c, log: { ...c.log, trials: edit(c.log.trials.map((t) => ({ ...t }))) } };
}

Deno.test("page 05's overview quotes the committed logs' trials, epochs, galaxies and times", async () => {
  const committed = await readCommittedSearches();
  assert.equal(committed.length, 2);
  const facts = await expectedFacts();
  assertQuotes(committedSearchesOverview(committed), facts);
  // The check can fail: a log that lost its last trial, or one trial timed differently.
  const shorter = committed.map((c) =>
    c.strategy === "tpe" ? altered(c, (t) => t.slice(0, -1)) : c
  );
  assert.throws(() => assertQuotes(committedSearchesOverview(shorter), facts), /TPE, 20 trials/);
  const slower = committed.map((c) =>
    c.strategy === "tpe" ? altered(c, (ts) => ts.map((t) => ({ ...t, seconds: t.seconds + 1 }))) : c
  );
  assert.throws(() => assertQuotes(committedSearchesOverview(slower), facts));
});

Deno.test("page 05 says which commit made which trials, from the log's session records", async () => {
  const committed = await readCommittedSearches();
  const text = searchCodeNote(committed);
  for (const strategy of ["tpe", "random"] as const) {
    const { sessions, trials } = await rawLog(strategy);
    sessions.forEach((s, i) => {
      const end = (sessions[i + 1]?.trialsBefore ?? trials.length) - 1;
      const range = s.trialsBefore === end ? `${end}` : `${s.trialsBefore}–${end}`;
      const local = /local changes/.test(s.info.commit) ? " with local changes" : "";
      assert.ok(
        text.includes(`${range} by commit ${String(s.info.commit).slice(0, 7)}${local}`),
        `${strategy}: trials ${range} by ${s.info.commit}`,
      );
    });
  }
  // The shared trials: same number, seed and point in both logs; the largest gap is trial 4's.
  const [tpe, random] = [await rawLog("tpe"), await rawLog("random")];
  const shared = tpe.trials.filter((t, i) =>
    random.trials[i]?.seed === t.seed &&
    JSON.stringify(random.trials[i].params) === JSON.stringify(t.params)
  );
  assert.match(text, new RegExp(`share ${shared.length} trials`));
  const gaps = shared.map((t) => Math.abs(t.value! - random.trials[t.number].value!));
  const worst = shared[gaps.indexOf(Math.max(...gaps))];
  assert.match(
    text,
    new RegExp(`largest gap is ${Math.max(...gaps).toFixed(4)} \\(trial ${worst.number}:`),
  );
  // A log whose sitting is said to be another commit reads differently.
  const moved = committed.map((c) => ({
    ...c,
    log: {
      ...c.log,
      sessions: c.log.sessions.map((s) => ({ ...s, info: { ...s.info, commit: "0000000" } })),
    },
  }));
  assert.doesNotMatch(searchCodeNote(moved), /by commit 902241a/);
});

Deno.test("page 05 names random search's best as the baseline and sizes the gap against the noise", async () => {
  const committed = await readCommittedSearches();
  const seeds = { scores: await readCommittedMemberScores("default"), label: "trial 0's network" };
  const text = searchComparisonNote(committed, seeds);
  const { trials: random } = await rawLog("random");
  const { trials: tpe } = await rawLog("tpe");
  const best = (ts: TrialRecord[]) =>
    ts.filter((t) => t.state === "complete").reduce((a, b) => (b.value! < a.value! ? b : a));
  assert.equal(best(random).source, "baseline");
  assert.match(
    text,
    new RegExp(
      `Random search's best is ${
        best(random).value!.toFixed(4)
      } \\(trial 0\\): the dissertation's network, fed in as the baseline`,
    ),
  );
  assert.match(
    text,
    new RegExp(`TPE's best is ${best(tpe).value!.toFixed(4)} \\(trial ${best(tpe).number}`),
  );
  const gap = best(random).value! - best(tpe).value!;
  assert.match(text, new RegExp(`lower by ${gap.toFixed(4)}\\. That gap is about the size of`));
  assert.match(text, /Each search ran once, with one seed/);
  assert.match(text, new RegExp(`spread of ${seeds.scores.length} seeds`));
  // At equal training time (random search's whole budget) both bests were trial 0.
  assert.match(text, /the best of both was the same trial 0/);
  // Chosen by the result: a TPE best far below the noise is worded as a multiple of it.
  const lucky = committed.map((c) =>
    c.strategy === "tpe"
      ? altered(c, (ts) => ts.map((t) => t.number === best(tpe).number ? { ...t, value: 0.01 } : t))
      : c
  );
  const luckyText = searchComparisonNote(lucky, seeds);
  assert.doesNotMatch(luckyText, /That gap is about the size of/);
  assert.match(luckyText, /That gap is \d+\.\d times the largest gap/);
});

Deno.test("page 05's committed reports say when the best configuration is trial 0", async () => {
  const [tpe, random] = await readCommittedSearches();
  assert.match(
    committedSearchReport(random),
    /\*\*Best configuration: trial 0\*\*, the dissertation's network/,
  );
  assert.match(committedSearchReport(tpe), /Best configuration against the dissertation's network/);
  assert.equal(baselineLegend(tpe.log.trials), "trial 0: the dissertation's network");
});

Deno.test("page 05 says what its small search's trial 0 trains: a narrow variant, not the dissertation's", () => {
  const trial = (model: typeof NARROW_MODEL, parameters: number): TrialRecord => ({
    type: "trial",
    number: 0,
    seed: 1,
    source: "baseline",
    state: "complete",
    value: 0.04,
    curve: [0.04],
    seconds: 1,
    finishedAt: "",
    info: { parameters },
    params: trialConfigToParams({ ...DISSERTATION_MODEL, ...model }, 32, {
      learningRate: 1e-3,
      huberDelta: 1,
    }),
  });
  const narrow = countParams({ ...DISSERTATION_MODEL, ...NARROW_MODEL });
  const text = searchBaselineNote([trial(NARROW_MODEL, narrow)]);
  assert.match(text, /a narrow variant of the dissertation's layout .*not its network/);
  assert.match(
    text,
    new RegExp(`${narrow.toLocaleString("en")} parameters against the dissertation's 699,073`),
  );
  assert.match(
    searchBaselineNote([trial({}, 699_073)]),
    /is the dissertation's network \(699,073 parameters\)/,
  );
});

/** Counts typed into prose (a number followed by what it counts), which a record should give. */
function typedCounts(markdown: string): string[] {
  const unit = "trials?|epochs?|members?|galaxies|minutes?|hours?|seconds?|parameters|sittings?";
  return [
    ...markdown.matchAll(
      new RegExp(`\\b\\d[\\d,.]*\\s*(?:to \\d[\\d,.]*\\s*)?(?:${unit})\\b`, "g"),
    ),
  ]
    .map((m) => m[0]);
}

Deno.test("pages 05 and 06 type no counts into their Markdown: every count comes from a record", async () => {
  for (const page of ["05_hyperparameter_search", "06_uncertainty"]) {
    const nb = JSON.parse(await Deno.readTextFile(`notebooks/${page}.ipynb`));
    const prose = nb.cells.filter((c: { cell_type: string }) => c.cell_type === "markdown")
      .map((c: { source: string[] }) => c.source.join("")).join("\n");
    assert.deepEqual(typedCounts(prose), [], page);
  }
  // The check can fail: the sentence the issue found on page 05.
  assert.deepEqual(typedCounts("A trial takes 2 to 16 minutes, and 20 trials of 5 epochs."), [
    "2 to 16 minutes",
    "20 trials",
    "5 epochs",
  ]);
});

Deno.test("parseSearchLog reads the committed logs (the page's source) without loss", async () => {
  for (const strategy of ["tpe", "random"] as const) {
    const text = await Deno.readTextFile(committedSearchPath("default", strategy));
    assert.equal(parseSearchLog(text).trials.length, (await rawLog(strategy)).trials.length);
  }
});
