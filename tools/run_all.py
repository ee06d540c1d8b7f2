"""Runs notebooks the way JupyterLab's *Run All* does, and checks every request is answered.

    python3 tools/run_all.py [--limit SECONDS] [--kernel deno] NOTEBOOK.ipynb...

For each notebook: a fresh kernel started in the notebook's folder, every code
cell's execute_request sent at once (JupyterLab queues them all on *Run All*),
then every message read until each request has both its `execute_reply` and
its idle status, in either order, which is when JupyterLab counts a cell done.
It fails (exit 1) when a request is still unanswered after `--limit` seconds
(default 120: what a student waits for a page, on the 2-core machine), or when
a cell raised an error; it prints one line per notebook with its time.

This is the check that the notebooks, as a user runs them in JupyterLab, finish
in minutes and never leave the kernel busy: the report's executor
(`tools/execute_notebook.py`) runs cells one by one and cannot see a kernel
that stalls with several requests queued.
"""

import argparse
import os
import sys
import time
import typing as t

import nbformat

from _jupyter_client import Kernel, parent_id


def run_all(path: str, kernel_name: str, limit: float) -> t.Tuple[bool, str]:
    """Whether every request of the notebook at `path` was answered in time, and a summary line."""
    nb = nbformat.read(path, as_version=4)
    codes = [c.source for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    started = time.monotonic()
    kernel = Kernel(kernel_name, os.path.dirname(os.path.abspath(path)))
    try:
        kernel.wait_for_iopub()
        kernel.enter(f"Run All: {len(codes)} requests sent at once")
        sent = time.monotonic()
        order = [kernel.execute(code) for code in codes]
        pending = {msg_id: {"reply": None, "idle": False} for msg_id in order}
        errors: t.List[str] = []
        displays = 0
        deadline = sent + limit
        while any(s["reply"] is None or not s["idle"] for s in pending.values()):
            received = kernel.receive(deadline)
            if received is None:
                break
            channel, msg = received
            state = pending.get(parent_id(msg))
            if state is None:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if channel == "shell":
                state["reply"] = msg
                if content.get("status") != "ok":
                    cell = order.index(parent_id(msg))
                    errors.append(f"cell {cell}: {content.get('ename')}: {content.get('evalue')}")
            elif kind == "status" and content.get("execution_state") == "idle":
                state["idle"] = True
            elif kind in ("display_data", "execute_result", "stream"):
                displays += 1
        seconds = time.monotonic() - sent
        name = os.path.basename(path)
        missing = [f"cell {i}: " + ", ".join(
            what for what, absent in (("no reply", pending[m]["reply"] is None),
                                      ("no idle", not pending[m]["idle"])) if absent)
            for i, m in enumerate(order) if pending[m]["reply"] is None or not pending[m]["idle"]]
        if missing:
            return False, (f"{name}: after {seconds:.0f} s, {len(missing)} of {len(order)} requests "
                           f"unanswered ({'; '.join(missing[:5])})\n{kernel.describe()}")
        if errors:
            return False, f"{name}: " + "; ".join(errors)
        return True, (f"{name}: {len(order)} requests sent at once, every reply and idle received "
                      f"in {seconds:.1f} s ({displays} outputs; "
                      f"{sent - started:.1f} s to start the kernel)")
    finally:
        kernel.close()  # a kernel still busy is killed after a few seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--kernel", default="deno")
    parser.add_argument("--limit", type=float, default=120,
                        help="seconds a notebook may take from its first request (default 120)")
    args = parser.parse_args()
    failed = 0
    for path in args.notebooks:
        ok, line = run_all(path, args.kernel, args.limit)
        print(("✓ " if ok else "✗ ") + line, file=sys.stdout if ok else sys.stderr, flush=True)
        failed += not ok
    if failed:
        print(f"✗ {failed} of {len(args.notebooks)} notebooks did not finish Run All within "
              f"{args.limit:g} s", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
