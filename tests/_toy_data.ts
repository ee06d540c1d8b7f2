// A small learnable problem for training tests: each "spectrum" is a noisy
// bump whose position encodes z, as an emission line's does.
import { Random } from "../lib/random.ts";
import { buildModel, resolveModelConfig } from "../lib/model.ts";
import { fitMinMax } from "../lib/min_max_scaler.ts";
import { saveModel } from "../lib/runs/model_folder.ts";
import { train, type XY } from "../lib/train.ts";

/** `n` spectra of `length` samples whose bump centre moves with z ∈ [0, 0.6]. */
export function bumpData(n: number, seed: number, length = 186): XY {
  const r = new Random(seed);
  const x = new Float32Array(n * length), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const z = r.uniform() * 0.6;
    y[i] = z;
    const centre = 30 + z * 200;
    for (let j = 0; j < length; j++) {
      x[i * length + j] = Math.exp(-((j - centre) ** 2) / 60) + 0.05 * r.normal();
    }
  }
  return { x, y };
}

/** A narrow variant of the dissertation's architecture, quick to train on a CPU. */
export const NARROW = { convFilters: [8, 8, 8, 8], denseUnits: [16, 16, 16, 16] };

/**
 * A model folder in a new temporary folder (`dir/model`): the {@link NARROW} network, seeded with
 * `seed`, its scaler fitted on `rows` bump spectra, trained on them for `epochs` (0: untrained).
 */
export async function savedToyModel(options: { seed: number; rows: number; epochs: number }) {
  const dir = await Deno.makeTempDir();
  const modelConfig = resolveModelConfig({ ...NARROW, seed: options.seed });
  const model = buildModel(modelConfig);
  const data = bumpData(options.rows, 1);
  const scaler = fitMinMax(data.x, "all", { fittedOn: "test rows" });
  const history = options.epochs === 0 ? [] : (await train(
    model,
    { train: { x: scaler.transform(data.x), y: data.y } },
    { epochs: options.epochs, batchSize: 32, seed: 1 },
  )).history;
  await saveModel(`${dir}/model`, model, { modelConfig, scaler, history, run: {} });
  return { dir, modelDir: `${dir}/model`, model, scaler };
}
