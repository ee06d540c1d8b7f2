import assert from "node:assert/strict";
import { chooseRunSource } from "../lib/notebook/notebook.ts";
import { PROFILES } from "../lib/profiles.ts";

const cpu = { backend: "cpu", isFallbackAdapter: false };
const gpu = { backend: "webgpu", isFallbackAdapter: false };
const software = { backend: "webgpu", isFallbackAdapter: true };

Deno.test("chooseRunSource() trains in smoke and on a GPU, and says why", async () => {
  assert.equal((await chooseRunSource(PROFILES.smoke, cpu)).mode, "train");
  const onGpu = await chooseRunSource(PROFILES.full, gpu);
  assert.deepEqual([onGpu.mode, onGpu.reason], ["train", "a GPU is available"]);
  assert.match(onGpu.dir, /out\/runs\/full$/);
});

Deno.test("chooseRunSource() without a GPU loads a committed run, else trains and warns", async () => {
  // A software adapter counts as no GPU. This checkout commits no `smoke`-sized default run,
  // so the answer depends on results/runs/default: load when it exists, train otherwise.
  const source = await chooseRunSource(PROFILES.default, software);
  const committed = await Deno.stat(new URL("../results/runs/default/run.json", import.meta.url))
    .then(() => true, () => false);
  assert.equal(source.mode, committed ? "load" : "train");
  if (!committed) assert.match(source.reason, /no GPU and no committed run/);
});

Deno.test("chooseRunSource() obeys REDSHIFT_RUN and refuses to load a run that is not there", async () => {
  Deno.env.set("REDSHIFT_RUN", "train");
  try {
    assert.equal((await chooseRunSource(PROFILES.full, cpu)).mode, "train");
    Deno.env.set("REDSHIFT_RUN", "load");
    await assert.rejects(chooseRunSource(PROFILES.smoke, cpu), /REDSHIFT_RUN=load: no run in/);
  } finally {
    Deno.env.delete("REDSHIFT_RUN");
  }
});
