import assert from "node:assert/strict";
import { simulateChunks, simulateSpectra } from "../lib/mock/simulate.ts";
import { writeSpectra, writeSpectraChunks } from "../lib/data/write_spectra.ts";
import { loadSpectra } from "../lib/data/load.ts";
import { FLUX_COLUMNS } from "../lib/spectra.ts";

Deno.test("a written CSV has the dissertation's header and loads back exactly with no rejected rows", async () => {
  const dir = await Deno.makeTempDir();
  const data = simulateSpectra({ n: 500, seed: 21 });
  await writeSpectra(data, `${dir}/m.csv`);
  const header = (await Deno.readTextFile(`${dir}/m.csv`)).split("\n", 1)[0];
  assert.equal(header, ["z", ...FLUX_COLUMNS].join(","));
  const { data: back, report } = await loadSpectra(`${dir}/m.csv`);
  assert.equal(report.rowsRead, 500);
  assert.equal(report.rowsKept, 500);
  assert.deepEqual(report.rejected, []);
  assert.deepEqual(back.z, data.z);
  assert.deepEqual(back.flux, data.flux);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(dir), (e) => e.name), ["m.csv"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a written Parquet file loads back exactly", async () => {
  const dir = await Deno.makeTempDir();
  const data = simulateSpectra({ n: 300, seed: 22 });
  await writeSpectra(data, `${dir}/m.parquet`);
  const { data: back, report } = await loadSpectra(`${dir}/m.parquet`);
  assert.equal(report.rowsKept, 300);
  assert.deepEqual(back.flux, data.flux);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the same seed gives byte-identical files, written whole or in chunks", async () => {
  const dir = await Deno.makeTempDir();
  for (const ext of ["csv", "parquet"]) {
    await writeSpectra(simulateSpectra({ n: 400, seed: 3 }), `${dir}/a.${ext}`);
    await writeSpectraChunks(simulateChunks({ n: 400, seed: 3, chunkSize: 97 }), `${dir}/b.${ext}`);
    assert.deepEqual(
      await Deno.readFile(`${dir}/a.${ext}`),
      await Deno.readFile(`${dir}/b.${ext}`),
    );
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the decimals option rounds fluxes but keeps z's digits", async () => {
  const dir = await Deno.makeTempDir();
  const data = simulateSpectra({ n: 50, seed: 8 });
  await writeSpectra(data, `${dir}/s.csv`, { decimals: 3 });
  const { data: back, report } = await loadSpectra(`${dir}/s.csv`);
  assert.deepEqual(report.rejected, []);
  assert.deepEqual(back.z, data.z);
  for (let k = 0; k < data.flux.length; k++) {
    // Half the last decimal, plus float32 rounding of the value read back (relative 2⁻²⁴).
    const v = Math.abs(data.flux[k]);
    assert.ok(Math.abs(back.flux[k] - data.flux[k]) <= 0.0005 + 1e-7 * v + 1e-6);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeSpectra() refuses an unknown extension", async () => {
  await assert.rejects(
    () => writeSpectra(simulateSpectra({ n: 1, seed: 1 }), "/tmp/x.txt"),
    /unknown format/,
  );
});
