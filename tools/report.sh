#!/usr/bin/env bash
# The main job: executes every notebook with the Deno kernel and writes an HTML
# page for each, plus an index, into out/report/<profile>/.
#
#   tools/report.sh [--profile smoke|default|full]
#
# Without a profile (and without REDSHIFT_PROFILE), it runs `default` when a
# hardware GPU adapter is available and `smoke` otherwise: the real network
# would take days on a CPU.
#
# Executes with tools/execute_notebook.py (nbclient), not `nbconvert --execute`,
# which loses displays the Deno kernel sends late (see that file).
#
# Installs what a fresh machine lacks: Jupyter's nbconvert (tools/install_system.sh)
# and the Deno kernel. Deno itself comes from npm
# when this runs as `npx -y deno@2.9.6 task report`.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${REDSHIFT_PROFILE:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile=$2; shift 2 ;;
    --profile=*) profile=${1#*=}; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

deno_bin=$(command -v deno || true)
[ -n "$deno_bin" ] || { echo "deno not found: run this as 'npx -y deno@2.9.6 task report'" >&2; exit 1; }

if [ -z "$profile" ]; then
  gpu=$("$deno_bin" eval 'const a = await navigator.gpu?.requestAdapter().catch(() => null);
    console.log(a && !a.info.isFallbackAdapter ? a.info.description || "a GPU" : "")' 2>/dev/null || true)
  if [ -n "$gpu" ]; then
    profile=default
    echo "GPU found ($gpu): running the default profile" >&2
  else
    profile=smoke
    echo "no GPU adapter: running the smoke profile (--profile default|full to override)" >&2
  fi
fi

# The executor (tools/execute_notebook.py) runs on nbclient; the HTML comes from nbconvert.
python_with_nbclient() {
  for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null && "$py" -c 'import nbclient, nbformat' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  return 1
}
# nbconvert is installed where pip --user puts it when Debian's packages cannot be used.
export PATH="$PATH:$HOME/.local/bin"
bash tools/install_system.sh jupyter
python=$(python_with_nbclient) || {
  echo "nbclient is installed but no python3 on PATH imports it" >&2; exit 1; }
# (Re)register the Deno kernel so that it runs this deno.
"$deno_bin" jupyter --install --force >/dev/null 2>&1 || {
  echo "could not register the Deno Jupyter kernel ('deno jupyter --install')" >&2; exit 1; }

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
  # A smoke-profile notebook takes at most 61 s (06_uncertainty, clean-clone CI, 2026-11-24). Now
  # and then one hangs with its kernel idle and nothing arriving (00_background in that same run),
  # so the smoke report bounds the whole notebook (REDSHIFT_NOTEBOOK_TIMEOUT seconds, default 180,
  # 3 x the slowest) and runs a notebook that hangs again, up to 3 times in all, rather than
  # holding CI to its limit. The executor's own --timeout reports what it was waiting for; that
  # report is kept (NAME.hungN.log) and shown, so that a rare hang leaves its evidence behind.
  # coreutils' timeout, 30 s later, is the backstop should the executor itself be stuck.
  timeout_args=()
  watchdog=()
  if [ "$profile" = smoke ]; then
    limit=${REDSHIFT_NOTEBOOK_TIMEOUT:-180}
    timeout_args=(--cell-timeout 600 --timeout "$limit")
    watchdog=(timeout --kill-after=15 "$((limit + 30))")
  fi
  for attempt in 1 2 3; do
    rc=0
    "${watchdog[@]}" "$python" tools/execute_notebook.py "${timeout_args[@]}" "$nb" \
      "$out/executed/$name.ipynb" 2>"$out/executed/$name.log" || rc=$?
    case "$rc" in 3 | 124 | 137) ;; *) break ;; esac
    cp "$out/executed/$name.log" "$out/executed/$name.hung$attempt.log"
    sed -n '/^=== the notebook ran past/,/^executor.s Python stacks/p' "$out/executed/$name.log" >&2
    [ "$attempt" -lt 3 ] || break
    echo "  $name: it hung (exit $rc; log: $out/executed/$name.hung$attempt.log); running the notebook again" >&2
  done
  if [ "$rc" != 0 ]; then
    cat "$out/executed/$name.log" >&2
    echo "notebook $nb failed (log: $out/executed/$name.log)" >&2
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
