"""A Jupyter kernel and one synchronous client of it, for the notebook tools.

    kernel = Kernel("deno", cwd="notebooks")
    msg_id = kernel.execute("1 + 1")
    while (received := kernel.receive(deadline)) is not None:
        channel, msg = received          # "shell" or "iopub", and the message
    kernel.close()

Why not jupyter_client's own clients: in jupyter_client 7 (Debian 12) both the
blocking and the async client read through pyzmq's asyncio layer, and nbclient
runs two coroutines on the shell socket at once (one waits for the reply while
the other sends). The report's old executor, built that way, now and then waited
for ever for an `execute_reply` with the kernel idle (docs/notes.md, "The
executor"). This client has no event loop and no coroutines: one thread, plain
blocking ZeroMQ sockets, and every wait a `zmq.Poller` poll of at most
`POLL_S` seconds that sees both channels, so a message that has arrived is
always read and routed by its parent's message id, and every wait ends by a
deadline.

jupyter_client is still used for what it is good at: launching the kernel from
its kernelspec, the connection file, and signing messages (`Session`).
"""

import collections
import os
import time
import typing as t

import zmq
from jupyter_client.manager import KernelManager

# The longest single poll: a deadline is never overshot by more than this.
POLL_S = 0.2
# kernel_info requests, a second apart, to see the IOPub socket connected before the first cell.
IOPUB_TRIES = 30
# Messages kept for the report of a hang.
TRACE_LENGTH = 40

Message = t.Dict[str, t.Any]


class Kernel:
    """A started kernel, its shell and IOPub sockets, and a trace of the last messages."""

    def __init__(self, kernel_name: str, cwd: str) -> None:
        self.started = time.monotonic()
        self.trace: t.Deque[str] = collections.deque(maxlen=TRACE_LENGTH)
        self.phase, self.phase_since = "starting the kernel", self.started
        self.manager = KernelManager(kernel_name=kernel_name)
        self.manager.start_kernel(cwd=cwd)
        info = self.manager.get_connection_info()
        self.session = self.manager.session
        self.context = zmq.Context()
        self.shell = self.context.socket(zmq.DEALER)
        self.shell.linger = 0
        self.shell.connect(_address(info, "shell_port"))
        self.iopub = self.context.socket(zmq.SUB)
        self.iopub.linger = 0
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.iopub.connect(_address(info, "iopub_port"))
        self.poller = zmq.Poller()
        self.poller.register(self.shell, zmq.POLLIN)
        self.poller.register(self.iopub, zmq.POLLIN)
        self._ready: t.Deque[t.Tuple[str, Message]] = collections.deque()

    # -- sending and receiving -------------------------------------------------------------

    def execute(self, code: str, store_history: bool = True) -> str:
        """Sends an execute_request and returns its message id."""
        content = {"code": code, "silent": False, "store_history": store_history,
                   "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
        msg = self.session.send(self.shell, "execute_request", content)
        self.note(f"sent execute_request {short(msg['header']['msg_id'])}")
        return msg["header"]["msg_id"]

    def receive(self, deadline: float) -> t.Optional[t.Tuple[str, Message]]:
        """The next message from either channel, or None once `deadline` (monotonic) passes."""
        while not self._ready:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            for socket, _ in self.poller.poll(1000 * min(POLL_S, remaining)):
                channel = "shell" if socket is self.shell else "iopub"
                while True:  # everything that has arrived on this socket, in order
                    _, msg = self.session.recv(socket, mode=zmq.NOBLOCK)
                    if msg is None:
                        break
                    self._ready.append((channel, msg))
        channel, msg = self._ready.popleft()
        self.note(f"{channel}: {describe_message(msg)}")
        return channel, msg

    def wait_for_iopub(self) -> None:
        """Returns once IOPub carries this client's messages.

        A SUB socket that has just connected drops what is published before its subscription
        reaches the kernel (ZeroMQ's slow joiner), and a cell whose busy or idle status is lost
        would be waited for in vain: so kernel_info requests go out, a second apart, until the
        status of one of them arrives on IOPub.
        """
        self.enter("waiting for the IOPub channel")
        for _ in range(IOPUB_TRIES):
            msg = self.session.send(self.shell, "kernel_info_request", {})
            msg_id = msg["header"]["msg_id"]
            self.note(f"sent kernel_info {short(msg_id)}")
            deadline = time.monotonic() + 1.0
            while (received := self.receive(deadline)) is not None:
                channel, reply = received
                if channel == "iopub" and parent_id(reply) == msg_id:
                    return
        raise TimeoutError(f"no IOPub message after {IOPUB_TRIES} kernel_info requests")

    # -- the trace a hang report shows ---------------------------------------------------

    def enter(self, phase: str) -> None:
        self.phase, self.phase_since = phase, time.monotonic()
        self.note(f"-- {phase}")

    def note(self, line: str) -> None:
        self.trace.append(f"{time.monotonic() - self.started:8.2f} s  {line}")

    def pid(self) -> t.Optional[int]:
        """The kernel's process id."""
        provisioner = getattr(self.manager, "provisioner", None)
        return getattr(getattr(provisioner, "process", None), "pid", None)

    def describe(self) -> str:
        """What the client waits for, its last messages, and the kernel's threads."""
        now = time.monotonic()
        lines = [
            f"phase: {self.phase}, for {now - self.phase_since:.1f} s "
            f"({now - self.started:.1f} s since the start)",
            f"last {len(self.trace)} events (seconds since the start):",
            *(f"  {line}" for line in self.trace),
        ]
        pid = self.pid()
        lines.append(f"kernel process: {pid if pid else 'unknown'}")
        if pid:
            lines.extend(f"  {thread}" for thread in threads_of(pid))
        return "\n".join(lines)

    # -- shutting down --------------------------------------------------------------------

    def kill(self) -> None:
        """Ends the kernel process at once (after a hang: it would outlive the client)."""
        pid = self.pid()
        if pid:
            try:
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


def _address(info: t.Dict[str, t.Any], port: str) -> str:
    return f"{info['transport']}://{info['ip']}:{info[port]}"


def parent_id(msg: Message) -> t.Optional[str]:
    return msg["parent_header"].get("msg_id")


def short(msg_id: t.Optional[str]) -> str:
    """A message id's distinctive end (jupyter_client's ids are session_pid_counter)."""
    return str(msg_id).rsplit("_", 1)[-1] if "_" in str(msg_id) else str(msg_id)[:8]


def describe_message(msg: Message) -> str:
    kind = msg["msg_type"]
    state = f" {msg['content'].get('execution_state')}" if kind == "status" else ""
    return f"{kind}{state} (for {short(parent_id(msg))})"


def threads_of(pid: int) -> t.List[str]:
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
