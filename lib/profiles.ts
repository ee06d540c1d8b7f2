/**
 * Run profiles: how much work a notebook or the main job does.
 *
 * `smoke` proves the whole sequence works on a CPU in minutes (CI), `default`
 * is a realistic subset with the real architecture that a laptop's CPU trains in about an hour,
 * and `full` is the dissertation's recipe on the full mock (hours on a CPU; the committed run
 * `results/runs/full` was trained on a 2-core CPU).
 *
 * @module
 */
import { DISSERTATION_MODEL, type ModelConfig } from "./model.ts";
import type { BackendName } from "./backend/select.ts";
import { readEnv } from "./_env.ts";

/** Seed of the mock data set (the committed sample and `deno task mock` use it too). */
export const MOCK_SEED = 2023;

/**
 * A narrow variant of the dissertation's network (same layers, 9,217 parameters) for quick tests
 * and the benchmarks' `--narrow`: it trains in seconds even on tfjs's plain CPU backend.
 */
export const NARROW_MODEL: Readonly<Partial<ModelConfig>> = Object.freeze({
  convFilters: [16, 16, 16, 16],
  denseUnits: [32, 32, 16, 16],
});

/** Names of the profiles. */
export type ProfileName = "smoke" | "default" | "full";

/** Environment variable that selects the profile. */
export const PROFILE_ENV = "REDSHIFT_PROFILE";

/** The dissertation's recipe: Adamax at learning rate 0.001 on the Huber loss with δ = 1. */
export const DISSERTATION_RECIPE: Readonly<{ learningRate: number; huberDelta: number }> = Object
  .freeze({ learningRate: 0.001, huberDelta: 1 });

/** Everything a profile fixes. */
export interface RunProfile {
  name: ProfileName;
  /** What the profile is for, printed at the top of every notebook. */
  description: string;
  /** Galaxies simulated (or taken from a real file, at most). */
  galaxies: number;
  /** Architecture; the full one except in `smoke`. */
  model: Partial<ModelConfig>;
  /** Epochs of the model that is evaluated (the dissertation's 20). */
  epochs: number;
  /** Epochs trained in all, to show where validation stops improving (the dissertation's 30). */
  extendedEpochs: number;
  batchSize: number;
  /** Adamax learning rate of the training options (the dissertation's 0.001). */
  learningRate: number;
  /** Huber δ of the training options (the dissertation's 1). */
  huberDelta: number;
  /** Seed of data, split, weights and batch order. */
  seed: number;
  /** Backend to use unless `REDSHIFT_BACKEND` says otherwise; unset: WebGPU when an adapter exists. */
  backend?: BackendName;
}

/** The dissertation's run: its network and recipe, batch 16, 20 epochs evaluated of 30 trained. */
const DISSERTATION_RUN = {
  model: {},
  epochs: 20,
  extendedEpochs: 30,
  batchSize: 16,
  ...DISSERTATION_RECIPE,
  seed: 42,
} as const;

/** The three profiles. */
export const PROFILES: Readonly<Record<ProfileName, RunProfile>> = Object.freeze({
  smoke: {
    name: "smoke",
    description:
      "CI check on a CPU: the 3,000-galaxy sample, the dissertation's network and recipe (pages 05–06: narrow variants), 3 (+1) epochs",
    galaxies: 3_000,
    ...DISSERTATION_RUN,
    epochs: 3,
    extendedEpochs: 4,
    // The CPU path (cpu-blas where BLAS opens): CI machines have no GPU, and Mesa's software
    // WebGPU adapter is slower than the CPU for this network (docs/performance.md).
    backend: "cpu",
  },
  default: {
    name: "default",
    description:
      "a laptop: 50,000 galaxies, the dissertation's network and recipe (batch 16), 20 (+10) epochs",
    galaxies: 50_000,
    ...DISSERTATION_RUN,
  },
  full: {
    name: "full",
    description:
      "the dissertation's scale: 520,393 galaxies, its network and recipe (batch 16), 20 (+10) epochs",
    galaxies: 520_393,
    ...DISSERTATION_RUN,
  },
});

/** The profile named by `name`, else by `$REDSHIFT_PROFILE`, else `default`. */
export function getProfile(name?: string): RunProfile {
  const chosen = name ?? readEnv(PROFILE_ENV) ?? "default";
  if (!(chosen in PROFILES)) {
    throw new RangeError(
      `unknown profile "${chosen}": expected ${Object.keys(PROFILES).join(", ")}`,
    );
  }
  return PROFILES[chosen as ProfileName];
}

/** The full model configuration of a profile. */
export function profileModel(profile: RunProfile): ModelConfig {
  return { ...DISSERTATION_MODEL, ...profile.model, seed: profile.seed };
}
