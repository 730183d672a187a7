"""Cleveland's LOWESS exactly as R's ``stats::lowess`` computes it (R's ``clowess`` C routine).

rms's ``val.prob`` and ``calibrate`` smooth the outcome on the predicted probability with
``lowess(p, y, iter = 0)``: span ``f = 2/3``, no robustness iterations, and R's ``delta = 0.01 *
diff(range(x))`` shortcut (fits are computed only at points more than ``delta`` apart and linearly
interpolated in between). Emax/Eavg depend on those details, so they are reproduced here rather
than taken from statsmodels (whose ``lowess`` differs in tie handling and neighbourhood choice).

The control flow of ``clowess`` (which points get a local fit, which are interpolated or copied
from a tie) depends on ``x`` alone, so it is run first as a plain loop; the local fits are then
computed for all scheduled points at once.

References
----------
* Cleveland WS (1979). Robust locally weighted regression and smoothing scatterplots. *JASA*
  74:829-836.
* Cleveland WS (1981). LOWESS: a program for smoothing scatterplots by robust locally weighted
  regression. *The American Statistician* 35:54.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def _schedule(
    x: NDArray[np.float64], ns: int, delta: float
) -> tuple[list[tuple[int, int, int]], list[tuple[Any, ...]]]:
    """The control flow of ``clowess``, which depends on ``x`` only.

    Returns the points where a local fit is computed, ``(i, nleft, nright)``, and the list of
    operations that fill the fitted values in order: ``("fit", k)`` (k-th local fit),
    ``("interp", j, last, i)`` (linear interpolation of a skipped point) and ``("copy", i, last)``
    (a tie of the last fitted point).
    """
    n = x.size
    xl = x.tolist()
    fits: list[tuple[int, int, int]] = []
    ops: list[tuple[Any, ...]] = []
    nleft, nright = 0, ns - 1
    last = -1
    i = 0
    while True:
        if nright < n - 1:
            d1 = xl[i] - xl[nleft]
            d2 = xl[nright + 1] - xl[i]
            if d1 > d2:  # the radius decreases by moving the window right
                nleft += 1
                nright += 1
                continue
        ops.append(("fit", len(fits), i))
        fits.append((i, nleft, nright))
        if last < i - 1:  # skipped points: interpolate between the last fit and this one
            for j in range(last + 1, i):
                ops.append(("interp", j, last, i))
        last = i
        cut = xl[last] + delta
        i = last + 1
        while i < n:
            if xl[i] > cut:
                break
            if xl[i] == xl[last]:  # ties of the fitted point share its value
                ops.append(("copy", i, last))
                last = i
            i += 1
        i = max(last + 1, i - 1)
        if last >= n - 1:
            break
    return fits, ops


def _local_fits(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    fits: list[tuple[int, int, int]],
    rw: NDArray[np.float64] | None,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """``clowess``'s ``lowest`` at every scheduled point, vectorised over points.

    At ``xs = x[i]`` with window ``x[nleft..nright]``: radius ``h = max(xs - x[nleft], x[nright] -
    xs)``; tricube weights ``(1 - (r/h)^3)^3`` for ``r <= 0.999 h`` (1 when ``r <= 0.001 h``),
    times the robustness weights; the scan to the right stops at the first point beyond ``0.999
    h`` (so ties on the right are picked up); then a weighted local linear fit, reduced to a
    weighted mean when the weighted spread of ``x`` is below ``0.001 * range(x)``.
    """
    n = x.size
    rng = x[-1] - x[0]
    arr = np.asarray(fits, dtype=np.int64).reshape(-1, 3)
    xs = x[arr[:, 0]]
    nleft = arr[:, 1]
    h = np.maximum(xs - x[nleft], x[arr[:, 2]] - xs)
    h9, h1 = 0.999 * h, 0.001 * h
    stop = np.minimum(n, np.searchsorted(x, xs + h, side="right") + 2)
    width = int((stop - nleft).max())
    out = np.empty(arr.shape[0])
    ok = np.empty(arr.shape[0], dtype=bool)
    chunk = max(1, 2_000_000 // max(width, 1))
    cols = np.arange(width)
    for s in range(0, arr.shape[0], chunk):
        sl = slice(s, s + chunk)
        idx = nleft[sl, None] + cols[None, :]
        inb = idx < stop[sl, None]
        idx = np.minimum(idx, n - 1)
        xx = x[idx]
        c_xs, c_h, c_h9, c_h1 = xs[sl, None], h[sl, None], h9[sl, None], h1[sl, None]
        r = np.abs(xx - c_xs)
        brk = inb & (r > c_h9) & (xx > c_xs)
        incl = inb & (np.cumsum(brk, axis=1) == 0) & (r <= c_h9)
        with np.errstate(divide="ignore", invalid="ignore"):
            tri = np.where(r <= c_h1, 1.0, (1.0 - (r / c_h) ** 3) ** 3)
        w = np.where(incl, tri, 0.0)
        if rw is not None:
            w = w * rw[idx]
        a = w.sum(axis=1)
        good = a > 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            w = w / a[:, None]
            center = np.sum(w * xx, axis=1)
            dx = xx - center[:, None]
            c = np.sum(w * dx**2, axis=1)
            slope = (c_xs[:, 0] - center) / c
        use = good & (c_h[:, 0] > 0.0) & (np.sqrt(c) > 0.001 * rng)
        w = np.where(use[:, None], w * (slope[:, None] * dx + 1.0), w)
        out[sl] = np.sum(w * y[idx], axis=1)
        ok[sl] = good
    return out, ok


def lowess_r(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    f: float = 2.0 / 3.0,
    iter: int = 3,
    delta: float | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """R's ``lowess(x, y, f, iter, delta)``: returns ``(x sorted, fitted values)``.

    ``x`` is sorted stably (R's ``order``), ties keeping their input order. ``delta`` defaults to
    ``0.01 * (max(x) - min(x))``. ``ns = max(2, min(n, floor(f n + 1e-7)))`` nearest points form
    each neighbourhood; ``iter`` robustness iterations use bisquare weights of the residuals with
    scale ``6 * median |residual|``.
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
    fits, ops = _schedule(x, ns, float(delta))
    ys = np.empty(n)
    rw: NDArray[np.float64] | None = None
    for it in range(1, iter + 2):
        vals, ok = _local_fits(x, y, fits, rw)
        yl = y.tolist()
        v = ys.tolist()
        fit_vals, fit_ok = vals.tolist(), ok.tolist()
        xl = x.tolist()
        for op in ops:
            kind = op[0]
            if kind == "fit":
                k, i = op[1], op[2]
                v[i] = fit_vals[k] if fit_ok[k] else yl[i]  # all weights zero: copy y
            elif kind == "interp":
                j, last, i = op[1], op[2], op[3]
                alpha = (xl[j] - xl[last]) / (xl[i] - xl[last])
                v[j] = alpha * v[i] + (1.0 - alpha) * v[last]
            else:
                v[op[1]] = v[op[2]]
        ys = np.array(v)
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
