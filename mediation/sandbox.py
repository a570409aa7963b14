"""Reading delivered files in worker processes that a hostile file cannot take down with it.

A few KB of PDF can hold minutes of parsing work, and a few hundred KB of PNG hundreds of MB of
pixels, so `mediation.inspection` never runs in the bot's own process. Each file is read by a
worker (`python -m mediation.sandbox`) with three limits:

- CPU time (`RLIMIT_CPU`, set afresh for each file): the kernel stops the worker when a file has
  used `cpu_seconds`;
- wall-clock time: the caller kills the worker when no answer came within `wall_seconds` (a file
  that makes the worker sleep or wait is caught too);
- memory (`RLIMIT_AS`, the worker's whole address space): an allocation past `memory_mb` fails,
  and the worker reports it and exits.

A file that hits a limit gets a problem starting "could not be checked (too costly)" naming the
limit, its type sniffed from its first bytes and its SHA-256; the other files of the delivery
are read as usual by a fresh worker. Workers are kept and reused (starting one costs a Python
start-up and the parser imports), up to `workers` at a time; the answers come back as JSON, never
pickle, so a worker subverted by a file cannot run code in the bot. Workers get a minimal
environment (no tokens, no database URL) and no core dumps.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import math
import os
import queue
import resource
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .i18n import S_, Msg, Said, Text, from_json, known_messages, to_json
from .inspection import MIME, FileFacts, Limits, inspect_file, label, sniff

MB = 1024 * 1024
TOO_COSTLY = "could not be checked (too costly)"
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
_START_SECONDS = 60.0
_ENV_KEEP = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")


@dataclass(frozen=True)
class SandboxLimits:
    """What reading one file may cost; see config.toml [inspection]."""

    cpu_seconds: float = 5.0
    wall_seconds: float = 10.0
    memory_mb: int = 512
    workers: int = 2

    @classmethod
    def from_mapping(cls, data: dict | None) -> SandboxLimits:
        """Build from a config table, ignoring keys that are not sandbox limits."""
        if not data:
            return cls()
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**{k: type(getattr(cls(), k))(v) for k, v in known.items()})


class _Limit(Exception):
    """A file went over one of the limits; the message says which, for people."""


class _Worker:
    """One worker process and the pipe to it; killed and replaced after a file goes over a limit."""

    def __init__(self, memory_mb: int):
        env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
        env["PYTHONPATH"] = os.pathsep.join([_PACKAGE_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])])
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONHASHSEED"] = "0"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mediation.sandbox", str(int(memory_mb))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd="/",
            close_fds=True,
        )
        self._buf = b""
        if self._read_line(time.monotonic() + _START_SECONDS) != b"ready":  # imports are not a file's cost
            self.kill()
            raise _Limit(S_("the checking process could not start"))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def run(self, path: str, name: str, limits: Limits, sandbox: SandboxLimits) -> dict:
        request = {"path": path, "name": name, "limits": asdict(limits), "cpu": sandbox.cpu_seconds}
        try:
            stdin = self.proc.stdin
            assert stdin is not None  # opened with PIPE
            stdin.write(json.dumps(request).encode() + b"\n")
            stdin.flush()
        except (BrokenPipeError, OSError):
            raise _Limit(S_("the checking process stopped before it could start")) from None
        line = self._read_line(time.monotonic() + sandbox.wall_seconds)
        if line is None:
            self.kill()
            if self.proc.returncode in (-signal.SIGPROF, -signal.SIGXCPU):
                raise _Limit(
                    S_("reading it used more than {seconds} s of CPU time", seconds=f"{sandbox.cpu_seconds:g}")
                )
            if self._timed_out:
                raise _Limit(S_("reading it took longer than {seconds} s", seconds=f"{sandbox.wall_seconds:g}"))
            raise _Limit(S_("the checking process stopped (exit status {status})", status=self.proc.returncode))
        answer = json.loads(line)
        if answer.get("error") == "memory":
            self.kill()
            raise _Limit(S_("reading it needed more than {mb} MB of memory", mb=sandbox.memory_mb))
        if answer.get("error") == "cpu":
            self.kill()
            raise _Limit(S_("reading it used more than {seconds} s of CPU time", seconds=f"{sandbox.cpu_seconds:g}"))
        return answer["facts"]

    def _read_line(self, deadline: float) -> bytes | None:
        """One answer line, or None when the worker died or the wall clock ran out."""
        self._timed_out = False
        assert self.proc.stdout is not None  # opened with PIPE
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self._timed_out = True
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                self.proc.wait()
                return None
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


class InspectorPool:
    """Up to `workers` reusable worker processes, shared by every thread of the process."""

    def __init__(self, sandbox: SandboxLimits):
        self.sandbox = sandbox
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(max(1, sandbox.workers))
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()

    def _checkout(self) -> _Worker:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                worker = _Worker(self.sandbox.memory_mb)
                with self._lock:
                    self._all.add(worker)
                return worker
            if worker.alive():
                return worker
            self._forget(worker)

    def _forget(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def inspect(self, items: Sequence[tuple[str | os.PathLike, str | None]], limits: Limits) -> list[FileFacts]:
        """Facts for each (path, name) in order; one worker reads them one by one."""
        out: list[FileFacts] = []
        with self._slots:
            worker = self._checkout()
            try:
                for path, name in items:
                    shown = name or Path(path).name
                    if not worker.alive():
                        self._forget(worker)
                        worker = self._checkout()
                    try:
                        out.append(_facts_from(worker.run(str(path), shown, limits, self.sandbox)))
                    except _Limit as exc:
                        self._forget(worker)
                        worker = self._checkout()
                        out.append(too_costly(path, shown, exc.args[0] if exc.args else str(exc)))
            except BaseException:
                self._forget(worker)
                raise
            self._idle.put(worker)
        return out

    def close(self) -> None:
        with self._lock:
            workers, self._all = list(self._all), set()
        for w in workers:
            w.kill()


_pools: dict[SandboxLimits, InspectorPool] = {}
_pools_lock = threading.Lock()


def pool(sandbox: SandboxLimits | None = None) -> InspectorPool:
    """The process's pool for these limits (made on first use)."""
    sandbox = sandbox or SandboxLimits()
    with _pools_lock:
        if sandbox not in _pools:
            _pools[sandbox] = InspectorPool(sandbox)
        return _pools[sandbox]


@atexit.register
def shutdown() -> None:
    """Stop every worker (also called at exit)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for p in pools:
        p.close()


def inspect_files(
    items: Iterable[tuple[str | os.PathLike, str | None]],
    limits: Limits | None = None,
    sandbox: SandboxLimits | None = None,
) -> list[FileFacts]:
    """`inspection.inspect_file` for each (path, name), each in a worker under the limits. Paths are
    made absolute here: the workers run from `/`, and the evidence store's folder may be relative."""
    absolute = [(os.path.abspath(p), name if name is not None else Path(p).name) for p, name in items]
    return pool(sandbox).inspect(absolute, limits or Limits())


def inspect_paths(
    paths: Iterable[str | os.PathLike], limits: Limits | None = None, sandbox: SandboxLimits | None = None
) -> list[FileFacts]:
    """`inspection.inspect_paths` (folders walked in name order), each file in a worker."""
    from .inspection import expand_paths

    return inspect_files(((p, None) for p in expand_paths(paths)), limits, sandbox)


def too_costly(path: str | os.PathLike, name: str, why: Text) -> FileFacts:
    """What is known of a file nobody could afford to read: its size, type from its first bytes, hash."""
    p = Path(path)
    size, digest, head = 0, None, b""
    try:
        with p.open("rb") as fh:
            h = hashlib.sha256()
            for block in iter(lambda: fh.read(1 << 20), b""):
                if not head:
                    head = block[:4096]
                h.update(block)
                size += len(block)
            digest = h.hexdigest()
    except OSError:
        pass
    kind = sniff(head) if head else "unknown"
    return FileFacts(
        name=name,
        size=size,
        sha256=digest,
        type=kind,
        mime=MIME.get(kind),
        path=str(p),
        problems=[
            S_(
                "could not be checked (too costly): {why}; looks like {kind}, a person must open it",
                why=why,
                kind=label(kind),
            )
        ],
    )


def _facts_from(data: dict) -> FileFacts:
    members = [_facts_from(m) for m in data.pop("members", [])]
    data["problems"] = [_problem(p) for p in data.get("problems", [])]
    return FileFacts(**data, members=members)


def _problem(value: Any) -> str:
    """A problem as a worker wrote it: the way to word it (a catalogue message with plain
    parameters; a worker names no other text) or, failing that, its English text."""
    if isinstance(value, dict) and isinstance(value.get("m"), str) and value["m"] in known_messages():
        params = value.get("p") or {}
        if isinstance(params, dict) and all(isinstance(v, (str, int, float, dict)) for v in params.values()):
            try:
                msg = from_json(value)
                if isinstance(msg, Msg):
                    return Said(msg)
            except Exception:
                pass
    return str(value.get("en", "")) if isinstance(value, dict) else str(value)


def _wire(facts: dict) -> dict:
    """Problems as the way to word them (and their English), so they reach each reader translated."""
    facts["problems"] = [{**to_json(p), "en": str(p)} if isinstance(p, Said) else p for p in facts["problems"]]
    for m in facts.get("members", []):
        _wire(m)
    return facts


# ------------------------------------------------------------------------------ the worker side


def _cpu_used() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _serve(memory_mb: int) -> None:
    """Answer one JSON request per line on stdin with one JSON line on the real stdout."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library printing to stdout must not corrupt the answers
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # the readers' imports, once, before the limits (they are not a file's cost)
    import docx  # noqa: F401
    import mutagen  # noqa: F401
    import pypdf  # noqa: F401
    from PIL import Image

    Image.init()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    want = memory_mb * MB
    resource.setrlimit(resource.RLIMIT_AS, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
    signal.signal(signal.SIGPROF, signal.SIG_DFL)
    out.write(b"ready\n")
    out.flush()
    for line in sys.stdin.buffer:
        req = json.loads(line)
        cpu = float(req["cpu"])
        # the CPU-time timer kills the worker (SIGPROF's default action) even inside C code; the
        # kernel's RLIMIT_CPU, in whole seconds, is the backstop
        soft = math.ceil(_cpu_used() + cpu) + 1
        _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
        if cpu_hard != resource.RLIM_INFINITY:
            soft = min(soft, cpu_hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))
        signal.setitimer(signal.ITIMER_PROF, cpu)
        try:
            facts = inspect_file(req["path"], Limits(**req["limits"]), name=req["name"])
            answer: dict[str, Any] = {"facts": _wire(_with_said(asdict(facts), facts))}
        except MemoryError:
            answer = {"error": "memory"}
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        out.write(json.dumps(answer).encode() + b"\n")
        out.flush()
        if "error" in answer:
            return


def _with_said(data: dict, facts: FileFacts) -> dict:
    """`asdict` copies a `Said` as a plain string; the originals are put back for `_wire`."""
    data["problems"] = list(facts.problems)
    for m_data, m in zip(data.get("members", []), facts.members):
        _with_said(m_data, m)
    return data


if __name__ == "__main__":
    _serve(int(sys.argv[1]) if len(sys.argv) > 1 else 512)
