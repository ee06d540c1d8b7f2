import assert from "node:assert/strict";
import { typedCounts } from "../tools/_prose_counts.ts";

const md = (source: string) => ({ cell_type: "markdown", source });

Deno.test("typedCounts() fails a run's count typed in prose and passes the dissertation's", () => {
  const cells = [
    md("The dissertation picks 20 epochs. Over 30 epochs its training loss keeps falling."),
    md("The committed run trained **30 epochs** on 520,393 mock galaxies; see its record."),
    { cell_type: "code", source: 'await show(`${history.length} epochs`); // "20 epochs"' },
    md("A search of 20 trials, an ensemble of 5 members."),
  ];
  const problems = typedCounts("03.ipynb", cells);
  assert.deepEqual(
    problems.map((p) => /"([^"]+)" typed/.exec(p)![1]),
    ["30 epochs", "30 epochs", "520,393 mock galaxies", "20 trials", "5 members"],
  );
  assert.match(problems[0], /^03\.ipynb, cell 0:/);
  assert.match(problems[3], /^03\.ipynb, cell 3:/);
});

Deno.test("the committed notebooks type no run's count in prose", async () => {
  for (const entry of Deno.readDirSync("notebooks")) {
    if (!entry.name.endsWith(".ipynb")) continue;
    const { cells } = JSON.parse(await Deno.readTextFile(`notebooks/${entry.name}`));
    assert.deepEqual(typedCounts(entry.name, cells), []);
  }
});
