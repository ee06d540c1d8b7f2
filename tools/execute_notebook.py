"""Executes a notebook with the Deno kernel and keeps every output it shows.

    python3 tools/execute_notebook.py NOTEBOOK.ipynb OUTPUT.ipynb [--kernel deno]
                                      [--cell-timeout SECONDS]
    python3 tools/execute_notebook.py --self-test

`--self-test` executes a notebook built to provoke late messages (30 cells,
each sending 200 progress updates and then one figure) and fails unless every
cell ends up with its own figure; `nbconvert --execute` keeps 0 to 14 of the 30.

Why not `jupyter nbconvert --execute`: nbclient takes a cell as finished when
the kernel reports it idle, but the Deno kernel (2.9) queues the messages of
`Deno.jupyter.broadcast` and sends them after the cell has finished, stamped
with whichever request is current when they leave the queue. A cell that ends
with a display can thus lose it from the export, or see it land in the next
cell (measured with a cell of 5 progress updates and one figure: 8 figures of
40 arrived after idle on a busy 2-core machine). `tools/check_notebooks.ts`
caught this as a figure missing from notebook 05 on CI.

This executor keeps listening after idle: it sends a one-line "flush" request
whose only effect is a broadcast of its own, and reads until that broadcast
arrives. The queue is first in, first out, so by then every late message of
the cell has arrived; each is added to the cell, whether it carries the cell's
id or the flush request's. The flush requests are not part of the notebook.
"""

import argparse
import asyncio
import os
import sys
import typing as t

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellTimeoutError

FLUSH_MARK = "galaxy-redshift: flush"
FLUSH_CODE = (
    'await Deno.jupyter.broadcast("display_data", '
    f'{{ data: {{ "text/plain": "{FLUSH_MARK}" }}, metadata: {{}}, transient: {{}} }});'
)
# Messages of the flush request that are not late output of the cell.
LIFECYCLE = {"status", "execute_input", "execute_result"}
# Exit status when a cell ran past --cell-timeout (the report runs such a notebook once more).
EXIT_CELL_TIMEOUT = 3
# kernel_info requests, a second apart, to see the IOPub socket connected before the first cell.
IOPUB_TRIES = 20
# How long to wait for the flush broadcast before giving up on late messages.
FLUSH_TIMEOUT_S = 60


class FlushingNotebookClient(NotebookClient):
    """An nbclient that waits for a cell's late broadcasts before moving on."""

    async def async_start_new_kernel_client(self) -> t.Any:
        kc = await super().async_start_new_kernel_client()
        await self._wait_for_iopub()
        return kc

    async def _wait_for_iopub(self) -> None:
        """Returns once the IOPub socket carries this client's messages.

        Debian's jupyter_client 7 returns from wait_for_ready before the IOPub subscription is
        connected (ZeroMQ's slow joiner): the first cell's status messages could be lost, and the
        executor would then wait for its idle status for ever (seen on CI-sized runs).
        """
        assert self.kc is not None
        loop = asyncio.get_running_loop()
        for _ in range(IOPUB_TRIES):
            msg_id = self.kc.kernel_info()
            deadline = loop.time() + 1.0
            while (remaining := deadline - loop.time()) > 0:
                try:
                    msg = await self.kc.iopub_channel.get_msg(timeout=remaining)
                except Exception:  # queue.Empty: nothing within the second
                    break
                if msg["parent_header"].get("msg_id") == msg_id:
                    return
        self.log.warning("no IOPub message after %s kernel_info requests", IOPUB_TRIES)

    async def _async_poll_output_msg(
        self, parent_msg_id: str, cell: t.Any, cell_index: int
    ) -> None:
        assert self.kc is not None
        while True:  # the cell's own messages, up to its idle status
            msg = await self.kc.iopub_channel.get_msg(timeout=None)
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    break
        flush_id = self.kc.execute(FLUSH_CODE, silent=False, store_history=False)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FLUSH_TIMEOUT_S
        while True:  # late messages of the cell, up to the flush broadcast
            remaining = deadline - loop.time()
            if remaining <= 0:
                self.log.warning("no flush message after %s s; late outputs may be lost", FLUSH_TIMEOUT_S)
                return
            try:
                msg = await self.kc.iopub_channel.get_msg(timeout=remaining)
            except Exception:  # queue.Empty: the deadline passed
                continue
            parent = msg["parent_header"].get("msg_id")
            kind = msg["msg_type"]
            if parent == flush_id and kind == "display_data" and \
                    msg["content"].get("data", {}).get("text/plain") == FLUSH_MARK:
                return
            late = (parent == parent_msg_id and kind not in ("status", "execute_input")) or \
                (parent == flush_id and kind not in LIFECYCLE)
            if late:
                self.log.info("cell %s: a %s arrived after idle", cell_index, kind)
                self.process_message(msg, cell, cell_index)


def execute(nb: t.Any, kernel: str, cwd: str, cell_timeout: t.Optional[int] = None) -> None:
    """Runs every cell of `nb` in place, outputs included; a cell over `cell_timeout` s raises."""
    FlushingNotebookClient(
        nb, kernel_name=kernel, timeout=cell_timeout, resources={"metadata": {"path": cwd}}
    ).execute()


def self_test(kernel: str) -> int:
    cells = 30
    code = (
        "for (let j = 0; j < 200; j++) {{\n"
        '  await Deno.jupyter.broadcast("update_display_data", {{ data: {{ "text/plain": `step ${{j}}` }},'
        ' metadata: {{}}, transient: {{ display_id: "progress-{i}" }} }});\n'
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
        figures = [o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]
        if figures != [f"<svg>figure {i}</svg>"]:
            wrong.append(f"cell {i}: {figures}")
    if wrong:
        print("✗ late displays lost or misplaced:\n  " + "\n  ".join(wrong), file=sys.stderr)
        return 1
    print(f"✓ executor self-test: each of {cells} cells kept its late figure")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", nargs="?")
    parser.add_argument("output", nargs="?")
    parser.add_argument("--kernel", default="deno")
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument(
        "--cell-timeout", type=int, default=None,
        help="fail (exit 3) when one cell runs longer than this many seconds; default: no limit",
    )
    args = parser.parse_args()
    if args.self_test:
        return self_test(args.kernel)
    if not args.notebook or not args.output:
        parser.error("NOTEBOOK and OUTPUT are required")
    nb = nbformat.read(args.notebook, as_version=4)
    try:
        execute(nb, args.kernel, os.path.dirname(os.path.abspath(args.notebook)), args.cell_timeout)
    except CellTimeoutError as e:
        print(f"{args.notebook}: {e}", file=sys.stderr)
        return EXIT_CELL_TIMEOUT
    tmp = args.output + ".tmp"  # written whole, then renamed: no half-written notebook
    nbformat.write(nb, tmp)
    os.replace(tmp, args.output)
    return 0

if __name__ == "__main__":
    sys.exit(main())
