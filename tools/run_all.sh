#!/usr/bin/env bash
# Runs every notebook as JupyterLab's *Run All* does (tools/run_all.py: all of a notebook's
# requests sent at once), in the profile a user gets by default, and fails unless each finishes,
# every request answered, within --limit seconds (default 120).
#
#   tools/run_all.sh [--profile default|smoke|full] [--limit SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
profile=default
limit=120
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile=${2:?--profile needs a value}; shift 2 ;;
    --limit) limit=${2:?--limit needs a value}; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
source tools/_jupyter.sh
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
# A user's runs folder starts empty too: what notebook 03 trains, notebook 04 evaluates.
REDSHIFT_PROFILE=$profile REDSHIFT_RUNS=$runs \
  "$python" tools/run_all.py --limit "$limit" notebooks/[0-9][0-9]*_*.ipynb
