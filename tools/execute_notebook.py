"""Executes a notebook with the Deno kernel and keeps every output it shows.

    python3 tools/execute_notebook.py NOTEBOOK.ipynb OUTPUT.ipynb [--kernel deno]
                                      [--cell-timeout SECONDS] [--timeout SECONDS]
    python3 tools/execute_notebook.py --self-test

`--self-test` executes a notebook built to provoke late messages (30 cells,
each sending 200 progress updates and then one figure) and fails unless every
cell ends up with its own figure; `nbconvert --execute` keeps 0 to 14 of the 30.
It then checks `--timeout` (below) on a cell that never ends.

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

`--timeout` bounds the whole notebook. When it passes, the executor prints what
it was waiting for (the phase, the cell, the last messages on each channel, the
kernel's threads as /proc shows them, its own Python stacks) and exits 124, the
status of coreutils' `timeout`. That is the evidence a rare hang needs: in CI a
notebook's kernel has now and then been left idle with nothing arriving.
"""

import argparse
import asyncio
import collections
import faulthandler
import os
import subprocess
import sys
import tempfile
import threading
import time
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
# Exit status when the whole notebook ran past --timeout (that of coreutils' timeout).
EXIT_NOTEBOOK_TIMEOUT = 124
# Messages kept for the report of a hang.
TRACE_LENGTH = 40


class FlushingNotebookClient(NotebookClient):
    """An nbclient that waits for a cell's late broadcasts before moving on.

    It also keeps what a report of a hang needs: the phase it is in and the last messages.
    """

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.started = time.monotonic()
        self.phase = "starting the kernel"
        self.phase_since = self.started
        self.trace: t.Deque[str] = collections.deque(maxlen=TRACE_LENGTH)

    def _enter(self, phase: str) -> None:
        self.phase, self.phase_since = phase, time.monotonic()
        self._note(f"-- {phase}")

    def _note(self, line: str) -> None:
        self.trace.append(f"{time.monotonic() - self.started:8.2f} s  {line}")

    def _received(self, channel: str, msg: t.Dict[str, t.Any], wanted: str) -> None:
        parent = msg["parent_header"].get("msg_id")
        whose = "this request" if parent == wanted else f"request {_short(parent)}"
        state = msg["content"].get("execution_state", "") if msg["msg_type"] == "status" else ""
        self._note(f"{channel}: {msg['msg_type']} {state} ({whose})".replace("  ", " "))

    async def async_start_new_kernel_client(self) -> t.Any:
        kc = await super().async_start_new_kernel_client()
        # Every reply on the shell channel goes into the trace too: a hang report then tells a
        # cell whose execute_reply never came from one whose reply came and whose output did not.
        read_shell = kc.shell_channel.get_msg

        async def traced_shell_get_msg(*args: t.Any, **kwargs: t.Any) -> t.Any:
            msg = read_shell(*args, **kwargs)
            msg = await msg if asyncio.iscoroutine(msg) else msg
            self._received("shell", msg, "")
            return msg

        kc.shell_channel.get_msg = traced_shell_get_msg
        self._enter("waiting for the IOPub channel")
        await self._wait_for_iopub()
        return kc

    async def async_execute_cell(self, cell: t.Any, cell_index: int, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if cell.cell_type == "code" and cell.source.strip():
            first_line = cell.source.strip().splitlines()[0][:70]
            self._enter(f"executing cell {cell_index} ({first_line})")
        return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

    async def _async_cleanup_kernel(self) -> None:
        self._enter("shutting the kernel down")
        await super()._async_cleanup_kernel()

    def kernel_pid(self) -> t.Optional[int]:
        """The kernel's process id, once the kernel has started."""
        return getattr(getattr(getattr(self.km, "provisioner", None), "process", None), "pid", None)

    def describe_hang(self) -> str:
        """What the executor waits for, and the kernel's state, for a report of a hang."""
        now = time.monotonic()
        lines = [
            f"phase: {self.phase}, for {now - self.phase_since:.1f} s "
            f"({now - self.started:.1f} s since the start)",
            f"last {len(self.trace)} events (seconds since the start):",
            *(f"  {line}" for line in self.trace),
        ]
        pid = self.kernel_pid()
        lines.append(f"kernel process: {pid if pid else 'unknown'}")
        if pid:
            lines.extend(f"  {thread}" for thread in _threads_of(pid))
        return "\n".join(lines)

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
            self._note(f"sent kernel_info {_short(msg_id)}")
            deadline = loop.time() + 1.0
            while (remaining := deadline - loop.time()) > 0:
                try:
                    msg = await self.kc.iopub_channel.get_msg(timeout=remaining)
                except Exception:  # queue.Empty: nothing within the second
                    break
                self._received("iopub", msg, msg_id)
                if msg["parent_header"].get("msg_id") == msg_id:
                    return
        self.log.warning("no IOPub message after %s kernel_info requests", IOPUB_TRIES)

    async def _async_poll_output_msg(
        self, parent_msg_id: str, cell: t.Any, cell_index: int
    ) -> None:
        assert self.kc is not None
        self._note(f"sent execute_request {_short(parent_msg_id)}")
        while True:  # the cell's own messages, up to its idle status
            msg = await self.kc.iopub_channel.get_msg(timeout=None)
            self._received("iopub", msg, parent_msg_id)
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    break
        flush_id = self.kc.execute(FLUSH_CODE, silent=False, store_history=False)
        self._note(f"sent the flush request {_short(flush_id)}")
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
            self._received("iopub", msg, flush_id)
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


def _short(msg_id: t.Optional[str]) -> str:
    """A message id's distinctive end (jupyter_client's ids are session_pid_counter)."""
    return str(msg_id).rsplit("_", 1)[-1] if "_" in str(msg_id) else str(msg_id)[:8]


def _threads_of(pid: int) -> t.List[str]:
    """Each thread of process `pid`: its name, state and kernel wait channel, from /proc."""
    rows = []
    try:
        tids = sorted(os.listdir(f"/proc/{pid}/task"), key=int)
    except OSError as e:
        return [f"(cannot read /proc/{pid}/task: {e.strerror})"]
    for tid in tids:
        def read(name: str) -> str:
            try:
                with open(f"/proc/{pid}/task/{tid}/{name}") as f:
                    return f.read().strip()
            except OSError:
                return "?"
        # /proc/PID/stat: "pid (comm) state ...", where comm may hold spaces.
        stat = read("stat")
        state = stat.rsplit(")", 1)[-1].split()[0] if ")" in stat else "?"
        rows.append(f"thread {tid} {read('comm')!r}: state {state}, waiting in {read('wchan') or '-'}")
    return rows


def execute(
    nb: t.Any,
    kernel: str,
    cwd: str,
    cell_timeout: t.Optional[int] = None,
    timeout: t.Optional[float] = None,
) -> None:
    """Runs every cell of `nb` in place, outputs included; a cell over `cell_timeout` s raises.

    Past `timeout` seconds for the whole notebook, it prints a report of what it waits for to
    stderr and exits the process with status 124.
    """
    client = FlushingNotebookClient(
        nb, kernel_name=kernel, timeout=cell_timeout, resources={"metadata": {"path": cwd}}
    )
    watchdog = None
    if timeout is not None:
        watchdog = threading.Timer(timeout, _report_hang_and_exit, args=(client, timeout))
        watchdog.daemon = True
        watchdog.start()
    try:
        client.execute()
    finally:
        if watchdog is not None:
            watchdog.cancel()


def _report_hang_and_exit(client: FlushingNotebookClient, timeout: float) -> None:
    # Runs on the watchdog thread while the event loop waits: it reads the client's state only.
    print(f"\n=== the notebook ran past --timeout {timeout:g} s ===", file=sys.stderr)
    try:
        print(client.describe_hang(), file=sys.stderr)
    except Exception as e:  # the report must not hide the timeout itself
        print(f"(no description of the hang: {e!r})", file=sys.stderr)
    print("executor's Python stacks:", file=sys.stderr)
    sys.stderr.flush()
    faulthandler.dump_traceback(all_threads=True)
    print("=== end of the report ===", file=sys.stderr)
    sys.stderr.flush()
    pid = client.kernel_pid()
    if pid:
        try:
            os.kill(pid, 9)  # the kernel outlives an exit that skips the client's cleanup
        except OSError:
            pass
    os._exit(EXIT_NOTEBOOK_TIMEOUT)


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
    expected = ["ran past --timeout 5 s", "phase: executing cell 1 (await new Promise",
                "sent execute_request", "kernel process: ", "waiting in", "executor's Python stacks"]
    missing = [e for e in expected if e not in run.stderr]
    if run.returncode != EXIT_NOTEBOOK_TIMEOUT or missing:
        print(f"✗ --timeout: exit {run.returncode} (expected {EXIT_NOTEBOOK_TIMEOUT}); the report "
              f"lacks {missing}:\n{run.stderr}", file=sys.stderr)
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
        "--cell-timeout", type=int, default=None,
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
    except CellTimeoutError as e:
        print(f"{args.notebook}: {e}", file=sys.stderr)
        return EXIT_CELL_TIMEOUT
    tmp = args.output + ".tmp"  # written whole, then renamed: no half-written notebook
    nbformat.write(nb, tmp)
    os.replace(tmp, args.output)
    return 0

if __name__ == "__main__":
    sys.exit(main())
