/**
 * The five rest-frame galaxy components and the five emission-line groups.
 *
 * Continua come from the galaxy model fitted to the kcorrect templates
 * (`_calibration.ts`); each is normalised to F_λ(5500 Å) = 1. Line groups
 * bundle lines whose ratios are fixed: by atomic physics ([O III] 5007/4959
 * = 2.98, [N II] 6584/6548 = 2.95) or, where they depend on the gas, by the
 * most line-rich template (t2: Balmer decrement, [S II] doublet ratio).
 *
 * @module
 */
import { TEMPLATES } from "./_calibration.ts";
import { continuumModel, EMISSION_LINES, LINE_GROUPS, type LineGroup } from "./_sed_model.ts";

/** Number of continuum components (the fitted kcorrect templates t1..t5). */
export const N_TEMPLATES = TEMPLATES.length;

/** Rest-frame grid (Å) the continua are tabulated on: covers 320–1070 nm seen at 0 ≤ z ≤ 0.6. */
export const REST_MIN_A = 1990, REST_MAX_A = 10800, REST_STEP_A = 1;
const N_REST = (REST_MAX_A - REST_MIN_A) / REST_STEP_A + 1;

let continua: Float64Array[] | null = null;

/** Each template's continuum F_λ on the rest grid (normalised to 1 at 5500 Å). */
export function restContinua(): Float64Array[] {
  if (continua) return continua;
  const lam = Array.from({ length: N_REST }, (_, i) => REST_MIN_A + i * REST_STEP_A);
  continua = TEMPLATES.map((t) => Float64Array.from(continuumModel(t.continuum, lam)));
  return continua;
}

/** Linear interpolation of a rest-grid table at `lambdaA` (0 outside the grid). */
export function restAt(table: Float64Array, lambdaA: number): number {
  const x = (lambdaA - REST_MIN_A) / REST_STEP_A;
  if (x < 0 || x > N_REST - 1) return 0;
  const i = Math.min(Math.floor(x), N_REST - 2);
  const t = x - i;
  return table[i] + (table[i + 1] - table[i]) * t;
}

/** One line of a group: rest wavelength (Å) and flux relative to the group's total. */
export interface GroupLine {
  restA: number;
  share: number;
}

function measured(t: number, name: string): number {
  return Math.max(0, (TEMPLATES[t].lineFluxA as Record<string, number>)[name]);
}

/** A line's flux in t2, the template with the strongest lines. */
const rich = (name: string) => measured(1, name);

/** Line ratios within each group: fixed by atomic physics, or where set by the gas, t2's. */
const GROUP_RATIOS: Record<LineGroup, Record<string, number>> = {
  oii: { oii_3727: 1 },
  // Hδ is weak and blended with Hδ absorption in the templates: case B Hδ/Hγ = 0.553.
  balmer: {
    h_alpha: rich("h_alpha"),
    h_beta: rich("h_beta"),
    h_gamma: rich("h_gamma"),
    h_delta: 0.553 * rich("h_gamma"),
  },
  oiii: { oiii_4959: 1, oiii_5007: 2.98 },
  nii: { nii_6548: 1, nii_6584: 2.95 },
  sii: { sii_6717: rich("sii_6717"), sii_6731: rich("sii_6731") },
};

/** The lines of each group with their shares of the group's flux. */
export const GROUP_LINES: Readonly<Record<LineGroup, GroupLine[]>> = Object.fromEntries(
  LINE_GROUPS.map((g) => {
    const ratios = Object.entries(GROUP_RATIOS[g]);
    const total = ratios.reduce((s, [, v]) => s + v, 0);
    const restA = (name: string) => EMISSION_LINES.find((l) => l.name === name)!.restA;
    return [g, ratios.map(([name, v]) => ({ restA: restA(name), share: v / total }))];
  }),
) as Record<LineGroup, GroupLine[]>;

/**
 * Group flux (Å × F_λ(5500)) of each template: the sum of its measured lines, clipped at 0.
 *
 * `GROUP_STRENGTH[t][g]` for template t and group g in {@link LINE_GROUPS} order.
 */
export const GROUP_STRENGTH: readonly Float64Array[] = TEMPLATES.map((_, t) =>
  Float64Array.from(LINE_GROUPS, (g) => {
    const names = EMISSION_LINES.filter((l) => l.group === g).map((l) => l.name);
    return Math.max(0, names.reduce((s, n) => s + measured(t, n), 0));
  })
);
