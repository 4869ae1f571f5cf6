"""The benchmarks' PNGs: line charts drawn with QPainter on an offscreen QImage (no new
dependency).

The soak's (:func:`draw`): three stacked charts over data ticks: PSS of the wall's process tree
and of each process group (and the simulator), the GUI thread's stall per sample interval, the
cache file's size. The scale benchmark's (:func:`draw_curve`): one chart of figures against a
size, with dashed goal lines.
"""

from __future__ import annotations

import math
from pathlib import Path

W, H = 1500, 1150
LEFT, RIGHT, TOP = 95, 330, 60
COLORS = ("#22d3ee", "#f59e0b", "#a78bfa", "#34d399", "#f472b6", "#94a3b8")


def _nice(hi: float) -> tuple[float, float]:
    """A round axis top and tick step for values up to ``hi``."""
    if not hi or math.isnan(hi) or hi <= 0:
        return 1.0, 0.25
    raw = hi / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return step * math.ceil(hi / step), step


def _chart(p, rect, xs, series, ylabel, xmax, *, title, xlabel="data ticks", goals=()):
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QPen

    x0, y0, w, h = rect
    top = max([max(v) for _, v, _ in series if v] + [g for _, g, _ in goals], default=1.0)
    ymax, ystep = _nice(top * 1.05)
    xtop, xstep = _nice(xmax)
    p.setPen(QPen(QColor("#e2e8f0")))
    p.drawText(QRectF(x0, y0 - 30, w, 24), Qt.AlignmentFlag.AlignLeft, title)
    grid = QPen(QColor("#334155"))
    p.setPen(grid)
    p.drawRect(QRectF(x0, y0, w, h))
    k = 0
    while k * ystep <= ymax + 1e-9:
        y = y0 + h - (k * ystep) / ymax * h
        p.setPen(grid)
        p.drawLine(QPointF(x0, y), QPointF(x0 + w, y))
        p.setPen(QPen(QColor("#cbd5e1")))
        p.drawText(QRectF(x0 - 90, y - 10, 84, 20), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                   f"{k * ystep:g}")
        k += 1
    k = 0
    while k * xstep <= xtop + 1e-9:
        x = x0 + (k * xstep) / xtop * w
        p.setPen(grid)
        p.drawLine(QPointF(x, y0), QPointF(x, y0 + h))
        p.setPen(QPen(QColor("#cbd5e1")))
        p.drawText(QRectF(x - 50, y0 + h + 4, 100, 20), Qt.AlignmentFlag.AlignHCenter, f"{k * xstep:,.0f}")
        k += 1
    p.save()
    p.translate(x0 - 75, y0 + h / 2)
    p.rotate(-90)
    p.drawText(QRectF(-h / 2, -12, h, 24), Qt.AlignmentFlag.AlignCenter, ylabel)
    p.restore()
    p.drawText(QRectF(x0, y0 + h + 22, w, 20), Qt.AlignmentFlag.AlignHCenter, xlabel)
    for label, value, color in goals:
        pen = QPen(QColor(color))
        pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        y = y0 + h - min(value, ymax) / ymax * h
        p.drawLine(QPointF(x0, y), QPointF(x0 + w, y))
        p.drawText(QRectF(x0 + 8, y - 22, w - 16, 20), Qt.AlignmentFlag.AlignLeft, label)
    for i, (label, values, color) in enumerate(series):
        pen = QPen(QColor(color))
        pen.setWidthF(2.0)
        p.setPen(pen)
        pts = [QPointF(x0 + x / xtop * w, y0 + h - min(v, ymax) / ymax * h)
               for x, v in zip(xs, values, strict=True)]
        for a, b in zip(pts, pts[1:], strict=False):
            p.drawLine(a, b)
        for pt in pts:
            p.drawEllipse(pt, 3.5, 3.5)
        ly = y0 + 8 + i * 22
        p.drawLine(QPointF(x0 + w + 16, ly + 10), QPointF(x0 + w + 40, ly + 10))
        p.setPen(QPen(QColor("#e2e8f0")))
        last = values[-1] if values else math.nan
        p.drawText(QRectF(x0 + w + 46, ly, RIGHT - 50, 20), Qt.AlignmentFlag.AlignLeft,
                   f"{label} ({last:.0f})" if not math.isnan(last) else label)


def draw(run, path: Path, title: str, groups) -> Path:
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:  # run alone: no display needed
        from benchmarks._env import offscreen

        offscreen()
    from benchmarks import _fixtures as fx

    fx.app()
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

    samples = run.samples
    xs = [s.ticks for s in samples]
    xmax = max(xs, default=1) or 1
    img = QImage(W, H, QImage.Format.Format_RGB32)
    img.fill(QColor("#0b1a33"))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont(p.font())
    font.setPixelSize(15)
    p.setFont(font)
    big = QFont(font)
    big.setPixelSize(20)
    big.setBold(True)
    p.setFont(big)
    p.setPen(QPen(QColor("#f8fafc")))
    p.drawText(QRectF(LEFT, 12, W - LEFT - 20, 30), Qt.AlignmentFlag.AlignLeft, title)
    p.setFont(font)
    cw = W - LEFT - RIGHT
    mem = [("wall tree, total", [s.tree_mib for s in samples], COLORS[0])]
    mem += [(g, [s.wall.get(g, 0.0) for s in samples], COLORS[i + 1]) for i, g in enumerate(groups)
            if any(s.wall.get(g) for s in samples)]
    mem.append(("simulator (apart)", [s.sim_mib for s in samples], COLORS[5]))
    mem.append(("Mosquitto (apart)", [s.broker_mib for s in samples], "#e2e8f0"))
    _chart(p, (LEFT, TOP + 40, cw, 430), xs, mem, "PSS (MiB)", xmax,
           title="memory: PSS from /proc/PID/smaps_rollup, MiB (legend: last value)")
    stall = [("heartbeat lateness", [s.line["stall_ms"] for s in samples], COLORS[1]),
             ("dearest panel redraw", [s.line["render_ms"] for s in samples], COLORS[3])]
    _chart(p, (LEFT, TOP + 560, cw, 230), xs, stall, "GUI stall (ms)", xmax,
           title="GUI thread: longest hold per sample interval, ms (lateness of a 50 ms heartbeat; the render queue's dearest single redraw)")
    db = [("cache file + WAL", [s.db_mib for s in samples], COLORS[2])]
    if any("duckdb_mib" in s.line for s in samples):
        db += [("DuckDB buffers (in wall)", [s.line.get("duckdb_mib", 0.0) for s in samples], COLORS[4]),
               ("glibc heap in use (in wall)", [s.line.get("heap_mib", 0.0) for s in samples], COLORS[3])]
    _chart(p, (LEFT, TOP + 880, cw, 150), xs, db, "MiB", xmax,
           title="the DuckDB cache file, and inside the wall process: DuckDB's buffers, the C heap (MiB)")
    p.end()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not img.save(str(path)):
        raise OSError(f"could not write {path}")
    return path


def draw_curve(path: Path, title: str, xs, series, goals, *, xlabel: str, ylabel: str) -> Path:
    """One chart: each of ``series`` ((label, values, colour)) over ``xs``, and ``goals``
    ((label, value, colour)) as dashed lines. Returns ``path``."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:  # run alone: no display needed
        from benchmarks._env import offscreen

        offscreen()
    from benchmarks import _fixtures as fx

    fx.app()
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

    width, height = 1400, 700
    img = QImage(width, height, QImage.Format.Format_RGB32)
    img.fill(QColor("#0b1a33"))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont(p.font())
    font.setPixelSize(15)
    big = QFont(font)
    big.setPixelSize(20)
    big.setBold(True)
    p.setFont(big)
    p.setPen(QPen(QColor("#f8fafc")))
    p.drawText(QRectF(LEFT, 12, width - LEFT - 20, 30), Qt.AlignmentFlag.AlignLeft, title)
    p.setFont(font)
    _chart(p, (LEFT, TOP + 40, width - LEFT - RIGHT - 100, height - TOP - 140), list(xs),
           series, ylabel, max(xs, default=1) or 1, title="(legend: value at the largest size)",
           xlabel=xlabel, goals=goals)
    p.end()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not img.save(str(path)):
        raise OSError(f"could not write {path}")
    return path
