"""Forked workers over pipes: order, errors, dead workers, state handed to each."""

from __future__ import annotations

import os
import signal
import time

import pytest

from quizgrad.errors import QuizgradError
from quizgrad.workers import WorkerError, Workers

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")

_STATE: dict[str, object] = {}


def _square(n: int) -> int:
    time.sleep(0.002 * (n % 3))  # finish out of order
    return n * n


def _pid(_: object) -> int:
    return os.getpid()


def _fail(n: int) -> int:
    if n == 5:
        raise QuizgradError(f"no luck with {n}")
    return n


def _die(n: int) -> int:
    if n == 3:
        os._exit(7)
    return n


def _set(value: object) -> None:
    _STATE["value"] = value


def _get(_: object) -> object:
    return _STATE.get("value"), os.getpid()


def _killed(n: int) -> int:
    if n == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return n


def _unpicklable(_: object) -> object:
    return lambda: None


def test_ordered_gives_every_result_in_order():
    with Workers(2) as pool:
        assert list(pool.ordered(_square, range(30))) == [n * n for n in range(30)]


def test_unordered_gives_every_result_once():
    with Workers(2) as pool:
        assert sorted(pool.unordered(_square, range(30))) == [n * n for n in range(30)]


def test_both_workers_take_part_and_stop_at_the_end():
    with Workers(2) as pool:
        pids = set(pool.ordered(_pid, [0.01] * 40, ahead=1))
        processes = list(pool._processes)
    assert len(pids) == 2 and os.getpid() not in pids
    assert not any(p.is_alive() for p in processes)


def test_each_hands_every_worker_the_same_state():
    with Workers(2) as pool:
        pool.each((_set, "profiles"))
        seen = list(pool.ordered(_get, range(20), ahead=1))
    assert {value for value, _ in seen} == {"profiles"}
    assert "value" not in _STATE  # set in the workers, not here


def test_an_error_in_a_worker_is_raised_in_the_parent_and_stops_them():
    pool = Workers(2)
    with pytest.raises(QuizgradError, match="no luck with 5"), pool:
        list(pool.ordered(_fail, range(20)))
    assert not any(p.is_alive() for p in pool._processes)


def test_a_worker_that_dies_is_a_clear_error():
    with pytest.raises(WorkerError, match=r"stopped unexpectedly \(exit status 7\)"), \
            Workers(2) as pool:
        list(pool.ordered(_die, range(10)))


def test_a_worker_killed_by_a_signal_says_so():
    with pytest.raises(WorkerError, match=r"\(killed by signal 9\); nothing was written"), \
            Workers(2) as pool:
        list(pool.ordered(_killed, range(6)))


def test_an_answer_that_cannot_be_sent_back_is_an_error_not_a_hang():
    with pytest.raises(WorkerError, match="could not be sent back"), Workers(2) as pool:
        list(pool.unordered(_unpicklable, range(3)))


def test_a_worker_gone_before_it_is_sent_a_call_is_a_clear_error():
    pool = Workers(1)
    pool._processes[0].kill()
    pool._processes[0].join()
    with pytest.raises(WorkerError, match=r"\(killed by signal 9\); nothing was written"), pool:
        list(pool.ordered(_square, range(4)))
