/**
 * Writes the mock data set: `deno task mock` (full, into data/mock/) or `deno task sample`.
 *
 * Full: 520,393 galaxies as data/mock/mock.csv and data/mock/mock.parquet,
 * streamed in chunks. Sample (`--sample`): the first 3,000 galaxies of the same
 * seed as data/sample/mock_sample.csv with 3 decimals, like the dissertation's
 * quoted rows. Each file gets a JSON sidecar (seed, n, simulator version,
 * generation time); the data files depend only on seed, n and version.
 *
 * Options: `--seed S` (default 2023), `--n N`, `--out DIR`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DISSERTATION_N, simulateChunks, SIMULATOR_VERSION } from "../lib/mock/simulate.ts";
import { writeSpectraChunks } from "../lib/data/write_spectra.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sample: { type: "boolean", default: false },
    seed: { type: "string", default: "2023" },
    n: { type: "string" },
    out: { type: "string" },
  },
});
const sample = values.sample;
const seed = Number(values.seed);
const n = Number(values.n ?? (sample ? 3000 : DISSERTATION_N));
const root = new URL("../", import.meta.url).pathname;
const out = values.out ?? `${root}data/${sample ? "sample" : "mock"}`;
await Deno.mkdir(out, { recursive: true });

const files = sample
  ? [{ path: `${out}/mock_sample.csv`, decimals: 3 }]
  : [{ path: `${out}/mock.csv`, decimals: undefined }, { path: `${out}/mock.parquet` }];

for (const file of files) {
  const t0 = performance.now();
  const rows = await writeSpectraChunks(
    simulateChunks({ n, seed, chunkSize: 4096 }),
    file.path,
    { decimals: file.decimals },
  );
  const seconds = (performance.now() - t0) / 1000;
  const sidecar = {
    seed,
    n: rows,
    simulatorVersion: SIMULATOR_VERSION,
    generatedAt: new Date().toISOString(),
    generationSeconds: Math.round(seconds * 10) / 10,
    decimals: file.decimals ?? null,
    columns: "z, flux_0..flux_185 (see data/README.md)",
    command: `deno task ${sample ? "sample" : "mock"}`,
  };
  await Deno.writeTextFile(`${file.path}.json`, JSON.stringify(sidecar, null, 2) + "\n");
  console.log(`${file.path}: ${rows} rows in ${seconds.toFixed(1)} s`);
}
