"""The notebook runner: executes the notebooks with the Deno kernel and renders the report.

    python3 tools/notebooks.py report [--profile smoke|default|full] [--retrain] [--run-all]
                                      [--limit SECONDS] [--out DIR] [NAME...]
    python3 tools/notebooks.py check
    python3 tools/notebooks.py stress [--executions 200] [--timeout 180] [--log-dir DIR]
                                      [--executor COMMAND] [NOTEBOOK.ipynb...]
    python3 tools/notebooks.py execute [--run-all] [--timeout S] [--cell-timeout S] NOTEBOOK OUTPUT
    python3 tools/notebooks.py self-test

`report` executes every notebook (or the NAMEs given, e.g. 03_model_and_training) and writes
an HTML page for each, plus an index, into out/report/<profile>/ (or --out). Without a profile
(and without REDSHIFT_PROFILE) it renders the dissertation's reproduction: `full` once
results/runs/full is committed, else `default`. A page whose training would take more than a
few minutes here presents the committed run; --retrain (REDSHIFT_RUN=train) trains everything
here, after printing how long that will take. A report run is fresh: the notebooks write their
runs under its folder's runs/, emptied first. Each notebook is bounded (--limit, else
$REDSHIFT_NOTEBOOK_TIMEOUT, else 600 s; no bound with --retrain; 0: none): one that runs past it
fails the report, keeping the executor's account of what it waited for in executed/NAME.hung.log;
a notebook that raises, or shows fewer figures than its `figure(` calls, fails it too: exit 1 (2: a bad argument).
Pages are exported with nbconvert and their formulas rendered to MathML (tools/render_math.ts),
so each is one self-contained file; tools/_index_page.ts writes the index and the page links.

`execute` runs one notebook, one cell at a time: a cell is done when both its `execute_reply`
(shell) and its idle status (IOPub) have arrived, in either order. Late displays: the Deno kernel
(2.9, cli/js/jupyter_kernel.js) queues everything the cell prints or broadcasts and sends it when
it gets to it, stamped with whichever request is current then, which can be after the cell went
idle (8 of 40 figures on a busy 2-core machine; `nbconvert --execute` loses them). So once a cell
is done a one-line "flush" request broadcasts a mark, and the cell collects everything until the
mark, the flush's reply and its idle have arrived: the queue is first in, first out. Exit status:
0 done; 1 a cell raised (printed); 3 a cell ran past --cell-timeout; 124 the notebook ran past
--timeout, after a report of what it waited for (the phase, the last 40 messages, the kernel's
threads as /proc shows them). The output is written whole or not at all.

`--run-all` executes as JupyterLab's *Run All* does instead: every cell's request sent at once,
each output filed under the request it is stamped with, so the page shows what JupyterLab shows
(one flush at the end collects the last cell's late displays). It is the check that the
notebooks, as a user runs them, never leave the kernel busy with requests queued.

`check` is what `deno task notebooks` (so `task ok`) runs: the committed notebooks checked, then
each notebook executed once per check that needs it (CHECKS below), its pages opened in Chromium.

`stress` executes notebooks (default: 00, 01, 02 and 03b, which train nothing) in turn,
--executions times in all, each with --timeout, in the profile of $REDSHIFT_PROFILE (default
smoke). An execution past its timeout (exit 124, or stuck 30 s past it) is a hang, its report kept
in --log-dir. The notebooks are seeded, so each cell must show the same number of outputs every
time, and the notebook at least as many figures as its `figure(` calls: a display lost or filed
under another cell changes those counts. It prints a line per execution and a summary (hangs,
failures, displays lost or moved, time per notebook) and exits 1 unless all are 0. --executor
runs another executor (`OLD.py`, or `OLD.py execute`: e.g. an earlier version from `git show`)
with the same arguments, to compare hang rates.

`self-test` executes a notebook built to provoke late displays (30 cells, each 200 progress
updates and then a figure; `nbconvert --execute` keeps 0 to 14 of the 30 figures) and fails unless
each cell keeps its own figure and last progress line; then it checks --timeout's report, one cell
at a time and with --run-all. A report runs it first (unless --run-all).

The Jupyter client is our own (class Kernel), with no event loop: why in docs/notes.md, "The
executor"; jupyter_client still launches the kernel, writes the connection file and signs messages.
"""

import argparse
import collections
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import typing as t

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NEEDED = "import jupyter_client, nbconvert, nbformat, zmq"


def _reexec_with_jupyter() -> None:
    """Runs this tool under a python3 that imports Jupyter's modules, installing them if none does."""
    for attempt in range(2):
        try:
            return exec(NEEDED)
        except ImportError:
            pass
        for py in ("/usr/bin/python3", shutil.which("python3")):
            if py and py != sys.executable and \
                    not subprocess.run([py, "-c", NEEDED], capture_output=True).returncode:
                os.execv(py, [py, *sys.argv])
        if attempt == 0 and subprocess.run(["bash", f"{HERE}/install_system.sh", "jupyter"]).returncode:
            sys.exit(1)
    sys.exit("notebooks.py: no python3 here imports jupyter_client, nbconvert, nbformat and zmq")


if __name__ == "__main__":
    _reexec_with_jupyter()

import nbformat  # noqa: E402
import zmq  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

Message = t.Dict[str, t.Any]
POLL_S = 0.2  # the longest single poll: a deadline is never overshot by more than this
NOTEBOOKS = re.compile(r"^\d\d[a-z]?_.*\.ipynb$")
FLUSH_MARK = "galaxy-redshift: flush"
FLUSH_CODE = ('await Deno.jupyter.broadcast("display_data", '
              f'{{ data: {{ "text/plain": "{FLUSH_MARK}" }}, metadata: {{}}, transient: {{}} }});')
EXIT_CELL_ERROR, EXIT_CELL_TIMEOUT, EXIT_NOTEBOOK_TIMEOUT = 1, 3, 124  # 124: coreutils' timeout
ANSI = re.compile(r"\x1b\[[0-9;]*m")
FIGURE_CALL = re.compile(r"\bfigure\(")
FIGURE_SHOWN = re.compile(r"<svg|data-figure-omitted=")  # an omitted figure's place counts
QUICK = ["00_background", "01_data_analysis", "02_preprocessing_and_split",
         "03b_the_original_keras_model"]  # the notebooks that train nothing: stress's default
# What `check` runs, and why each execution is needed (deno.json's description says the same).
CHECKS = [
    # The profile a user gets, run as JupyterLab's Run All does, within 2 minutes per notebook
    # (what a student waits for a page on the 2-core machine); its pages go to Chromium.
    dict(profile="default", run_all=True, limit=120, names=[]),
    # The one profile where notebook 03 trains its run here and 04 evaluates it and reloads the
    # saved model (the default profile presents the committed run), with the report's executor.
    dict(profile="smoke", run_all=False, limit=None,
         names=["03_model_and_training", "04_results_and_discussion"]),
]


# -- the Jupyter client ----------------------------------------------------------------------

class Kernel:
    """A started kernel, its shell and IOPub sockets, and a trace of the last 40 messages."""

    def __init__(self, kernel_name: str, cwd: str) -> None:
        self.started = time.monotonic()
        self.trace: t.Deque[str] = collections.deque(maxlen=40)
        self.phase, self.phase_since = "starting the kernel", self.started
        self.manager = KernelManager(kernel_name=kernel_name)
        self.manager.start_kernel(cwd=cwd)
        info = self.manager.get_connection_info()
        self.session = self.manager.session
        self.context = zmq.Context()
        self.shell = self.context.socket(zmq.DEALER)
        self.iopub = self.context.socket(zmq.SUB)
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.poller = zmq.Poller()
        for socket, port in ((self.shell, "shell_port"), (self.iopub, "iopub_port")):
            socket.linger = 0
            socket.connect(f"{info['transport']}://{info['ip']}:{info[port]}")
            self.poller.register(socket, zmq.POLLIN)
        self._ready: t.Deque[t.Tuple[str, Message]] = collections.deque()

    def execute(self, code: str, store_history: bool = True) -> str:
        """Sends an execute_request and returns its message id."""
        content = {"code": code, "silent": False, "store_history": store_history,
                   "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
        msg_id = self.session.send(self.shell, "execute_request", content)["header"]["msg_id"]
        self.note(f"sent execute_request {short(msg_id)}")
        return msg_id

    def receive(self, deadline: float) -> t.Optional[t.Tuple[str, Message]]:
        """The next message from either channel, or None once `deadline` (monotonic) passes."""
        while not self._ready:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            for socket, _ in self.poller.poll(1000 * min(POLL_S, remaining)):
                channel = "shell" if socket is self.shell else "iopub"
                while (msg := self.session.recv(socket, mode=zmq.NOBLOCK)[1]) is not None:
                    self._ready.append((channel, msg))  # everything that has arrived, in order
        channel, msg = self._ready.popleft()
        kind = msg["msg_type"]
        state = f" {msg['content'].get('execution_state')}" if kind == "status" else ""
        self.note(f"{channel}: {kind}{state} (for {short(parent_id(msg))})")
        return channel, msg

    def wait_for_iopub(self) -> None:
        """Returns once IOPub carries this client's messages.

        A SUB socket that has just connected drops what is published before its subscription
        reaches the kernel (ZeroMQ's slow joiner), and a cell whose busy or idle status is lost
        would be waited for in vain: so kernel_info requests go out, a second apart, until the
        status of one of them arrives on IOPub.
        """
        self.enter("waiting for the IOPub channel")
        for _ in range(30):
            msg_id = self.session.send(self.shell, "kernel_info_request", {})["header"]["msg_id"]
            self.note(f"sent kernel_info {short(msg_id)}")
            deadline = time.monotonic() + 1.0
            while (received := self.receive(deadline)) is not None:
                if received[0] == "iopub" and parent_id(received[1]) == msg_id:
                    return
        raise TimeoutError("no IOPub message after 30 kernel_info requests")

    def enter(self, phase: str) -> None:
        self.phase, self.phase_since = phase, time.monotonic()
        self.note(f"-- {phase}")

    def note(self, line: str) -> None:
        self.trace.append(f"{time.monotonic() - self.started:8.2f} s  {line}")

    def pid(self) -> t.Optional[int]:
        provisioner = getattr(self.manager, "provisioner", None)
        return getattr(getattr(provisioner, "process", None), "pid", None)

    def describe(self) -> str:
        """What the client waits for, its last messages, and the kernel's threads."""
        now, pid = time.monotonic(), self.pid()
        return "\n".join([
            f"phase: {self.phase}, for {now - self.phase_since:.1f} s "
            f"({now - self.started:.1f} s since the start)",
            f"last {len(self.trace)} events (seconds since the start):",
            *(f"  {line}" for line in self.trace),
            f"kernel process: {pid if pid else 'unknown'}",
            *(f"  {thread}" for thread in (threads_of(pid) if pid else [])),
        ])

    def kill(self) -> None:
        """Ends the kernel process at once (after a hang: it would outlive the client)."""
        try:
            if pid := self.pid():
                os.kill(pid, 9)
        except OSError:
            pass

    def close(self) -> None:
        """Asks the kernel to shut down (killing it after a few seconds), then closes the sockets."""
        self.enter("shutting the kernel down")
        try:
            self.manager.shutdown_kernel(now=False)
        except Exception:  # a kernel that will not stop is killed: nothing else may outlive us
            self.kill()
        self.shell.close()
        self.iopub.close()
        self.context.term()


def parent_id(msg: Message) -> t.Optional[str]:
    return msg["parent_header"].get("msg_id")


def short(msg_id: t.Optional[str]) -> str:
    """A message id's distinctive end (jupyter_client's ids are session_pid_counter)."""
    return str(msg_id).rsplit("_", 1)[-1] if "_" in str(msg_id) else str(msg_id)[:8]


def threads_of(pid: int) -> t.List[str]:
    """Each thread of process `pid`: its name, state and kernel wait channel, from /proc."""
    try:
        tids = sorted(os.listdir(f"/proc/{pid}/task"), key=int)
    except OSError as e:
        return [f"(cannot read /proc/{pid}/task: {e.strerror})"]

    def read(tid: str, name: str) -> str:
        try:
            with open(f"/proc/{pid}/task/{tid}/{name}") as f:
                return f.read().strip()
        except OSError:
            return "?"
    rows = []
    for tid in tids:
        stat = read(tid, "stat")  # "pid (comm) state ...", where comm may hold spaces
        state = stat.rsplit(")", 1)[-1].split()[0] if ")" in stat else "?"
        rows.append(f"thread {tid} {read(tid, 'comm')!r}: state {state}, "
                    f"waiting in {read(tid, 'wchan') or '-'}")
    return rows


# -- executing a notebook --------------------------------------------------------------------

class CellError(Exception):
    """A cell's execute_reply said error."""


class Timeout(Exception):
    """A deadline passed; `notebook` tells --timeout from --cell-timeout."""

    def __init__(self, notebook: bool, detail: str = "") -> None:
        super().__init__("notebook" if notebook else "cell")
        self.notebook, self.detail = notebook, detail


class Request:
    """One execute_request, the cell its outputs go to, and what has come back for it."""

    def __init__(self, msg_id: str, cell: t.Any, flush: bool = False) -> None:
        self.msg_id, self.cell, self.flush = msg_id, cell, flush
        self.reply: t.Optional[Message] = None
        self.idle = self.marked = False

    @property
    def done(self) -> bool:
        return self.reply is not None and self.idle and (self.marked or not self.flush)


class Outputs:
    """Turns IOPub messages into a notebook's outputs, as Jupyter's front ends do."""

    def __init__(self) -> None:
        self.by_display_id: t.Dict[str, t.List[t.Any]] = {}  # update_display_data replaces them
        self.clear_before_next: t.Set[int] = set()  # cells that asked clear_output(wait=True)

    def add(self, cell: t.Any, msg: Message) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "clear_output":
            if content.get("wait"):
                self.clear_before_next.add(id(cell))
            else:
                cell.outputs = []
            return
        if kind == "update_display_data":
            for output in self.by_display_id.get(content.get("transient", {}).get("display_id"), []):
                output["data"], output["metadata"] = content["data"], content.get("metadata", {})
            return
        if kind not in ("stream", "display_data", "execute_result", "error"):
            return
        if id(cell) in self.clear_before_next:
            self.clear_before_next.discard(id(cell))
            cell.outputs = []
        last = cell.outputs[-1] if cell.outputs else None
        if kind == "stream" and last is not None and last.get("output_type") == "stream" \
                and last.get("name") == content["name"]:
            last["text"] += content["text"]  # one output per run of a stream, as nbclient does
            return
        output = nbformat.v4.output_from_msg(msg)
        cell.outputs.append(output)
        if display_id := content.get("transient", {}).get("display_id"):
            self.by_display_id.setdefault(display_id, []).append(output)


def execute(nb: t.Any, cwd: str, run_all: bool = False, timeout: t.Optional[float] = None,
            cell_timeout: t.Optional[float] = None, kernel_name: str = "deno") -> str:
    """Runs every code cell of `nb` in place, outputs included, and returns a summary line.

    Raises CellError when a cell fails, Timeout past `cell_timeout` (one cell) or `timeout` (the
    whole notebook, after printing a report of what it waited for); 0 or None: no limit.
    """
    deadline = time.monotonic() + (timeout or float("inf"))
    cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
    for _, cell in cells:
        cell.outputs = []
    kernel = Kernel(kernel_name, cwd)
    try:
        try:
            kernel.wait_for_iopub()
            ready, outputs = time.monotonic(), Outputs()
            if run_all:
                _run_all(kernel, cells, outputs, deadline)
            for index, cell in ([] if run_all else cells):
                cell_deadline = time.monotonic() + (cell_timeout or float("inf"))
                kernel.enter(f"executing cell {index} ({cell.source.strip().splitlines()[0][:70]})")
                request = Request(kernel.execute(cell.source), cell)
                _collect(kernel, {request.msg_id: request}, outputs, deadline, cell_deadline)
                _raise_errors([(index, request)])
                _flush(kernel, {request.msg_id: request}, cell, outputs, deadline, cell_deadline)
        except Timeout as e:
            if e.notebook:
                print(f"\n=== the notebook ran past --timeout {timeout:g} s ===\n{e.detail}"
                      f"{kernel.describe()}\n=== end of the report ===", file=sys.stderr, flush=True)
            kernel.kill()
            raise
    finally:
        kernel.close()
    return (f"{len(cells)} cells{' sent at once' if run_all else ''}, every reply and idle received "
            f"in {time.monotonic() - ready:.1f} s ({ready - kernel.started:.1f} s to start the kernel)")


def _run_all(kernel: Kernel, cells: t.List[t.Tuple[int, t.Any]], outputs: Outputs,
             deadline: float) -> None:
    kernel.enter(f"Run All: {len(cells)} requests sent at once")
    requests = [(index, Request(kernel.execute(cell.source), cell)) for index, cell in cells]
    routes = {r.msg_id: r for _, r in requests}
    try:
        _collect(kernel, routes, outputs, deadline)
    except Timeout as e:
        e.detail = "unanswered: " + "; ".join(f"cell {i} (" + ", ".join(
            w for w, missing in (("no reply", r.reply is None), ("no idle", not r.idle)) if missing)
            + ")" for i, r in requests if not r.done) + "\n"
        raise
    _raise_errors(requests)
    if cells:  # the last cell's late displays, which JupyterLab shows under it
        _flush(kernel, routes, cells[-1][1], outputs, deadline)


def _flush(kernel: Kernel, routes: t.Dict[str, Request], cell: t.Any, outputs: Outputs,
           *deadlines: float) -> None:
    kernel.enter("flushing late displays")
    flush = Request(kernel.execute(FLUSH_CODE, store_history=False), cell, flush=True)
    _collect(kernel, {**routes, flush.msg_id: flush}, outputs, *deadlines)
    outputs.clear_before_next.clear()  # a wait that no output followed clears nothing


def _collect(kernel: Kernel, routes: t.Dict[str, Request], outputs: Outputs,
             deadline: float, cell_deadline: float = float("inf")) -> None:
    """Reads until every request in `routes` is done, filing each output under its request's cell."""
    while not all(r.done for r in routes.values()):
        received = kernel.receive(min(deadline, cell_deadline))
        if received is None:
            raise Timeout(notebook=time.monotonic() >= deadline)
        channel, msg = received
        request, kind = routes.get(parent_id(msg)), msg["msg_type"]
        if request is None:
            continue  # a message of an earlier request (kernel_info)
        if channel == "shell":
            request.reply = msg
        elif kind == "status":
            request.idle = request.idle or msg["content"].get("execution_state") == "idle"
        elif request.flush and kind == "display_data" and \
                msg["content"].get("data", {}).get("text/plain") == FLUSH_MARK:
            request.marked = True
        elif not (request.flush and kind == "execute_result"):
            outputs.add(request.cell, msg)


def _raise_errors(requests: t.List[t.Tuple[int, Request]]) -> None:
    errors = []
    for index, r in requests:
        reply = r.reply["content"]
        r.cell.execution_count = reply.get("execution_count")
        if reply.get("status") == "error":
            errors.append(f"cell {index} raised {reply.get('ename')}: {reply.get('evalue')}\n"
                          + ANSI.sub("", "\n".join(reply.get("traceback") or []))
                          + f"\n--- the cell:\n{r.cell.source}")
    if errors:
        raise CellError("\n".join(errors))


def figures(path: str) -> t.Tuple[int, int, int]:
    """Figures shown by the executed notebook at `path`, its `figure(` calls, its error outputs."""
    code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    outputs = [o for c in code for o in c.outputs]
    shown = sum(bool(FIGURE_SHOWN.search(str(o.get("data", {}).get("text/html", ""))))
                for o in outputs)
    return (shown, sum(len(FIGURE_CALL.findall(c.source)) for c in code),
            sum(o.output_type == "error" for o in outputs))


def run_executor(command: t.List[str], log: str, limit: float, env: t.Dict[str, str]) -> int:
    """Runs an executor, its messages into `log`; a backstop 30 s past `limit` (0: none) gives 124."""
    with open(log, "w") as f:
        try:
            return subprocess.run(command, stdout=f, stderr=f, env=env,
                                  timeout=limit + 30 if limit else None).returncode
        except subprocess.TimeoutExpired:  # the executor itself stuck: also a hang
            return EXIT_NOTEBOOK_TIMEOUT


def rel(path: str) -> str:
    """A path as messages show it: from the project's root when inside it."""
    return path.removeprefix(f"{ROOT}/")


def deno() -> str:
    path = shutil.which("deno")
    if not path:
        sys.exit("deno not found: run this through 'npx -y deno@2.9.6 task …'")
    return path


def register_kernel() -> None:
    """(Re)registers the Deno kernel so that it runs the deno on PATH."""
    if subprocess.run([deno(), "jupyter", "--install", "--force"], capture_output=True).returncode:
        sys.exit("could not register the Deno Jupyter kernel ('deno jupyter --install')")


# -- the commands ----------------------------------------------------------------------------

def cmd_execute(args: argparse.Namespace) -> int:
    if args.run_all and args.cell_timeout:
        print("--cell-timeout applies to one cell at a time, not to --run-all", file=sys.stderr)
        return 2
    from jupyter_client.kernelspec import KernelSpecManager
    if args.kernel not in KernelSpecManager().find_kernel_specs():
        register_kernel()
    nb = nbformat.read(args.notebook, as_version=4)
    try:
        summary = execute(nb, os.path.dirname(os.path.abspath(args.notebook)), args.run_all,
                          args.timeout, args.cell_timeout, args.kernel)
    except CellError as e:
        print(f"{args.notebook}: {e}", file=sys.stderr)
        return EXIT_CELL_ERROR
    except Timeout as e:
        if e.notebook:
            return EXIT_NOTEBOOK_TIMEOUT
        print(f"{args.notebook}: a cell ran past --cell-timeout {args.cell_timeout:g} s",
              file=sys.stderr)
        return EXIT_CELL_TIMEOUT
    nbformat.write(nb, args.output + ".tmp")  # written whole, then renamed
    os.replace(args.output + ".tmp", args.output)
    print(f"{os.path.basename(args.notebook)}: {summary}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    profile = args.profile or os.environ.get("REDSHIFT_PROFILE") or \
        ("full" if os.path.isfile(f"{ROOT}/results/runs/full/run.json") else "default")
    if profile not in ("smoke", "default", "full"):
        print(f"unknown profile: {profile} (expected smoke, default or full)", file=sys.stderr)
        return 2
    if args.retrain:
        os.environ["REDSHIFT_RUN"] = "train"
    retrain = os.environ.get("REDSHIFT_RUN") == "train"
    limit = args.limit if args.limit is not None else \
        float(os.environ.get("REDSHIFT_NOTEBOOK_TIMEOUT", 0 if retrain else 600))
    sources = sorted(n for n in os.listdir(f"{ROOT}/notebooks") if NOTEBOOKS.match(n))
    names = {n.removesuffix(".ipynb") for n in args.names}
    if unknown := names - {n.removesuffix(".ipynb") for n in sources}:
        print(f"no such notebook: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    sources = [n for n in sources if not names or n.removesuffix(".ipynb") in names]
    out = os.path.abspath(args.out or f"{ROOT}/out/report/{profile}")
    if os.path.isdir(out) and os.listdir(out) and not os.path.isdir(f"{out}/executed"):
        print(f"{out}: not a report folder, left alone", file=sys.stderr)
        return 2
    os.chdir(ROOT)
    register_kernel()
    if retrain and profile != "smoke":  # measured first, so nobody starts a night's work by accident
        if subprocess.run([deno(), "run", "-q", "-A", "tools/estimate_retraining.ts", "--profile", profile],
                          stdout=sys.stderr).returncode:
            return 1
    if not args.run_all and self_test():  # the report's executor keeps late displays
        return 1
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(f"{out}/executed")
    env = {**os.environ, "REDSHIFT_PROFILE": profile, "REDSHIFT_RUNS": f"{out}/runs"}
    print(f"profile: {profile}; writing {rel(out)}/", file=sys.stderr)
    from nbconvert import HTMLExporter
    for source in sources:
        name, started = source.removesuffix(".ipynb"), time.monotonic()
        executed, log = f"{out}/executed/{source}", f"{out}/executed/{name}.log"
        rc = run_executor([sys.executable, __file__, "execute", *(["--run-all"] * args.run_all),
                           *(["--timeout", f"{limit:g}"] if limit else []),
                           f"notebooks/{source}", executed], log, limit, env)
        with open(log) as f:
            messages = f.read()
        shown, expected, errors = figures(executed) if rc == 0 else (0, 0, 0)
        if rc or shown < expected or errors:
            if rc in (EXIT_NOTEBOOK_TIMEOUT, 137):
                shutil.copy(log, f"{out}/executed/{name}.hung.log")
            print(messages, file=sys.stderr)
            print(f"notebook {source} failed (exit {rc}: log {rel(log)})" if rc else
                  f"notebook {source}: {errors} error outputs; {shown} figures shown of {expected}",
                  file=sys.stderr)
            return 1
        page = f"{out}/{name}.html"
        body, _ = HTMLExporter().from_notebook_node(
            nbformat.read(executed, as_version=4), resources={"metadata": {"name": name}})
        with open(page, "w", encoding="utf-8") as f:
            f.write(body)
        with open(log, "a") as f:  # formulas to MathML now: the page needs no MathJax
            if subprocess.run([deno(), "run", "-q", "-A", "tools/render_math.ts", page],
                              stdout=f).returncode:
                return 1
        seconds = round(time.monotonic() - started)
        with open(f"{out}/executed/timings.tsv", "a") as f:
            f.write(f"{name}\t{seconds}\n")
        summary = [line for line in messages.splitlines() if line.startswith(f"{source}: ")]
        print(f"  {name}: {seconds} s" + (f" ({summary[-1].split(': ', 1)[1]})" if summary else ""),
              file=sys.stderr)
    if subprocess.run([deno(), "run", "-q", "-A", "tools/_index_page.ts", out], env=env).returncode:
        return 1
    print(f"✓ {len(sources)} notebooks executed without errors, every figure shown; "
          f"index at {rel(out)}/index.html")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    os.chdir(ROOT)
    if subprocess.run([deno(), "run", "-q", "-A", "tools/check_notebooks.ts"]).returncode:
        return 1
    for check in CHECKS:
        out = f"out/check/{check['profile']}"
        if cmd_report(argparse.Namespace(retrain=False, out=out, **check)) or \
                subprocess.run([deno(), "run", "-q", "-A", "tools/check_html.ts", out]).returncode:
            return 1
    return 0


def cmd_stress(args: argparse.Namespace) -> int:
    notebooks = args.notebooks or [f"{ROOT}/notebooks/{n}.ipynb" for n in QUICK]
    if args.executions < 1 or args.timeout <= 0 or not all(map(os.path.isfile, notebooks)):
        print("--executions and --timeout must be positive, and each notebook a file", file=sys.stderr)
        return 2
    command = shlex.split(args.executor) if args.executor else [__file__, "execute"]
    command = [sys.executable, *command] if command[0].endswith(".py") else command
    label = " ".join(map(rel, command[1:]))
    register_kernel()
    os.makedirs(args.log_dir, exist_ok=True)
    reference: t.Dict[str, t.List[int]] = {}
    seconds: t.Dict[str, t.List[float]] = collections.defaultdict(list)
    hangs, failures, displays = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "REDSHIFT_PROFILE": os.environ.get("REDSHIFT_PROFILE", "smoke"),
               "REDSHIFT_RUNS": f"{scratch}/runs"}
        for i in range(args.executions):
            path = notebooks[i % len(notebooks)]
            name = os.path.basename(path).removesuffix(".ipynb")
            out, log = f"{scratch}/{name}.ipynb", f"{scratch}/{name}.log"
            started = time.monotonic()
            rc = run_executor([*command, "--timeout", f"{args.timeout:g}", path, out], log,
                              args.timeout, env)
            took, verdict = time.monotonic() - started, "ok"
            if rc == EXIT_NOTEBOOK_TIMEOUT:
                kept = shutil.copy(log, f"{args.log_dir}/{i:04d}_{name}.hang.log")
                hangs.append(f"execution {i} ({name}): {kept}")
                verdict = "HUNG"
            elif rc:
                with open(log) as f:
                    failures.append(f"execution {i} ({name}): exit {rc}: {f.read().strip()[-400:]}")
                verdict = f"FAILED (exit {rc})"
            else:
                # Seeded notebooks show the same number of outputs per cell every time.
                seconds[name].append(took)
                per_cell = [len(c.outputs) for c in nbformat.read(out, as_version=4).cells
                            if c.cell_type == "code"]
                shown, wanted, _ = figures(out)
                if per_cell != reference.setdefault(name, per_cell) or shown < wanted:
                    displays.append(f"execution {i} ({name}): outputs per cell {per_cell}, first "
                                    f"run {reference[name]}; {shown} figures of {wanted}")
                    verdict = "DISPLAYS DIFFER"
            print(f"{i + 1:4d}/{args.executions} {name}: {verdict} in {took:.1f} s", flush=True)
    print(f"\n{args.executions} executions with {label}: {len(hangs)} hangs, {len(failures)} "
          f"failures, {len(displays)} with displays lost or moved")
    for name, times in seconds.items():
        print(f"  {name}: {len(times)} runs, {min(times):.1f}–{max(times):.1f} s")
    for line in hangs + failures + displays:
        print(f"  {line}")
    return 1 if hangs or failures or displays else 0


def self_test() -> int:
    """Checks the executor keeps late displays and reports a hang (the docstring's `self-test`)."""
    code = ("for (let j = 0; j < 200; j++) {{\n"
            '  await Deno.jupyter.broadcast(j ? "update_display_data" : "display_data", {{ data: '
            '{{ "text/plain": `step ${{j}}` }}, metadata: {{}}, transient: {{ display_id: "p{i}" }} }});\n'
            "}}\n"
            'await Deno.jupyter.broadcast("display_data", {{ data: {{ "text/html": "<svg>{i}</svg>" }},'
            " metadata: {{}}, transient: {{}} }});")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code.format(i=i))
                                         for i in range(30)])
    execute(nb, os.getcwd())
    wrong = [f"cell {i}: {shown}" for i, cell in enumerate(nb.cells)
             if (shown := [o["data"].get("text/html") or o["data"].get("text/plain")
                           for o in cell.outputs if "data" in o]) != ["step 199", f"<svg>{i}</svg>"]]
    if wrong:
        print("✗ late displays lost or misplaced:\n  " + "\n  ".join(wrong), file=sys.stderr)
        return 1
    print("✓ executor self-test: each of 30 cells kept its late figure and last progress line")
    waits = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("const started = Date.now();"),
        nbformat.v4.new_code_cell("await new Promise(() => {}); // never settles"),
    ])
    for mode, phase in (([], "executing cell 1 (await new Promise"), (["--run-all"], "Run All")):
        with tempfile.TemporaryDirectory() as folder:
            nbformat.write(waits, f"{folder}/waits.ipynb")
            run = subprocess.run([sys.executable, __file__, "execute", *mode, "--timeout", "5",
                                  f"{folder}/waits.ipynb", f"{folder}/out.ipynb"],
                                 capture_output=True, text=True, timeout=60)
            written = os.path.exists(f"{folder}/out.ipynb")
        expected = ["ran past --timeout 5 s", f"phase: {phase}", "sent execute_request",
                    "kernel process: ", "waiting in"]
        missing = [e for e in expected if e not in run.stderr]
        if run.returncode != EXIT_NOTEBOOK_TIMEOUT or missing or written:
            print(f"✗ --timeout {' '.join(mode)}: exit {run.returncode} (expected 124); the report "
                  f"lacks {missing}; output written: {written}:\n{run.stderr}", file=sys.stderr)
            return 1
    print("✓ executor self-test: --timeout stopped a cell that never ends and said where it waited "
        "(one cell at a time and in Run All)")
    return 0


def main() -> int:
    paragraphs = __doc__.split("\n\n")
    parser = argparse.ArgumentParser(description="\n\n".join(paragraphs[:2]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str, *about: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, formatter_class=parser.formatter_class,
                                   description="\n\n".join(p for p in paragraphs
                                                            if p.startswith(about or f"`{name}`")))
    report = command("report", "execute the notebooks and write their pages")
    report.add_argument("names", nargs="*", metavar="NAME", help="only these notebooks")
    report.add_argument("--profile", help="smoke, default or full")
    report.add_argument("--retrain", action="store_true", help="train everything here")
    report.add_argument("--run-all", action="store_true", help="as JupyterLab's Run All does")
    report.add_argument("--limit", type=float, help="seconds per notebook (0: none)")
    report.add_argument("--out", help="the folder (default out/report/<profile>)")
    command("check", "what `deno task notebooks` runs")
    stress = command("stress", "execute many times; count hangs and lost displays")
    stress.add_argument("notebooks", nargs="*", metavar="NOTEBOOK")
    stress.add_argument("--executions", type=int, default=200)
    stress.add_argument("--timeout", type=float, default=180)
    stress.add_argument("--log-dir", default=f"{ROOT}/out/stress", help="where hang reports go")
    stress.add_argument("--executor", help="another executor's command")
    execute_ = command("execute", "execute one notebook", "`execute`", "`--run-all`")
    execute_.add_argument("notebook")
    execute_.add_argument("output")
    execute_.add_argument("--run-all", action="store_true", help="as JupyterLab's Run All does")
    execute_.add_argument("--kernel", default="deno")
    execute_.add_argument("--cell-timeout", type=float, help="exit 3 past this, per cell")
    execute_.add_argument("--timeout", type=float, help="exit 124 past this, with a report")
    command("self-test", "check the executor itself")
    args = parser.parse_args()
    if args.command == "self-test":
        register_kernel()
        return self_test()
    return {"report": cmd_report, "check": cmd_check, "stress": cmd_stress,
            "execute": cmd_execute}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
