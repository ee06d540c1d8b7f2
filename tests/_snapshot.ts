// Snapshot comparison for figures: the SVG text must equal tests/snapshots/<name>.svg.
// Run the tests with UPDATE_SNAPSHOTS=1 (deno task snapshots) to rewrite the files after
// an intended change, then look at the new figures before committing them.
import assert from "node:assert/strict";

const SNAPSHOTS = new URL("./snapshots/", import.meta.url);
const UPDATE = Deno.env.get("UPDATE_SNAPSHOTS") === "1";
const MAX_SNAPSHOT_BYTES = 200_000;

/** Compares `svg` with tests/snapshots/<name>.svg, or writes it when UPDATE_SNAPSHOTS=1. */
export async function assertSnapshot(name: string, svg: string): Promise<void> {
  assert.ok(svg.length < MAX_SNAPSHOT_BYTES, `${name}.svg is ${svg.length} bytes`);
  const file = new URL(`${name}.svg`, SNAPSHOTS);
  if (UPDATE) {
    await Deno.mkdir(SNAPSHOTS, { recursive: true });
    await Deno.writeTextFile(file, svg + "\n");
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(file);
  } catch {
    throw new Error(`no snapshot ${file.pathname}; run the tests once with UPDATE_SNAPSHOTS=1`);
  }
  assert.equal(svg + "\n", expected, `${name}.svg differs from its snapshot`);
}
