"""Running a round's checks at their moments, each bounded by a deadline it cannot outlive.

A checker (a program from the pack, in Hackerdom's protocol) runs in a process of its own: the
runner forks, and the child closes what it inherited (the runner's database connections, its
leader lock), makes itself a process group, limits its memory and runs the checker, writing what
it found to a pipe; at the deadline the whole group is killed (a checker and whatever it started).
The built-in kinds (tcp, http, dns, banner) are Drillboard's own code bounded by socket timeouts:
each runs on a thread of the runner and answers through a pipe the same way. (Forking for them
too cost more than the checks: forty teams times seven services every ten seconds kept both
cores of a small machine busy copying the runner's page tables.) One loop starts each check at
its moment, reads the answers, and ends a check at its deadline: a hung check never holds up a
round; it is ``down`` ("did not answer in time"). Never used in a web worker: the runner is its
own process.
"""
from __future__ import annotations

import json
import os
import resource
import selectors
import signal
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import asdict, dataclass, field
from typing import Any

from scoreboard.core import availability
from scoreboard.core.errors import N_
from scoreboard.runner import probes

GRACE = 1.0  # seconds a check's process has past its deadline to hand its answer back
MAX_RUNNING = 128  # checks in flight at once; the rest wait for a slot
LOOK = 0.5  # seconds between looks at whether the runner is stopping
MAX_ANSWER = 64 * 1024


@dataclass
class Job:
    """One check to run ``at`` (a monotonic time) and the name its answer comes back under."""

    key: Hashable
    at: float
    target: dict[str, Any]


@dataclass
class _Running:
    job: Job
    pid: int | None  # None: a built-in check, on a thread
    fd: int
    started: float
    deadline: float
    answer: bytearray = field(default_factory=bytearray)


def _found(target: dict[str, Any], deadline: float) -> bytes:
    """The probe's answer as the loop reads it: whatever breaks in a check is the check's error."""
    try:
        found = probes.probe(target, deadline)
    except MemoryError:
        found = probes.Found(availability.ERROR, N_("the check ran out of memory"),
                             f"limit {int(target['check'].get('memory_mb', 256))} MB")
    except Exception as err:  # noqa: BLE001
        found = probes.Found(availability.ERROR, N_("the check failed"), repr(err)[:2000])
    return json.dumps(asdict(found)).encode()[:MAX_ANSWER]


def _write(out: int, data: bytes) -> None:
    while data:
        data = data[os.write(out, data):]


def _child(target: dict[str, Any], deadline: float, out: int) -> None:
    """In the check's process (never returns): its own group, nothing inherited, limited memory."""
    code = 0
    try:
        os.setsid()
        for fd in os.listdir("/proc/self/fd"):  # what is open, not every number the limit allows
            if int(fd) > 2 and int(fd) != out:
                try:
                    os.close(int(fd))
                except OSError:
                    pass  # the listing's own descriptor, closed already
        memory_mb = int(target["check"].get("memory_mb", 256))
        with open("/proc/self/statm") as statm:  # noqa: PTH123 - before any limit, one small read
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # The probe's share on top of what the forked runner already maps.
        resource.setrlimit(resource.RLIMIT_AS, (mapped + memory_mb * 2**20,) * 2)
        _write(out, _found(target, deadline))
    except BaseException:  # noqa: BLE001 - the child must reach _exit whatever happens
        code = 1
    finally:
        os._exit(code)


def _on_thread(target: dict[str, Any], deadline: float, out: int) -> None:
    """A built-in check on a thread of the runner. Answering after the loop gave up on it (the
    read end closed at the deadline) is a broken pipe, and nothing more."""
    try:
        _write(out, _found(target, deadline))
    except OSError:
        pass
    finally:
        os.close(out)


def _start(job: Job, now: float) -> _Running:
    deadline = now + float(job.target["check"].get("timeout", 10))
    read, write = os.pipe()
    os.set_blocking(read, False)
    if job.target["check"]["kind"] != "checker":
        threading.Thread(target=_on_thread, args=(job.target, deadline, write), daemon=True).start()
        return _Running(job, None, read, now, deadline)
    pid = os.fork()
    if pid == 0:
        os.close(read)
        _child(job.target, deadline, write)
    os.close(write)
    return _Running(job, pid, read, now, deadline)


def _end(running: _Running, found: dict[str, Any]) -> dict[str, Any]:
    """The check's process group gone (anything a checker left behind too), its answer timed."""
    if running.pid is not None:
        try:
            os.killpg(running.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            os.waitpid(running.pid, 0)
        except ChildProcessError:
            pass
    os.close(running.fd)
    return {**found, "duration_ms": int((time.monotonic() - running.started) * 1000)}


def _answer(running: _Running) -> dict[str, Any]:
    try:
        return json.loads(bytes(running.answer))
    except ValueError:  # no answer: the process died (its memory limit, a signal)
        return asdict(probes.Found(availability.ERROR, N_("the check failed"), "the check's process died"))


def _late(running: _Running) -> dict[str, Any]:
    timeout = running.deadline - running.started
    return asdict(probes.Found(availability.DOWN, N_("the service did not answer in time"),
                               f"check killed after {timeout:g} s"))


def run(jobs: list[Job], keep_going: Callable[[], bool] = lambda: True) -> dict[Hashable, dict[str, Any]]:
    """Run every job at its moment (a checker in its own process, a built-in check on a thread);
    returns each key's answer (with ``duration_ms``) once all have answered or been given up on at
    their deadlines. When ``keep_going`` says no (the runner is stopping), the checks still running
    are ended and only what was found so far comes back, within ``LOOK`` seconds."""
    waiting = sorted(jobs, key=lambda job: job.at)
    found: dict[Hashable, dict[str, Any]] = {}
    running: dict[int, _Running] = {}
    with selectors.DefaultSelector() as selector:
        while waiting or running:
            if not keep_going():
                for fd in list(running):
                    selector.unregister(fd)
                    _end(running.pop(fd), {})
                break
            now = time.monotonic()
            while waiting and waiting[0].at <= now and len(running) < MAX_RUNNING:
                started = _start(waiting.pop(0), now)
                running[started.fd] = started
                selector.register(started.fd, selectors.EVENT_READ)
            for fd, item in list(running.items()):
                if now > item.deadline + GRACE:
                    selector.unregister(fd)
                    found[item.job.key] = _end(running.pop(fd), _late(item))
            wake = [item.deadline + GRACE for item in running.values()]
            if waiting and len(running) < MAX_RUNNING:
                wake.append(waiting[0].at)
            timeout = min(LOOK, max(0.0, min(wake) - time.monotonic())) if wake else 0
            for key, _ in selector.select(timeout):
                item = running[key.fd]
                chunk = os.read(key.fd, MAX_ANSWER)
                if chunk and len(item.answer) < MAX_ANSWER:
                    item.answer += chunk
                    continue
                selector.unregister(key.fd)
                found[item.job.key] = _end(running.pop(key.fd), _answer(item))
    return found
