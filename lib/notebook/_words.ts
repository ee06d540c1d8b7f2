// Small phrases the reports of notebooks 05, 06 and 07 share.
import { DISSERTATION_MODEL, type ModelConfig } from "../model.ts";
import { type PitShape, pitShape } from "../uncertainty/summary.ts";
import { countParams } from "../search/mod.ts";

/** A share as a percentage: `pct(0.6872)` is "68.7 %". */
export function pct(x: number, digits = 1): string {
  return `${(100 * x).toFixed(digits)} %`;
}

/** A standard error of a share in percentage points, after "±": `pp(0.0123)` is "1.2". */
export function pp(se: number): string {
  return (100 * se).toFixed(1);
}

/** A count with thousands separators: `en(5000)` is "5,000". */
export function en(n: number): string {
  return n.toLocaleString("en");
}

/** The text with its first letter in upper case. */
export function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A bin's range: "0.25–0.30". */
export function binName(r: { zLow: number; zHigh: number }): string {
  return `${r.zLow.toFixed(2)}–${r.zHigh.toFixed(2)}`;
}

/** "+1.5 %" or "−0.3 %": how much `mae` lies above `baseline`. */
export function maeChange(mae: number, baseline: number): string {
  const change = 100 * (mae / baseline - 1);
  return `${change >= 0 ? "+" : "−"}${Math.abs(change).toFixed(1)} %`;
}

/**
 * A 10-bin PIT histogram in words: the shares in its outer and middle bins against 20 % each,
 * what its shape says (`shapes`), and how often the truth lies below `reference`.
 */
export function pitShapeNote(
  label: string,
  counts: readonly number[],
  words: {
    outer: string;
    calibrated: string;
    shapes: Record<PitShape["verdict"], string>;
    reference: string;
    after: string;
  },
): string {
  const s = pitShape(counts);
  const [side, other] = s.lean === "low" ? ["below", "above"] : ["above", "below"];
  const lean = s.lean === "none"
    ? ""
    : ` And ${pct(s.belowMean)} of the PIT values are below 0.5 (± ${pp(s.se50)}): the true z ` +
      `lies ${side} ${words.reference} more often than ${other}${words.after}.`;
  return `**${label}:** ${pct(s.tails)} of the ${en(s.n)} galaxies fall in the two ` +
    `${words.outer} and ${pct(s.centre)} in the two middle ones, against 20 % each for ` +
    `calibrated ${words.calibrated} (± ${pp(s.se20)} from sampling alone): ` +
    `${words.shapes[s.verdict]}.${lean}`;
}

/**
 * What a network is, against the dissertation's: "the dissertation's network (699,073
 * parameters)", or "a narrow variant of the dissertation's layout, not its network: filters
 * 16/16/16/16 …, 9,217 parameters against its 699,073".
 */
export function networkAgainstDissertation(model: ModelConfig): string {
  const d = DISSERTATION_MODEL;
  const params = en(countParams(model));
  const sameLayout = model.convFilters.length === d.convFilters.length &&
    String(model.kernelSizes) === String(d.kernelSizes) &&
    model.denseUnits.length === d.denseUnits.length;
  if (
    sameLayout && String(model.convFilters) === String(d.convFilters) &&
    String(model.denseUnits) === String(d.denseUnits) && model.activation === d.activation &&
    model.inputLength === d.inputLength
  ) {
    return `the dissertation's network (${params} parameters)`;
  }
  const layout = sameLayout
    ? "a narrow variant of the dissertation's layout (the same layers and kernels), not its network"
    : "not the dissertation's network";
  return `${layout}: filters ${model.convFilters.join("/")}, kernels ${
    model.kernelSizes.join("/")
  }, dense ${model.denseUnits.join("/")}, ${params} parameters against the dissertation's ${
    en(countParams(d))
  }`;
}
