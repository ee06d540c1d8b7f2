// Small phrases the reports of notebooks 05, 06 and 07 share.
import { DISSERTATION_MODEL, type ModelConfig } from "../model.ts";
import type { PitShape } from "../uncertainty/summary.ts";
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

/**
 * The sentence on a PIT histogram that leans to one side ("" when it does not): how often the
 * truth lies below `reference` (the predicted mean, the PDF's median), then `after`.
 */
export function pitLeanSentence(s: PitShape, reference: string, after: string): string {
  if (s.lean === "none") return "";
  const [side, other] = s.lean === "low" ? ["below", "above"] : ["above", "below"];
  return ` And ${pct(s.belowMean)} of the PIT values are below 0.5 (± ${pp(s.se50)}): the true ` +
    `z lies ${side} ${reference} more often than ${other}${after}.`;
}

/** "56 % ± 3": a coverage and its binomial standard error, in percentage points. */
export function pctPm(x: number, se: number): string {
  return `${pct(x, 0)} ± ${Math.max(1, Math.round(100 * se))}`;
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
