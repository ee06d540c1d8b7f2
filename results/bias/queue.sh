#!/bin/bash
# Trains notebook 07's default-profile runs (issue 38) one after another, pinned to OpenBLAS's
# Haswell kernels and 1 thread so that any machine resumes a checkpoint bit for bit; each run
# resumes from its checkpoint. It waits for the full-scale run (full.sh, 2 threads) to finish.
# Each run is claimed with a lock that dies with its worker, so two workers share the list and
# use both cores of a 2-core machine: start it twice. Start: nohup results/bias/queue.sh &
cd "$(dirname "$0")/../.."
while pgrep -f "out results/bias/pdf-full" >/dev/null; do sleep 30; done
for run in baseline:1 pdf:1 inverse:1 sqrt:1 baseline:2 pdf:2 inverse:2 sqrt:2 baseline:3 pdf:3 inverse:3 sqrt:3; do
  method=${run%:*}; seed=${run#*:}; name=$method-seed$seed
  [ -f results/bias/$name/run.json ] && continue
  case $method in pdf) flags="--head pdf";; sqrt) flags="--weights sqrt";; inverse) flags="--weights inverse";; *) flags="";; esac
  (
    flock -n 9 || exit 0 # another worker trains it
    OPENBLAS_CORETYPE=Haswell REDSHIFT_BLAS_THREADS=1 nice -n 10 deno task -q main --profile default \
      --extra-epochs 0 --seed $seed $flags --out results/bias/$name \
      --checkpoint results/bias/$name.ckpt >> results/bias/$name.log 2>&1
  ) 9> "/tmp/redshift-bias-$name.lock" || exit 1
done
