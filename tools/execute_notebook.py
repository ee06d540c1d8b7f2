"""Executes a notebook with the Deno kernel and keeps every output it shows.

    python3 tools/execute_notebook.py NOTEBOOK.ipynb OUTPUT.ipynb [--kernel deno]
                                      [--cell-timeout SECONDS] [--timeout SECONDS]
    python3 tools/execute_notebook.py --self-test

Exit status: 0 done; 1 a cell raised an error (printed); 3 a cell ran past
`--cell-timeout`; 124 the notebook ran past `--timeout`, after a report of what
the executor was waiting for (the phase, the cell, the last 40 messages, the
kernel's threads as /proc shows them). The output is written whole or not at all.

One cell at a time, over the synchronous client of `tools/_jupyter_client.py`: the cell
is done when both its `execute_reply` (shell) and its idle status (IOPub) have
arrived, in either order; the Deno kernel writes the reply first, but the two
travel on different sockets.

Late displays: the Deno kernel (2.9) queues the messages of
`Deno.jupyter.broadcast` and sends them when its main thread gets to them,
stamped with whichever request is current then, which can be after the cell
went idle (8 of 40 figures arrived after idle on a busy 2-core machine; CI once
lost a figure of notebook 05 to `nbconvert --execute`). So once a cell is done
the executor sends a one-line "flush" request whose only effect is a broadcast
of its own, and reads until that broadcast, the flush's reply and its idle have
all arrived. The queue is first in, first out, so by then every late message of
the cell has arrived; each is added to the cell, whether it carries the cell's
id or the flush request's. Nothing else is in flight meanwhile, and the flush
requests are not part of the notebook.

`--self-test` executes a notebook built to provoke late messages (30 cells,
each sending 200 progress updates and then one figure) and fails unless every
cell ends up with its own figure and its last progress line (`nbconvert
--execute` keeps 0 to 14 of the 30 figures); then it checks `--timeout` on a
cell that never ends.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import typing as t

import nbformat

from _jupyter_client import Kernel, Message, parent_id

FLUSH_MARK = "galaxy-redshift: flush"
FLUSH_CODE = (
    'await Deno.jupyter.broadcast("display_data", '
    f'{{ data: {{ "text/plain": "{FLUSH_MARK}" }}, metadata: {{}}, transient: {{}} }});'
)
EXIT_CELL_ERROR = 1
EXIT_CELL_TIMEOUT = 3
# Exit status when the whole notebook ran past --timeout (that of coreutils' timeout).
EXIT_NOTEBOOK_TIMEOUT = 124
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class CellError(Exception):
    """A cell's execute_reply said error."""


class Timeout(Exception):
    """A deadline passed; `notebook` tells --timeout from --cell-timeout."""

    def __init__(self, notebook: bool) -> None:
        super().__init__("notebook" if notebook else "cell")
        self.notebook = notebook


class Request:
    """One execute_request and what has come back for it."""

    def __init__(self, msg_id: str) -> None:
        self.msg_id = msg_id
        self.reply: t.Optional[Message] = None
        self.idle = False

    @property
    def done(self) -> bool:
        return self.reply is not None and self.idle

    def record(self, channel: str, msg: Message) -> bool:
        """Takes the reply or the idle status; False for anything else (output)."""
        if channel == "shell":
            self.reply = msg
        elif msg["msg_type"] == "status":
            self.idle = self.idle or msg["content"].get("execution_state") == "idle"
        elif msg["msg_type"] != "execute_input":
            return False
        return True


class Outputs:
    """Turns IOPub messages into a notebook's outputs, as Jupyter's front ends do."""

    def __init__(self) -> None:
        # display id -> every output shown under it (update_display_data replaces them all)
        self.by_display_id: t.Dict[str, t.List[t.Any]] = {}
        # clear_output(wait=True): the cell's outputs go when its next output arrives
        self.clear_before_next = False

    def add(self, cell: t.Any, msg: Message) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "clear_output":
            if content.get("wait"):
                self.clear_before_next = True
            else:
                cell.outputs = []
            return
        if kind == "update_display_data":
            for output in self.by_display_id.get(content.get("transient", {}).get("display_id"), []):
                output["data"], output["metadata"] = content["data"], content.get("metadata", {})
            return
        if kind not in ("stream", "display_data", "execute_result", "error"):
            return
        if self.clear_before_next:
            self.clear_before_next = False
            cell.outputs = []
        last = cell.outputs[-1] if cell.outputs else None
        if kind == "stream" and last is not None and last.get("output_type") == "stream" \
                and last.get("name") == content["name"]:
            last["text"] += content["text"]  # one output per run of a stream, as nbclient does
            return
        output = nbformat.v4.output_from_msg(msg)
        cell.outputs.append(output)
        display_id = content.get("transient", {}).get("display_id")
        if display_id:
            self.by_display_id.setdefault(display_id, []).append(output)


def execute(
    nb: t.Any,
    kernel_name: str,
    cwd: str,
    cell_timeout: t.Optional[float] = None,
    timeout: t.Optional[float] = None,
) -> None:
    """Runs every code cell of `nb` in place, outputs included.

    Raises CellError when a cell fails, Timeout past `cell_timeout` (one cell) or `timeout` (the
    whole notebook), after printing a report of what it waited for (notebook only).
    """
    notebook_deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
    kernel = Kernel(kernel_name, cwd)
    try:
        try:
            kernel.wait_for_iopub()
            outputs = Outputs()
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code" and cell.source.strip():
                    _run_cell(kernel, cell, index, outputs, notebook_deadline, cell_timeout)
        except Timeout as e:
            if e.notebook:
                _report_hang(kernel, timeout)
            kernel.kill()
            raise
    finally:
        kernel.close()


def _run_cell(
    kernel: Kernel, cell: t.Any, index: int, outputs: Outputs,
    notebook_deadline: float, cell_timeout: t.Optional[float],
) -> None:
    kernel.enter(f"executing cell {index} ({cell.source.strip().splitlines()[0][:70]})")
    cell.outputs = []
    cell_deadline = time.monotonic() + (cell_timeout if cell_timeout is not None else float("inf"))
    request = Request(kernel.execute(cell.source))
    flush: t.Optional[Request] = None
    flushed = False
    while not (flush and flush.done and flushed):
        if request.done and flush is None:
            if request.reply["content"].get("status") == "error":
                break
            kernel.enter(f"flushing cell {index}'s late displays")
            flush = Request(kernel.execute(FLUSH_CODE, store_history=False))
        received = kernel.receive(min(notebook_deadline, cell_deadline))
        if received is None:
            raise Timeout(notebook=time.monotonic() >= notebook_deadline)
        channel, msg = received
        parent = parent_id(msg)
        owner = request if parent == request.msg_id else \
            flush if flush is not None and parent == flush.msg_id else None
        if owner is None or owner.record(channel, msg):
            continue  # a reply, a status, or a message of an earlier request (kernel_info)
        if owner is flush and _is_flush_mark(msg):
            flushed = True
        elif not (owner is flush and msg["msg_type"] == "execute_result"):
            outputs.add(cell, msg)
    outputs.clear_before_next = False  # a wait that no output followed clears nothing
    reply = request.reply["content"]
    cell.execution_count = reply.get("execution_count")
    if reply.get("status") == "error":
        raise CellError(
            f"cell {index} raised {reply.get('ename')}: {reply.get('evalue')}\n"
            + ANSI.sub("", "\n".join(reply.get("traceback") or []))
            + f"\n--- the cell:\n{cell.source}"
        )


def _is_flush_mark(msg: Message) -> bool:
    return msg["msg_type"] == "display_data" and \
        msg["content"].get("data", {}).get("text/plain") == FLUSH_MARK


def _report_hang(kernel: Kernel, timeout: t.Optional[float]) -> None:
    print(f"\n=== the notebook ran past --timeout {timeout:g} s ===", file=sys.stderr)
    print(kernel.describe(), file=sys.stderr)
    print("=== end of the report ===", file=sys.stderr)
    sys.stderr.flush()


def self_test(kernel: str) -> int:
    cells = 30
    code = (
        "for (let j = 0; j < 200; j++) {{\n"
        '  await Deno.jupyter.broadcast(j ? "update_display_data" : "display_data", '
        '{{ data: {{ "text/plain": `step ${{j}}` }}, metadata: {{}}, transient: {{ display_id: "progress-{i}" }} }});\n'
        "}}\n"
        'await Deno.jupyter.broadcast("display_data", {{ data: {{ "text/html": "<svg>figure {i}</svg>" }},'
        " metadata: {{}}, transient: {{}} }});"
    )
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(code.format(i=i)) for i in range(cells)]
    )
    execute(nb, kernel, os.getcwd())
    wrong = []
    for i, cell in enumerate(nb.cells):
        shown = [o["data"].get("text/html") or o["data"].get("text/plain")
                 for o in cell.outputs if "data" in o]
        if shown != ["step 199", f"<svg>figure {i}</svg>"]:
            wrong.append(f"cell {i}: {shown}")
    if wrong:
        print("✗ late displays lost or misplaced:\n  " + "\n  ".join(wrong), file=sys.stderr)
        return 1
    print(f"✓ executor self-test: each of {cells} cells kept its late figure and last progress line")
    return _self_test_hang_report(kernel)


def _self_test_hang_report(kernel: str) -> int:
    """Checks that --timeout stops a notebook that waits for ever, with a report that says where."""
    waits = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("const started = Date.now();"),
        nbformat.v4.new_code_cell("await new Promise(() => {}); // never settles"),
    ])
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "waits.ipynb")
        nbformat.write(waits, path)
        run = subprocess.run(
            [sys.executable, __file__, "--kernel", kernel, "--timeout", "5", path,
             os.path.join(folder, "out.ipynb")],
            capture_output=True, text=True, timeout=60,
        )
        written = os.path.exists(os.path.join(folder, "out.ipynb"))
    expected = ["ran past --timeout 5 s", "phase: executing cell 1 (await new Promise",
                "sent execute_request", "kernel process: ", "waiting in"]
    missing = [e for e in expected if e not in run.stderr]
    if run.returncode != EXIT_NOTEBOOK_TIMEOUT or missing or written:
        print(f"✗ --timeout: exit {run.returncode} (expected {EXIT_NOTEBOOK_TIMEOUT}); the report "
              f"lacks {missing}; output written: {written}:\n{run.stderr}", file=sys.stderr)
        return 1
    print("✓ executor self-test: --timeout stopped a cell that never ends and said where it waited")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", nargs="?")
    parser.add_argument("output", nargs="?")
    parser.add_argument("--kernel", default="deno")
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument(
        "--cell-timeout", type=float, default=None,
        help="fail (exit 3) when one cell runs longer than this many seconds; default: no limit",
    )
    parser.add_argument(
        "--timeout", type=float, default=None,
        help="stop (exit 124) when the whole notebook runs longer than this many seconds, "
        "reporting what it waited for; default: no limit",
    )
    args = parser.parse_args()
    if args.self_test:
        return self_test(args.kernel)
    if not args.notebook or not args.output:
        parser.error("NOTEBOOK and OUTPUT are required")
    nb = nbformat.read(args.notebook, as_version=4)
    try:
        execute(
            nb, args.kernel, os.path.dirname(os.path.abspath(args.notebook)),
            args.cell_timeout, args.timeout,
        )
    except CellError as e:
        print(f"{args.notebook}: {e}", file=sys.stderr)
        return EXIT_CELL_ERROR
    except Timeout as e:
        if e.notebook:
            return EXIT_NOTEBOOK_TIMEOUT
        print(f"{args.notebook}: a cell ran past --cell-timeout {args.cell_timeout:g} s",
              file=sys.stderr)
        return EXIT_CELL_TIMEOUT
    tmp = args.output + ".tmp"  # written whole, then renamed: no half-written notebook
    nbformat.write(nb, tmp)
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
