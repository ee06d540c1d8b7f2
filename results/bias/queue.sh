#!/bin/bash
# Trains notebook 07's default-profile runs (issue 38) one after another, pinned to OpenBLAS's
# Haswell kernels and 1 thread so that any machine resumes a checkpoint bit for bit; each run
# resumes from its checkpoint. Start: nohup results/bias/queue.sh &
cd "$(dirname "$0")/../.."
while pgrep -f "out results/bias/[a-z]*-seed" >/dev/null; do sleep 30; done
for run in baseline:1 pdf:1 inverse:1 sqrt:1 baseline:2 pdf:2 inverse:2 sqrt:2 baseline:3 pdf:3 inverse:3 sqrt:3; do
  method=${run%:*}; seed=${run#*:}; name=$method-seed$seed
  [ -f results/bias/$name/run.json ] && continue
  case $method in pdf) flags="--head pdf";; sqrt) flags="--weights sqrt";; inverse) flags="--weights inverse";; *) flags="";; esac
  OPENBLAS_CORETYPE=Haswell REDSHIFT_BLAS_THREADS=1 nice -n 10 deno task -q main --profile default \
    --extra-epochs 0 --seed $seed $flags --out results/bias/$name \
    --checkpoint results/bias/$name.ckpt >> results/bias/$name.log 2>&1 || exit 1
done
