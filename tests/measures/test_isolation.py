"""measures.isolation: a call in a child process under a time and a memory limit."""

import time

import pytest

from measures.isolation import LimitExceeded, run_limited

MB = 1024 * 1024


def _add(a, b):
    return a + b


def _sleep(seconds):
    time.sleep(seconds)
    return "woke"


def _allocate(mb):
    return len(bytearray(mb * MB))


def _fail():
    raise ValueError("一个解析错误")


def test_result_comes_back():
    assert run_limited(_add, 2, 3, seconds=10, memory_bytes=64 * MB) == 5


def test_what_the_call_raises_is_raised_here():
    with pytest.raises(ValueError, match="一个解析错误"):
        run_limited(_fail, seconds=10, memory_bytes=64 * MB)


def test_a_call_past_its_time_is_stopped():
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as info:
        run_limited(_sleep, 30, seconds=0.5, memory_bytes=64 * MB)
    assert info.value.kind == "time"
    assert time.monotonic() - started < 10  # killed, not waited for


def test_a_call_past_its_memory_is_stopped():
    with pytest.raises(LimitExceeded) as info:
        run_limited(_allocate, 2048, seconds=30, memory_bytes=256 * MB)
    assert info.value.kind == "memory"


def test_a_call_within_its_memory_runs():
    assert run_limited(_allocate, 64, seconds=30, memory_bytes=512 * MB) == 64 * MB
