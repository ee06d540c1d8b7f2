// Writes that never leave a half-written file or folder behind: write beside
// the target under a temporary name, then rename, which replaces in one step.
// The one place in the library that makes temporary names, commits outputs,
// and checks that a tool's outputs collide with nothing it reads or writes.
import { basename, dirname, resolve } from "node:path";

/**
 * A hidden temporary path in the same folder as `path` (so that a rename is
 * atomic), unique to this process and call: `.NAME.TAG-PID-RANDOM.tmp`.
 */
export function tempPathBeside(path: string, tag = "part"): string {
  const slash = path.lastIndexOf("/");
  return `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${tag}-${stamp()}.tmp`;
}

/** This process and a random tag, to make a name no other writer uses. */
function stamp(): string {
  return `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
}

/** The text of the file at `path`, or null when there is none (any other failure is thrown). */
export async function readTextFileIfAny(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Writes `data` to `path` through a temporary file in the same folder and a rename. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await writeFileAtomicWith(path, async (tmp) => {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
  });
}

/**
 * Lets `write` fill a temporary file beside `path`, then syncs it and renames it into place; if
 * `write` throws, the temporary file is removed and `path` keeps its old content.
 */
export async function writeFileAtomicWith<T>(
  path: string,
  write: (tmp: string) => Promise<T>,
): Promise<T> {
  const tmp = tempPathBeside(path);
  try {
    const result = await write(tmp);
    await syncFile(tmp);
    await Deno.rename(tmp, path);
    return result;
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

async function syncFile(path: string): Promise<void> {
  using file = await Deno.open(path, { read: true, write: true });
  await file.sync();
}

/** A finished temporary file and the path it is to replace. */
export interface PendingFile {
  temp: string;
  path: string;
}

/**
 * Renames several finished temporary files into place as one step: either
 * every target gets its new content, or (when a rename fails) the targets
 * already replaced get their old content back and the error is rethrown.
 *
 * The old files are kept under hard links until every rename has succeeded,
 * so at every moment each target path holds a complete file.
 */
export async function commitTogether(files: readonly PendingFile[]): Promise<void> {
  const saved: { path: string; backup: string | null }[] = [];
  try {
    for (const { temp, path } of files) {
      let backup: string | null = tempPathBeside(path, "old");
      try {
        await Deno.link(path, backup);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) backup = null;
        // A file system without hard links: keep a copy instead.
        else await Deno.copyFile(path, backup);
      }
      saved.push({ path, backup });
      await Deno.rename(temp, path);
    }
  } catch (e) {
    for (const { path, backup } of saved.reverse()) {
      if (backup) await Deno.rename(backup, path).catch(() => {});
      else await Deno.remove(path).catch(() => {});
    }
    throw e;
  } finally {
    for (const { backup } of saved) if (backup) await Deno.remove(backup).catch(() => {});
  }
}

/**
 * Fills a fresh temporary folder with `fill`, then puts it at `dir`; an
 * existing `dir` is moved aside first and removed only once the new one is
 * in place, so at every moment either the old or the new folder is complete.
 */
export async function writeDirAtomic(
  dir: string,
  fill: (tmpDir: string) => Promise<void>,
): Promise<void> {
  const tag = stamp(), tmp = `${dir}.tmp-${tag}`, old = `${dir}.old-${tag}`;
  await Deno.mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    let hadOld = false;
    try {
      await Deno.rename(dir, old);
      hadOld = true;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    await Deno.rename(tmp, dir);
    if (hadOld) await Deno.remove(old, { recursive: true });
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Path collisions

/** A path a tool touches: an input it reads, or an output it writes (a file, or a whole folder). */
export interface ToolPath {
  /** What the path is, in the user's words: `--out`, `--rejects`, `the model folder`. */
  role: string;
  path: string;
  use: "read" | "write";
  /** True for a folder: a read folder's files are inputs; a written folder is replaced whole. */
  folder?: boolean;
}

/** Two paths of a tool that would collide, named by their roles. */
export class PathCollisionError extends Error {
  /**
   * @param written the path that would be written
   * @param other the path it collides with
   * @param message what would happen
   */
  constructor(readonly written: ToolPath, readonly other: ToolPath, message: string) {
    super(message);
    this.name = "PathCollisionError";
  }
}

/**
 * The real path of `path` (links resolved), also when it does not exist yet:
 * then its nearest existing ancestor is resolved and the rest appended.
 */
export async function realPathOf(path: string): Promise<string> {
  const rest: string[] = [];
  for (let head = resolve(path);; head = dirname(head)) {
    try {
      return resolve(await Deno.realPath(head), ...rest);
    } catch {
      if (head === "/") return resolve("/", ...rest);
      rest.unshift(basename(head));
    }
  }
}

function inside(child: string, folder: string): boolean {
  return child === folder || child.startsWith(folder === "/" ? "/" : folder + "/");
}

async function identity(path: string): Promise<string | null> {
  try {
    const s = await Deno.stat(path);
    return s.ino === null ? null : `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}

/**
 * Refuses, with a {@link PathCollisionError}, when a path a tool writes is a
 * path it reads or another path it writes, lies inside a folder it reads or
 * replaces, or is a folder that holds one of its other paths. Paths are
 * compared by real path (symbolic links resolved, also for paths that do not
 * exist yet) and existing files also by device and inode, so that hard links
 * count as the same file. Call it before any work starts.
 */
export async function checkToolPaths(paths: readonly ToolPath[]): Promise<void> {
  const resolved = await Promise.all(paths.map(async (p) => ({
    p,
    real: await realPathOf(p.path),
    id: await identity(p.path),
  })));
  for (let i = 0; i < resolved.length; i++) {
    const a = resolved[i];
    if (a.p.use !== "write") continue;
    for (let j = 0; j < resolved.length; j++) {
      const b = resolved[j];
      if (i === j || (b.p.use === "write" && j < i)) continue; // each pair of outputs once
      const what = `${a.p.role} ${a.p.path}`, other = `${b.p.role} ${b.p.path}`;
      if (a.real === b.real || (a.id !== null && a.id === b.id)) {
        const verb = b.p.use === "read" ? "would overwrite" : "is the same file as";
        throw new PathCollisionError(a.p, b.p, `${what} ${verb} ${other}`);
      }
      if (b.p.folder && inside(a.real, b.real)) {
        throw new PathCollisionError(a.p, b.p, `${what} lies inside ${other}`);
      }
      if (a.p.folder && inside(b.real, a.real)) {
        const verb = b.p.use === "read" ? "would replace" : "would hold";
        throw new PathCollisionError(a.p, b.p, `${what} ${verb} ${other}`);
      }
    }
  }
}

/**
 * Checks up front that `path` can be written as a file: its folder exists and
 * takes a new file, and `path` itself is not a folder. Returns a message, or
 * `null` when it can.
 */
export async function whyNotWritable(path: string): Promise<string | null> {
  const stat = await Deno.stat(path).catch(() => null);
  if (stat?.isDirectory) return "is a folder, not a file";
  const slash = path.lastIndexOf("/");
  const dir = slash > 0 ? path.slice(0, slash) : slash === 0 ? "/" : ".";
  const dirStat = await Deno.stat(dir).catch(() => null);
  if (!dirStat) return `its folder ${dir} does not exist`;
  if (!dirStat.isDirectory) return `${dir} is not a folder`;
  const probe = tempPathBeside(path, "probe");
  try {
    (await Deno.open(probe, { write: true, createNew: true })).close();
  } catch (e) {
    return `cannot create files in ${dir}: ${(e as Error).message}`;
  }
  await Deno.remove(probe).catch(() => {});
  return null;
}
