"""Forked worker processes, each served over a pipe of its own.

``multiprocessing.Pool`` would do the same, but its worker-handler thread waits on the
shared result queue too: it wakes up whenever a result is waiting and spins until the
result thread has read it. That cost the parent 0.2-0.3 s of CPU in a 1,000-student
``generate``, time taken from the workers on a 2-core machine. Here the parent waits on
the workers' own pipes, runs no threads, and nothing spins.

A call runs ``func(arg)`` in a worker; what it returns, or the exception it raises, comes
back through the pipe (so both must pickle). A worker that dies is a :class:`WorkerError`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from quizgrad.errors import QuizgradError

Call = tuple[Callable[[Any], Any], Any]


class WorkerError(QuizgradError):
    """A worker stopped without an answer (killed, out of memory), or its answer won't pickle."""


def _serve(conn: Connection, inherited: list[Connection]) -> None:
    """A worker's loop: run each call sent, send back (True, result) or (False, exception)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    for other in inherited:  # the parent's ends: closed here, so a dead parent means EOF
        other.close()
    while True:
        try:
            call = conn.recv()
        except EOFError:
            return
        if call is None:
            return
        func, arg = call
        try:
            reply = (True, func(arg))
        except BaseException as exc:  # every failure goes back to the parent
            reply = (False, exc)
        try:
            conn.send(reply)
        except OSError:  # the parent is gone
            return
        except Exception as exc:  # the answer does not pickle
            conn.send((False, WorkerError(f"a worker's answer could not be sent back: {exc}")))


class Workers:
    """``count`` forked processes; use as a context manager (they stop on leaving it)."""

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("fork")
        self._conns: list[Connection] = []
        self._processes: list[BaseProcess] = []
        for _ in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, [*self._conns, mine]),
                                      daemon=True)
            process.start()
            theirs.close()
            self._conns.append(mine)
            self._processes.append(process)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.stop(kill=kind is not None)

    def each(self, call: Call) -> None:
        """Run ``call`` once in every worker (to hand each the same state)."""
        for conn in self._conns:
            self._send(conn, call)
        for conn in self._conns:
            self._receive(conn)

    def unordered(self, func: Callable[[Any], Any], args: Iterable[Any]) -> Iterator[Any]:
        """``func(arg)`` for every arg, shared out one at a time; results as they come."""
        for _, result in self._run([(func, arg) for arg in args], ahead=1):
            yield result

    def ordered(self, func: Callable[[Any], Any], args: Iterable[Any], ahead: int = 2
                ) -> Iterator[Any]:
        """``func(arg)`` for every arg, shared out as the workers free up; results in order.

        Each worker has up to ``ahead`` calls queued, so it never waits for the parent.
        """
        done: dict[int, Any] = {}
        upto = 0
        for index, result in self._run([(func, arg) for arg in args], ahead):
            done[index] = result
            while upto in done:
                yield done.pop(upto)
                upto += 1

    def _run(self, calls: list[Call], ahead: int) -> Iterator[tuple[int, Any]]:
        waiting = deque(enumerate(calls))
        queued: dict[Connection, deque[int]] = {conn: deque() for conn in self._conns}

        def feed(conn: Connection) -> None:
            while waiting and len(queued[conn]) < ahead:
                index, call = waiting.popleft()
                self._send(conn, call)
                queued[conn].append(index)

        for conn in self._conns:
            feed(conn)
        while any(queued.values()):
            for conn in wait([c for c, q in queued.items() if q]):
                assert isinstance(conn, Connection)
                result = self._receive(conn)
                index = queued[conn].popleft()
                feed(conn)
                yield index, result

    def _send(self, conn: Connection, call: Call) -> None:
        try:
            conn.send(call)
        except OSError:  # the worker died before it could take the call (a broken pipe)
            raise self._stopped(conn) from None

    def _receive(self, conn: Connection) -> Any:
        try:
            ok, value = conn.recv()
        except (EOFError, OSError):
            raise self._stopped(conn) from None
        if not ok:
            raise value
        return value

    def _stopped(self, conn: Connection) -> WorkerError:
        """The error for a worker that is gone: how it ended."""
        process = self._processes[self._conns.index(conn)]
        process.join(1)
        code = process.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else (
            f"exit status {code}")
        return WorkerError(f"a worker process stopped unexpectedly ({how}); nothing was "
                           "written")

    def stop(self, kill: bool = False) -> None:
        """Ask each worker to finish (or, with ``kill``, end them at once) and wait for it."""
        for conn, process in zip(self._conns, self._processes, strict=True):
            if not kill:
                with contextlib.suppress(OSError):  # a worker that is gone needs no word
                    conn.send(None)
            else:
                process.terminate()
            conn.close()
        for process in self._processes:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()
