/**
 * Writes the shipped facts of the dissertation's published `model.keras` (architecture, compile
 * settings, weight statistics) to `data/dissertation/model_keras.json`, so that notebook 03b can
 * present them on a machine without the file.
 *
 *   deno run -A tools/dissertation_facts.ts PATH/TO/model.keras [--out FILE]
 *
 * @module
 */
import { EXIT, exitWithError, fail, parseToolCommandLine, stringFlags, usage } from "./_args.ts";
import { isFile } from "./_system.ts";
import { writeFileAtomic } from "../lib/_atomic.ts";
import { selectBackend } from "../lib/backend/mod.ts";
import { KERAS_FACTS_PATH, kerasModelFacts } from "../lib/notebook/mod.ts";

const { values: args, positionals } = parseToolCommandLine(
  "dissertation_facts",
  stringFlags("out"),
  true,
  import.meta,
);
if (positionals.length !== 1) usage("expected one PATH/TO/model.keras");
if (!isFile(positionals[0])) fail(EXIT.model, `${positionals[0]}: no such file`);
await selectBackend({ backend: "cpu" });
const facts = await kerasModelFacts(positionals[0]).catch(exitWithError);
const out = args.out ?? KERAS_FACTS_PATH;
await writeFileAtomic(out, JSON.stringify(facts, null, 2) + "\n");
console.log(`wrote ${out}: ${facts.layers.length} layers, ${facts.params} parameters`);
