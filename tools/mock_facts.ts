/**
 * Prints the mock against the published facts about the real fluxes: Table 1's quoted rows
 * (each value against the mock's 5–95 % range near its z), Figure 11's mean spectra per z range,
 * the ends of the spectrum and the noise there (issue 17).
 *
 * `deno run -A tools/mock_facts.ts [--n 20000] [--seed 17]`
 *
 * @module
 */
import { parseToolArgs, plainInteger, positiveInteger } from "./_args.ts";
import { simulateSpectra, SIMULATOR_VERSION } from "../lib/mock/mod.ts";
import { noiseSigma } from "../lib/mock/_noise.ts";
import { formatFluxFacts, measureFluxFacts } from "./_flux_facts.ts";

const values = parseToolArgs("mock_facts", {
  n: { type: "string", default: "20000" },
  seed: { type: "string", default: "17" },
}, import.meta);
const n = positiveInteger("--n", values.n), seed = plainInteger("--seed", values.seed, 0);
const noisy = simulateSpectra({ n, seed });
const clean = simulateSpectra({ n, seed, noise: false });
console.log(`simulator ${SIMULATOR_VERSION}, ${n} galaxies, seed ${seed}`);
console.log(formatFluxFacts(measureFluxFacts({ ...noisy, clean: clean.flux, sigma: noiseSigma })));
