"""Executes notebooks many times with the report's executor and counts hangs and lost displays.

    python3 tools/stress_notebooks.py [--executions 200] [--timeout 180] [--log-dir DIR]
                                      [--executor FILE] [NOTEBOOK.ipynb...]

The notebooks (default: the four that train nothing, 00, 01, 02 and 03b) are
executed in turn, `--executions` times in all, each by `--executor` (default
tools/execute_notebook.py) with `--timeout`, in the profile of
`$REDSHIFT_PROFILE` (default smoke). An execution that runs past its timeout
(exit 124, or killed by the backstop 30 s later) is a hang; its report is kept
in `--log-dir`. Every execution's displays are checked too: the notebooks are
seeded, so each cell must show the same number of outputs every time, and at
least as many figures as the notebook's `figure(` calls. A display lost or filed
under another cell changes those counts.

Prints one line per execution and a summary: executions, hangs, failures, lost
or moved displays and the time per notebook; exits 1 if any of those is not 0.
`--executor` takes another executor (for example an earlier version of the
file, from `git show`), to compare hang rates with the same command.
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time
import typing as t

import nbformat

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIGURE_CALL = re.compile(r"\bfigure\(")
QUICK = ["00_background", "01_data_analysis", "02_preprocessing_and_split",
         "03b_the_original_keras_model"]


def display_signature(path: str) -> t.Tuple[t.List[int], int]:
    """Outputs per code cell, and figures (SVG in text/html) in all, of an executed notebook."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    figures = sum("<svg" in str(o.get("data", {}).get("text/html", ""))
                  for c in cells for o in c.outputs)
    return [len(c.outputs) for c in cells], figures


def expected_figures(path: str) -> int:
    """The notebook's `figure(` calls (tools/_expected_figures.ts counts the same)."""
    nb = nbformat.read(path, as_version=4)
    return sum(len(FIGURE_CALL.findall(c.source)) for c in nb.cells if c.cell_type == "code")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--executions", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--executor", default=os.path.join(HERE, "execute_notebook.py"))
    parser.add_argument("--log-dir", default=os.path.join(ROOT, "out", "stress"))
    args = parser.parse_args()
    if args.executions < 1 or args.timeout <= 0:
        parser.error("--executions and --timeout must be positive")
    notebooks = args.notebooks or [os.path.join(ROOT, "notebooks", f"{n}.ipynb") for n in QUICK]
    for path in notebooks:
        if not os.path.isfile(path):
            parser.error(f"{path}: no such notebook")
    os.makedirs(args.log_dir, exist_ok=True)
    env = {**os.environ, "REDSHIFT_PROFILE": os.environ.get("REDSHIFT_PROFILE", "smoke")}
    reference: t.Dict[str, t.List[int]] = {}
    seconds: t.Dict[str, t.List[float]] = collections.defaultdict(list)
    hangs, failures, displays = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        env["REDSHIFT_RUNS"] = os.path.join(scratch, "runs")
        for i in range(args.executions):
            path = notebooks[i % len(notebooks)]
            name = os.path.basename(path).removesuffix(".ipynb")
            out = os.path.join(scratch, f"{name}.ipynb")
            started = time.monotonic()
            try:
                run = subprocess.run(
                    [sys.executable, args.executor, "--timeout", str(args.timeout), path, out],
                    env=env, capture_output=True, text=True, timeout=args.timeout + 30,
                )
                rc, stderr = run.returncode, run.stderr
            except subprocess.TimeoutExpired as e:  # the executor itself stuck: also a hang
                rc, stderr = 124, (e.stderr or b"").decode(errors="replace") \
                    if isinstance(e.stderr, bytes) else (e.stderr or "")
            took = time.monotonic() - started
            verdict = "ok"
            if rc == 124:
                log = os.path.join(args.log_dir, f"{i:04d}_{name}.hang.log")
                with open(log, "w") as f:
                    f.write(stderr)
                hangs.append(f"execution {i} ({name}): {log}")
                verdict = "HUNG"
            elif rc != 0:
                failures.append(f"execution {i} ({name}): exit {rc}: {stderr.strip()[-400:]}")
                verdict = f"FAILED (exit {rc})"
            else:
                seconds[name].append(took)
                per_cell, figures = display_signature(out)
                reference.setdefault(name, per_cell)
                wanted = expected_figures(path)
                if per_cell != reference[name] or figures < wanted:
                    displays.append(f"execution {i} ({name}): outputs per cell {per_cell}, first "
                                    f"run {reference[name]}; {figures} figures of {wanted}")
                    verdict = "DISPLAYS DIFFER"
            print(f"{i + 1:4d}/{args.executions} {name}: {verdict} in {took:.1f} s", flush=True)
    print(f"\n{args.executions} executions with {os.path.relpath(args.executor, ROOT)}: "
          f"{len(hangs)} hangs, {len(failures)} failures, {len(displays)} with displays lost "
          f"or moved")
    for name, times in seconds.items():
        print(f"  {name}: {len(times)} runs, {min(times):.1f}–{max(times):.1f} s")
    for line in hangs + failures + displays:
        print(f"  {line}")
    return 1 if hangs or failures or displays else 0


if __name__ == "__main__":
    sys.exit(main())
