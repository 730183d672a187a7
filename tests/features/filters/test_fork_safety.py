"""The filters' shared thread pool survives a fork: a cohort run's forked workers used to wait
forever on the pool object they inherited without its threads (seen as a hung demo run)."""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

from radiome.features.filters._common import parallel_map


def _double(x: int) -> int:
    return 2 * x


def _in_child(_: int) -> list[int]:
    return parallel_map(_double, [1, 2, 3], 2)


def test_parallel_map_in_a_forked_child_after_use_in_the_parent():
    assert parallel_map(_double, [1, 2, 3], 2) == [2, 4, 6]  # the parent's pool now has threads
    with ProcessPoolExecutor(2, mp_context=mp.get_context("fork")) as pool:
        futures = [pool.submit(_in_child, i) for i in range(2)]
        assert [f.result(timeout=60) for f in futures] == [[2, 4, 6], [2, 4, 6]]
