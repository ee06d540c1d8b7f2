/**
 * Writes the shipped facts of the dissertation's published `model.keras` (architecture, compile
 * settings, weight statistics) to `data/dissertation/model_keras.json`, so that notebook 03b can
 * present them on a machine without the file.
 *
 *   deno run -A tools/dissertation_facts.ts PATH/TO/model.keras [--out FILE]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { selectBackend } from "../lib/backend/mod.ts";
import { KERAS_FACTS_PATH, kerasModelFacts } from "../lib/notebook/mod.ts";

const { values: args, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { out: { type: "string" }, help: { type: "boolean", short: "h" } },
});
if (args.help || positionals.length !== 1) {
  console.error("usage: deno run -A tools/dissertation_facts.ts PATH/TO/model.keras [--out FILE]");
  Deno.exit(args.help ? 0 : 2);
}
await selectBackend({ backend: "cpu" });
const facts = await kerasModelFacts(positionals[0]);
const out = args.out ?? KERAS_FACTS_PATH;
await Deno.writeTextFile(out, JSON.stringify(facts, null, 2) + "\n");
console.log(`wrote ${out}: ${facts.layers.length} layers, ${facts.params} parameters`);
