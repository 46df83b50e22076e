"""Run one pure function in a forked child under a wall-clock and an address-space limit.

Reading and parsing an upload is the one place where a small input can cost unbounded time and
memory (a zip bomb, a pathological PDF, a text that sends a regular expression into a long
search). The readers refuse what they can see coming; this bounds what they cannot, whatever runs
the call — a Celery worker, the eager demo, the command line. The child touches no database and
its result comes back through a pipe, so killing it leaves nothing half-written."""

import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import Any

_PAGE = os.sysconf("SC_PAGE_SIZE")


class LimitExceeded(Exception):
    """The call ran past its time or memory budget, or its process died."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind  # "time", "memory" or "crash"


def _address_space() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * _PAGE


def _child(write_fd: int, fn: Callable, args: tuple, memory_bytes: int) -> None:
    try:
        # The budget is on top of what the fork already maps (the interpreter, Django, libraries).
        limit = _address_space() + memory_bytes
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        result = ("ok", fn(*args))
    except MemoryError:
        result = ("limit", "memory")
    except BaseException as exc:  # the caller re-raises it as its own
        result = ("error", exc)
    try:
        data = pickle.dumps(result)
    except MemoryError:
        data = pickle.dumps(("limit", "memory"))
    except Exception as exc:  # an exception that does not pickle: send its text
        data = pickle.dumps(("error", RuntimeError(str(exc))))
    with os.fdopen(write_fd, "wb") as pipe:
        pipe.write(data)


def run_limited(fn: Callable[..., Any], *args: Any, seconds: float, memory_bytes: int) -> Any:
    """fn(*args) in a child process. Returns its result or raises what it raised; raises
    LimitExceeded when it takes longer than `seconds`, allocates more than `memory_bytes` or dies.

    A bare fork rather than multiprocessing: Celery's prefork children are daemonic, and
    multiprocessing refuses to start a process from one."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        status = 1
        try:
            os.close(read_fd)
            _child(write_fd, fn, args, memory_bytes)
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    timed_out = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([read_fd], [], [], remaining)[0]:
                timed_out = True
                break
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if timed_out:
        raise LimitExceeded("time")
    if not chunks:
        raise LimitExceeded("crash")
    status, value = pickle.loads(b"".join(chunks))
    if status == "limit":
        raise LimitExceeded(value)
    if status == "error":
        raise value
    return value
