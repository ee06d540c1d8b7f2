/**
 * The trial log (JSON Lines): a header line describing the search, which a resumed search must
 * match; a `session` line per run of the search; a `trial` line appended and synced as each trial
 * finishes, so that an interrupted search loses at most the trial it was running. A partial last
 * line from a crash is ignored when reading and cut off when resuming.
 *
 * @module
 */
import { readTextFileIfAny, writeFileAtomic } from "../_atomic.ts";
import type { Params } from "./space.ts";
import type { ProposalSource } from "./sampler.ts";

/** Version of the log format. */
export const SEARCH_LOG_VERSION = 1;

/** The first line: what the search is. */
export interface SearchHeader {
  type: "search";
  version: number;
  createdAt: string;
  /** Sampler, seed, space, pruner and objective settings; a resumed search must match them. */
  settings: Record<string, unknown>;
}

/** One run (or resumed run) of the search. */
export interface SessionRecord {
  type: "session";
  startedAt: string;
  /** Trials already in the log when this session started. */
  trialsBefore: number;
  /** Command, device, commit: whatever the caller records. */
  info: Record<string, unknown>;
}

/** How a trial ended. */
export type TrialState = "complete" | "pruned" | "failed";

/** One finished trial. */
export interface TrialRecord {
  type: "trial";
  number: number;
  /** Seed of the proposal and of the trial's own randomness (weights, batch order). */
  seed: number;
  source: ProposalSource;
  params: Params;
  state: TrialState;
  /** Objective (lower is better): the best score reported; null when the trial failed. */
  value: number | null;
  /** Score after each epoch (NaN where it was not finite). */
  curve: number[];
  /** Wall-clock seconds of the trial. */
  seconds: number;
  finishedAt: string;
  error?: string;
  /** Extra facts from the objective, e.g. the parameter count. */
  info?: Record<string, unknown>;
}

/** A parsed log. */
export interface SearchLog {
  header: SearchHeader;
  sessions: SessionRecord[];
  trials: TrialRecord[];
  /** Bytes of complete lines; anything after them is a partial line to cut off. */
  validBytes: number;
  /** True when the file ends in a partial line (an interrupted write). */
  partialLine: boolean;
}

/**
 * Parses a log's text; a last line without its newline is ignored.
 *
 * @param text the file's text
 */
export function parseSearchLog(text: string): SearchLog {
  const end = text.lastIndexOf("\n") + 1;
  const lines = text.slice(0, end).split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) throw new Error("the trial log has no header line");
  const records = lines.map((line, i) => {
    try {
      return JSON.parse(line) as { type: string };
    } catch {
      throw new Error(`trial log line ${i + 1} is not JSON: ${line.slice(0, 80)}`);
    }
  });
  const header = records[0] as SearchHeader;
  if (header.type !== "search") throw new Error("the trial log's first line is not its header");
  if (header.version !== SEARCH_LOG_VERSION) {
    throw new Error(`trial log version ${header.version}, expected ${SEARCH_LOG_VERSION}`);
  }
  const sessions = records.filter((r) => r.type === "session") as SessionRecord[];
  const trials = (records.filter((r) => r.type === "trial") as TrialRecord[]).map((t) => ({
    ...t,
    curve: t.curve.map((v) => (v === null ? NaN : v)), // JSON writes NaN as null
  }));
  trials.forEach((t, i) => {
    if (t.number !== i) throw new Error(`trial log holds trial ${t.number} where ${i} belongs`);
  });
  return {
    header,
    sessions,
    trials,
    validBytes: new TextEncoder().encode(text.slice(0, end)).length,
    partialLine: text.slice(end).trim() !== "",
  };
}

/** Reads the log at `path`; null when there is no such file. */
export async function readSearchLog(path: string): Promise<SearchLog | null> {
  const text = await readTextFileIfAny(path);
  if (text === null) return null;
  try {
    return parseSearchLog(text);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/**
 * Opens the log at `path` for a search with `settings`: resumes an existing log, which must match
 * them (a partial last line is cut off), or starts a new one; then appends a session line.
 */
export async function openSearchLog(
  path: string,
  settings: Record<string, unknown>,
  options: { resume?: boolean; session?: Record<string, unknown> },
): Promise<Pick<SearchLog, "sessions" | "trials">> {
  const log = await readSearchLog(path);
  if (log && !options.resume) {
    throw new Error(`${path} exists: resume it, or delete it to start afresh`);
  }
  if (log && JSON.stringify(log.header.settings) !== JSON.stringify(settings)) {
    throw new Error(
      `${path} was written by a different search (sampler, seed, space or settings differ); ` +
        "delete it or choose another log",
    );
  }
  if (log?.partialLine) await Deno.truncate(path, log.validBytes);
  if (!log) {
    const header = { version: SEARCH_LOG_VERSION, createdAt: new Date().toISOString(), settings };
    await writeFileAtomic(path, JSON.stringify({ type: "search", ...header }) + "\n");
  }
  const trials = log?.trials ?? [];
  const session: SessionRecord = {
    type: "session",
    startedAt: new Date().toISOString(),
    trialsBefore: trials.length,
    info: options.session ?? {},
  };
  await appendSearchRecord(path, session);
  return { trials, sessions: [...(log?.sessions ?? []), session] };
}

/** Appends one record as one line and syncs it to disk before returning. */
export async function appendSearchRecord(
  path: string,
  record: SessionRecord | TrialRecord,
): Promise<void> {
  // One write call of one whole line: a crash leaves at most a partial last line.
  using file = await Deno.open(path, { append: true });
  const bytes = new TextEncoder().encode(JSON.stringify(record) + "\n");
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
  await file.sync();
}
