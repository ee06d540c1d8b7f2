#!/usr/bin/env bash
# The main job: executes every notebook with the Deno kernel and writes an HTML
# page for each, plus an index, into out/report/<profile>/.
#
#   tools/report.sh [--profile smoke|default|full] [--retrain]
#
# Without a profile (and without REDSHIFT_PROFILE) it renders the dissertation's
# reproduction: `full` once results/runs/full is committed, else `default`, on
# every machine. A page whose training would take more than a few minutes here
# presents the committed run, labelled as loaded; --retrain (REDSHIFT_RUN=train)
# trains everything here instead, after printing how long that will take.
# `smoke` is the test command's profile.
#
# Executes with tools/execute_notebook.py, not `nbconvert --execute`, which
# loses displays the Deno kernel sends late (see that file).
#
# Installs what a fresh machine lacks: Jupyter's nbconvert (tools/install_system.sh)
# and the Deno kernel. Deno itself comes from npm
# when this runs as `npx -y deno@2.9.6 task report`.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${REDSHIFT_PROFILE:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile=${2:-}; shift 2 || { echo "--profile needs a value (see --help)" >&2; exit 2; } ;;
    --profile=*) profile=${1#*=}; shift ;;
    --retrain) export REDSHIFT_RUN=train; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "${profile:-}" in
  "") if [ -f results/runs/full/run.json ]; then profile=full; else profile=default; fi ;;
  smoke | default | full) ;;
  *) echo "unknown profile: $profile (expected smoke, default or full)" >&2; exit 2 ;;
esac

source tools/_jupyter.sh
if [ "${REDSHIFT_RUN:-}" = train ] && [ "$profile" != smoke ]; then
  # Measured before anything starts, so that nobody starts a night's work by accident.
  "$deno_bin" run -q -A tools/estimate.ts --profile "$profile" >&2
fi

# Checks the executor keeps displays the kernel sends late (a few seconds).
"$python" tools/execute_notebook.py --self-test 2>/dev/null || {
  "$python" tools/execute_notebook.py --self-test; exit 1; }

out="out/report/$profile"
rm -rf "$out"
mkdir -p "$out/executed"
export REDSHIFT_PROFILE=$profile
# The notebooks' runs go inside the report's own folder, emptied above: a report run is fresh
# (notebook 05 never reads back an earlier search) and leaves out/runs/ (task main's) alone.
export REDSHIFT_RUNS="$PWD/$out/runs"
echo "profile: $profile; writing $out/" >&2
: >"$out/executed/timings.tsv"
for nb in notebooks/[0-9][0-9]*_*.ipynb; do
  name=$(basename "$nb" .ipynb)
  start=$(date +%s)
  # A hang is a bug to find, not to retry (the executor had one: docs/notes.md, "The executor"):
  # each notebook is bounded (REDSHIFT_NOTEBOOK_TIMEOUT seconds, default 600) and one that runs
  # past it fails the report, with the executor's account of what it was waiting for kept in
  # NAME.hung.log. coreutils' timeout, 30 s later, is the backstop should the executor be stuck.
  limit=${REDSHIFT_NOTEBOOK_TIMEOUT:-600}
  if [ "${REDSHIFT_RUN:-}" = train ]; then limit=${REDSHIFT_NOTEBOOK_TIMEOUT:-0}; fi
  timeout_args=()
  watchdog=()
  if [ "$limit" != 0 ]; then
    timeout_args=(--timeout "$limit")
    watchdog=(timeout --kill-after=15 "$((limit + 30))")
  fi
  rc=0
  "${watchdog[@]}" "$python" tools/execute_notebook.py "${timeout_args[@]}" "$nb" \
    "$out/executed/$name.ipynb" 2>"$out/executed/$name.log" || rc=$?
  if [ "$rc" != 0 ]; then
    case "$rc" in 124 | 137) cp "$out/executed/$name.log" "$out/executed/$name.hung.log" ;; esac
    cat "$out/executed/$name.log" >&2
    echo "notebook $nb failed (exit $rc; log: $out/executed/$name.log)" >&2
    exit 1
  fi
  jupyter nbconvert --to html --output-dir "$out" "$out/executed/$name.ipynb" 2>>"$out/executed/$name.log"
  # Formulas rendered now, to MathML: the page needs no MathJax (nbconvert links a local copy).
  "$deno_bin" run -q -A tools/render_math.ts "$out/$name.html" >>"$out/executed/$name.log"
  seconds=$(($(date +%s) - start))
  printf '%s\t%s\n' "$name" "$seconds" >>"$out/executed/timings.tsv"
  echo "  $name: $seconds s" >&2
done
"$deno_bin" run -A tools/check_notebooks.ts --executed "$out"
