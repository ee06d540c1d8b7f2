// Small fixtures shared by the tests.
import { N_FLUX } from "../lib/spectra.ts";

/** One CSV data row: z then 186 fluxes that vary with the row and column. */
export function csvRow(z: number, seed = 0): string[] {
  return [
    String(z),
    ...Array.from({ length: N_FLUX }, (_, j) => ((seed * 7 + j) % 13 / 4 - 0.2).toFixed(3)),
  ];
}

/** Writes `lines` (already joined fields) to a fresh temporary CSV file and returns its path. */
export async function writeTempCsv(
  lines: string[],
  options: { header?: boolean } = {},
): Promise<string> {
  const header = ["z", ...Array.from({ length: N_FLUX }, (_, j) => `flux_${j}`)].join(",");
  const path = await Deno.makeTempFile({ suffix: ".csv" });
  await Deno.writeTextFile(path, [...(options.header ? [header] : []), ...lines].join("\n") + "\n");
  return path;
}

/** A few valid rows as CSV lines. */
export function validLines(n: number): string[] {
  return Array.from({ length: n }, (_, i) => csvRow(0.05 + 0.1 * (i % 5), i).join(","));
}
