/**
 * Writes the mock data set: `deno task mock` (full, into data/mock/) or `deno task sample`.
 *
 * Full: 520,393 galaxies as data/mock/mock.csv, streamed in chunks of 4,096, so memory stays
 * flat whatever the count (about 0.25 GB; data/README.md). `--parquet` also writes
 * data/mock/mock.parquet, converted by polars, whose Parquet sink (0.25.2) holds the whole table:
 * about 0.66 GB at 300,000 rows, growing with the count. Sample (`--sample`): the first 3,000 galaxies of the same
 * seed as data/sample/mock_sample.csv with 3 decimals, like the dissertation's
 * quoted rows. Each file gets a JSON sidecar (seed, n, simulator version,
 * generation time); the data files depend only on seed, n and version.
 *
 * Options: `--seed S` (default 2023), `--n N`, `--out DIR`, `--parquet`.
 *
 * @module
 */
import { DISSERTATION_N, simulateChunks, SIMULATOR_VERSION } from "../lib/mock/simulate.ts";
import { writeSpectraChunks } from "../lib/data/write_spectra.ts";
import { writeFileAtomic } from "../lib/_atomic.ts";
import { parseToolArgs, plainInteger, runTool } from "./_cli.ts";

const USAGE = `usage: deno task mock [--n N] [--seed S] [--out DIR] [--parquet]
       deno task sample

  --n N        galaxies (default 520,393, the dissertation's count; 3,000 with --sample)
  --seed S     seed of every galaxy (default 2023, the committed sample's)
  --out DIR    folder (default data/mock, or data/sample with --sample)
  --parquet    also write mock.parquet; polars' Parquet sink holds the whole table in memory
               (about 0.66 GB at 300,000 rows), while the CSV streams in about 0.3 GB
  --sample     the committed sample: 3,000 galaxies, fluxes to 3 decimals`;

const values = parseToolArgs("mock", {
  sample: { type: "boolean", default: false },
  seed: { type: "string", default: "2023" },
  n: { type: "string" },
  out: { type: "string" },
  parquet: { type: "boolean", default: false },
}, USAGE);
const sample = values.sample;
const seed = plainInteger("--seed", values.seed, 0, 2 ** 31);
const n = values.n === undefined ? (sample ? 3000 : DISSERTATION_N) : plainInteger("--n", values.n);
const root = new URL("../", import.meta.url).pathname;
const out = values.out ?? `${root}data/${sample ? "sample" : "mock"}`;
await runTool("mock", async () => {
  await Deno.mkdir(out, { recursive: true });

  const files = sample ? [{ path: `${out}/mock_sample.csv`, decimals: 3 }] : [
    { path: `${out}/mock.csv`, decimals: undefined },
    ...(values.parquet ? [{ path: `${out}/mock.parquet`, decimals: undefined }] : []),
  ];

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
    await writeFileAtomic(`${file.path}.json`, JSON.stringify(sidecar, null, 2) + "\n");
    console.log(`${file.path}: ${rows} rows in ${seconds.toFixed(1)} s`);
  }
});
