"""A literal, one-point-at-a-time transcription of R's ``clowess`` (src/library/stats/src/lowess.c),
kept as a test oracle for the vectorised ``radiome.evaluate._lowess``."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def _lowest(x, y, xs, nleft, nright, rw):
    """``lowest``: 0-based, statement by statement."""
    n = len(x)
    rng = x[n - 1] - x[0]
    h = max(xs - x[nleft], x[nright] - xs)
    h9 = 0.999 * h
    h1 = 0.001 * h
    w = [0.0] * n
    a = 0.0
    j = nleft
    while j < n:
        w[j] = 0.0
        r = abs(x[j] - xs)
        if r <= h9:
            if r <= h1:
                w[j] = 1.0
            else:
                w[j] = (1.0 - (r / h) ** 3) ** 3
            if rw is not None:
                w[j] *= rw[j]
            a += w[j]
        elif x[j] > xs:
            break
        j += 1
    nrt = j - 1
    if a <= 0.0:
        return 0.0, False
    for j in range(nleft, nrt + 1):
        w[j] /= a
    if h > 0.0:
        a = 0.0
        for j in range(nleft, nrt + 1):
            a += w[j] * x[j]
        b = xs - a
        c = 0.0
        for j in range(nleft, nrt + 1):
            c += w[j] * (x[j] - a) ** 2
        if c**0.5 > 0.001 * rng:
            b /= c
            for j in range(nleft, nrt + 1):
                w[j] *= b * (x[j] - a) + 1.0
    ys = 0.0
    for j in range(nleft, nrt + 1):
        ys += w[j] * y[j]
    return ys, True


def lowess_literal(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    f: float = 2.0 / 3.0,
    iter: int = 3,
    delta: float | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """R's ``lowess(x, y, f, iter, delta)``: returns ``(x sorted, fitted values)``.

    ``x`` is sorted stably (R's ``order``), ties keeping their input order. ``delta`` defaults to
    ``0.01 * (max(x) - min(x))``.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    x, y = x[order], y[order]
    n = x.size
    if delta is None:
        delta = 0.01 * (x[-1] - x[0]) if n else 0.0
    if n < 2:
        return x, y.copy()
    ns = max(2, min(n, int(f * n + 1e-7)))
    xl, yl = x.tolist(), y.tolist()
    ys = np.empty(n)
    rw: NDArray[np.float64] | None = None
    for it in range(1, iter + 2):
        nleft, nright = 0, ns - 1
        last = -1
        i = 0
        while True:
            if nright < n - 1:
                d1 = x[i] - x[nleft]
                d2 = x[nright + 1] - x[i]
                if d1 > d2:
                    nleft += 1
                    nright += 1
                    continue
            val, ok = _lowest(xl, yl, xl[i], nleft, nright, rw.tolist() if (it > 1 and rw is not None) else None)
            ys[i] = val if ok else y[i]
            if last < i - 1:
                denom = x[i] - x[last]
                for j in range(last + 1, i):
                    alpha = (x[j] - x[last]) / denom
                    ys[j] = alpha * ys[i] + (1.0 - alpha) * ys[last]
            last = i
            cut = x[last] + delta
            i = last + 1
            while i < n:
                if x[i] > cut:
                    break
                if x[i] == x[last]:
                    ys[i] = ys[last]
                    last = i
                i += 1
            i = max(last + 1, i - 1)
            if last >= n - 1:
                break
        if it > iter:
            break
        res = y - ys
        sc = np.mean(np.abs(res))
        r = np.abs(res)
        m1 = n // 2
        srt = np.sort(r)
        cmad = 3.0 * (srt[m1] + srt[n - m1 - 1]) if n % 2 == 0 else 6.0 * srt[m1]
        if cmad < 1e-7 * sc:
            break
        c9, c1 = 0.999 * cmad, 0.001 * cmad
        rw = np.where(r <= c1, 1.0, np.where(r <= c9, (1.0 - (r / cmad) ** 2) ** 2, 0.0))
    return x, ys
