#!/bin/bash
# Trains notebook 07's full-scale run (issue 38): the PDF head, the best point of the default
# runs' trade-off, on the full profile (520,393 galaxies, 20 epochs, the baseline full run's seed),
# pinned to OpenBLAS's Haswell kernels and 2 threads so that any machine resumes its checkpoint
# bit for bit. It waits for the baseline full run's extension (results/runs/full) to finish first.
# Start, or resume on a fresh machine: nohup results/bias/full.sh &
cd "$(dirname "$0")/../.."
while pgrep -f "out results/runs/full" >/dev/null; do sleep 30; done
[ -f results/bias/pdf-full/run.json ] && exit 0
OPENBLAS_CORETYPE=Haswell REDSHIFT_BLAS_THREADS=2 nice -n 10 deno task -q main --profile full \
  --extra-epochs 0 --head pdf --out results/bias/pdf-full \
  --checkpoint results/bias/pdf-full.ckpt >> results/bias/pdf-full.log 2>&1
