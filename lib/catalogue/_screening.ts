/**
 * Screening the rows of a catalogue: which spectra lie outside the training range ({@link OodRule},
 * {@link outOfDistribution}), which predictions are no result ({@link keepFinite}), and how a bad
 * row is described ({@link describeReject}, {@link rejectError}).
 *
 * These are pure functions of a chunk and the model's scaler, kept apart from
 * the run that reads and writes the files so each can be read on its own.
 *
 * @module
 */
import type { MinMaxScaler } from "../min_max_scaler.ts";
import { N_FLUX } from "../spectra.ts";
import {
  type CatalogueChunk,
  CatalogueInputError,
  type CatalogueReject,
  pickRows,
} from "../data/_chunked_reader.ts";
import type { ChunkPredictions } from "./_predictor.ts";

/**
 * When a spectrum counts as out of distribution.
 *
 * Each flux is compared with the range [min, max] its column had in the
 * scaler's training rows. A row is flagged when more than `maxOutside` of its
 * 186 fluxes lie outside that range widened by `margin` × (max − min) on each
 * side, or when any flux lies more than `far` × (max − min) beyond it.
 */
export interface OodRule {
  /** Widening of each column's training range, as a share of the range; default 0.1. */
  margin: number;
  /** Fluxes outside the widened range a row may have before it is flagged; default 18 (~10 %). */
  maxOutside: number;
  /** A single flux this many ranges beyond its column's range flags the row; default 1. */
  far: number;
}

/** The default {@link OodRule}. */
export const DEFAULT_OOD_RULE: Readonly<OodRule> = Object.freeze({
  margin: 0.1,
  maxOutside: 18,
  far: 1,
});

/**
 * Per row, how many fluxes lie outside their column's training range widened
 * by `margin`, and whether the row is flagged by the {@link OodRule}.
 */
export function outOfDistribution(
  flux: Float32Array,
  n: number,
  scaler: MinMaxScaler,
  rule: OodRule,
): { outside: Int32Array; flagged: Uint8Array } {
  const lo = new Float64Array(N_FLUX), hi = new Float64Array(N_FLUX);
  const farLo = new Float64Array(N_FLUX), farHi = new Float64Array(N_FLUX);
  for (let j = 0; j < N_FLUX; j++) {
    const range = scaler.max[j] - scaler.min[j];
    lo[j] = scaler.min[j] - rule.margin * range;
    hi[j] = scaler.max[j] + rule.margin * range;
    // A column constant in training has no scale to be far by: only counted.
    farLo[j] = range > 0 ? scaler.min[j] - rule.far * range : -Infinity;
    farHi[j] = range > 0 ? scaler.max[j] + rule.far * range : Infinity;
  }
  const outside = new Int32Array(n), flagged = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let count = 0, far = false;
    const base = i * N_FLUX;
    for (let j = 0; j < N_FLUX; j++) {
      const v = flux[base + j];
      if (v < lo[j] || v > hi[j]) {
        count++;
        if (v < farLo[j] || v > farHi[j]) far = true;
      }
    }
    outside[i] = count;
    flagged[i] = far || count > rule.maxOutside ? 1 : 0;
  }
  return { outside, flagged };
}

/** A chunk with its predictions and its out-of-distribution screening, as the run writes it. */
export interface PredictedChunk {
  chunk: CatalogueChunk;
  predictions: ChunkPredictions;
  outside: Int32Array;
  isOod: Uint8Array;
}

/**
 * Splits off the rows whose prediction (or error bar) is not a finite number, as rejects; `kept`
 * is the rest (`predicted` itself when every prediction is finite).
 */
export function keepFinite(
  predicted: PredictedChunk,
): { rejected: CatalogueReject[]; kept: PredictedChunk } {
  const { chunk, predictions: { mean, std, pdf } } = predicted;
  const rejected: CatalogueReject[] = [], keep: number[] = [];
  for (let i = 0; i < chunk.n; i++) {
    const m = mean[i], s = std ? std[i] : 0;
    if (Number.isFinite(m) && Number.isFinite(s)) keep.push(i);
    else {
      rejected.push({
        row: chunk.rows[i],
        id: chunk.ids?.[i] ?? null,
        column: null,
        reason: `the model's prediction is ${Number.isFinite(m) ? `z_err ${s}` : m}, ` +
          "not a finite number (a spectrum far outside the training range, or a broken model)",
      });
    }
  }
  if (!rejected.length) return { rejected, kept: predicted };
  const pick = <T extends Float32Array | Float64Array | Int32Array | Uint8Array>(a: T) =>
    pickRows(a, keep);
  const kept: PredictedChunk = {
    chunk: {
      ...chunk,
      n: keep.length,
      rows: pick(chunk.rows),
      ids: chunk.ids && keep.map((i) => chunk.ids![i]),
      z: chunk.z && pick(chunk.z),
      flux: pickRows(chunk.flux, keep, N_FLUX),
    },
    predictions: {
      mean: pick(mean),
      std: std && pick(std),
      pdf: pdf &&
        Object.fromEntries(Object.entries(pdf).map(([k, v]) => [k, pick(v)])) as typeof pdf,
    },
    outside: pick(predicted.outside),
    isOod: pick(predicted.isOod),
  };
  return { rejected, kept };
}

/** Where a bad row is at fault besides its row number: its id and column, when known. */
function idAndColumn(rejected: CatalogueReject): string[] {
  const where = [];
  if (rejected.id) where.push(`id ${rejected.id}`);
  if (rejected.column) where.push(`column ${rejected.column}`);
  return where;
}

/** The error that stops a strict run at a bad row of the input `file`. */
export function rejectError(file: string, rejected: CatalogueReject): CatalogueInputError {
  const where = idAndColumn(rejected).join(", ");
  return new CatalogueInputError(
    file,
    `${where ? where + ": " : ""}${rejected.reason}`,
    rejected.row,
  );
}

/** One line for a bad row, e.g. `row 17, column flux_3: "abc" is not a number`. */
export function describeReject(rejected: CatalogueReject): string {
  return `${[`row ${rejected.row}`, ...idAndColumn(rejected)].join(", ")}: ${rejected.reason}`;
}
