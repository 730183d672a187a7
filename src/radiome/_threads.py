"""One BLAS thread inside a block, cheaply and re-entrantly.

The matrices radiome multiplies inside one case are small; OpenBLAS' extra threads cost more than
they save and busy-wait after each call, stealing the core that cohort workers or ITK need.
threadpoolctl finds every BLAS loaded in the process, but scanning for them reads
``/proc/self/maps`` (a few ms): the controller is built once, and nested blocks do nothing.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator

from threadpoolctl import ThreadpoolController

_depth = threading.local()


@functools.lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread in the block; the previous limits come back on exit."""
    if getattr(_depth, "n", 0):
        _depth.n += 1
        try:
            yield
        finally:
            _depth.n -= 1
        return
    _depth.n = 1
    try:
        with _controller().limit(limits=1, user_api="blas"):
            yield
    finally:
        _depth.n = 0
