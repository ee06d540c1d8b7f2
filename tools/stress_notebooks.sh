#!/usr/bin/env bash
# Executes notebooks many times with the report's executor and counts hangs and lost displays
# (tools/stress_notebooks.py; its --help lists the flags, e.g. --executions 200).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/_jupyter.sh
"$python" tools/stress_notebooks.py "$@"
