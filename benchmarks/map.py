"""The live map: pushing an update into the page against regenerating and reloading it.

* update — 1,000 device markers change colour. Ours: the payload (JSON, built beforehand as the
  worker thread builds it) pushed into the live page over the web channel, timed until the
  page answers a call queued behind it (so the update has been applied). The alternative: what a
  folium map does without a bridge — regenerate the folium HTML with the 1,000 markers
  (folium.CircleMarker) and load it again, timed until ``loadFinished``. Same run, same view size.
* memory — the renderer process (a QtWebEngineProcess forked from the zygote; PSS from
  /proc/PID/smaps_rollup) after the first 100 pushed updates of a wall-sized payload (the
  districts, 200 devices, 50 alerts, all changing colour every time) and after 10,000 of them
  (``--quick``: 1,000). Figures are printed, never asserted.

``python -m benchmarks.map [--quick]``
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from benchmarks._env import offscreen
from benchmarks._stats import Figure, Row, script_main, summarize

COMMAND = "python -m benchmarks.map"
BOX = (118.3, 35.7, 119.9, 37.2)  # lon/lat box around Weifang
COLORS = ("#22c55e", "#ef4444", "#64748b", "#f59e0b")


def renderer_pss_mib() -> float:
    """PSS of this process's QtWebEngine renderer(s), MiB (Linux /proc); NaN elsewhere."""
    import os

    parents: dict[int, int] = {}
    engine = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if cmd and b"QtWebEngineProcess" in cmd[0]:
            engine.append(entry)
    # Renderers are forked from a zygote without a new command line: the engine processes
    # whose parent is an engine process too.
    engine_pids = {int(e.name) for e in engine}
    renderers = [e for e in engine if parents.get(int(e.name)) in engine_pids]

    def ours(pid: int) -> bool:  # a descendant of this process (through the zygote)
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == os.getpid():
                return True
        return False

    total = 0
    found = False
    for entry in renderers:
        if not ours(int(entry.name)):
            continue
        for line in (entry / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
                found = True
    return total / 1024 if found else float("nan")


def devices(n: int, rng: random.Random, k: int) -> list[dict]:
    pts = random.Random(7)
    return [{"id": f"d{i}", "robot": i % 10 == 0, "kind": "patrol_robot" if i % 10 == 0 else "sensor",
             "lat": round(pts.uniform(BOX[1], BOX[3]), 5), "lon": round(pts.uniform(BOX[0], BOX[2]), 5),
             "color": COLORS[(i + k) % len(COLORS)], "tip": f"设备 {i}"} for i in range(n)]


def wall_payload(k: int, rng: random.Random) -> str:
    from cockpit.model.metrics import DISTRICTS

    alerts = [{"id": f"a{i}", "severity": ("critical", "major", "minor", "info")[(i + k) % 4],
               "lat": 36.0 + i * 0.02, "lon": 119.0 + (i % 7) * 0.05,
               "color": COLORS[(i + k) % 4], "tip": f"告警 {i} · 第 {k} 次"} for i in range(50)]
    districts = {code: {"color": COLORS[(j + k) % 4], "tip": f"{name} {k}"}
                 for j, (code, name) in enumerate(DISTRICTS.items())}
    return json.dumps({"districts": districts, "devices": devices(200, rng, k), "alerts": alerts})


def folium_page(points: list[dict]) -> str:
    """The alternative's page: the whole folium map again, markers included."""
    import folium

    from maps.page import LEAFLET_CSS, LEAFLET_JS, districts

    m = folium.Map(location=[36.45, 119.1], zoom_start=8, tiles=None, zoom_control=False,
                   attribution_control=False)
    m.default_js = [("leaflet", LEAFLET_JS)]
    m.default_css = [("leaflet_css", LEAFLET_CSS)]
    folium.GeoJson(districts(), embed=True).add_to(m)
    for p in points:
        folium.CircleMarker([p["lat"], p["lon"]], radius=4, weight=1, color="#e8f4ff",
                            fill=True, fill_color=p["color"], fill_opacity=0.95).add_to(m)
    return m.get_root().render()


def run(quick: bool = False, *, out=sys.stdout) -> Figure:
    offscreen()
    from PySide6.QtCore import QEventLoop, QTimer, QUrl

    from benchmarks import _fixtures as fx
    from widgets.map_view import MapView, map_profile, wait_until_drawn

    fx.app()
    rounds = 8 if quick else 30
    total_updates = 1000 if quick else 10000
    rng = random.Random(2026)
    view = MapView()
    view.resize(1200, 900)
    view.show()
    assert wait_until_drawn([view], settle_ms=100), "the map page did not load"

    def roundtrip(script: str = "1") -> None:
        loop = QEventLoop()
        view.run(script, lambda _r: loop.quit())
        QTimer.singleShot(60000, loop.quit)
        loop.exec()

    # -- update: push against regenerate + reload ---------------------------------------------
    pushed_ms, reload_ms, build_ms = [], [], []
    payloads = [json.dumps({"devices": devices(1000, rng, k)}) for k in range(rounds + 1)]
    view.push(payloads[0])
    roundtrip()
    for k in range(1, rounds + 1):
        started = time.perf_counter()
        view.push(payloads[k])
        roundtrip()
        pushed_ms.append((time.perf_counter() - started) * 1000)
    assert view.page().url().toString().endswith("/map.html")
    handler = map_profile().handler
    other = MapView()  # the alternative gets its own view of the same size
    other.resize(1200, 900)
    other.show()
    assert wait_until_drawn([other], settle_ms=100)
    for k in range(1, rounds + 1):
        started = time.perf_counter()
        html = folium_page(devices(1000, rng, k))
        built = time.perf_counter()
        url = handler.set_page(f"bench{k}", html)
        loop = QEventLoop()
        other.loadFinished.connect(loop.quit)
        other.load(QUrl(url))
        QTimer.singleShot(60000, loop.quit)
        loop.exec()
        other.loadFinished.disconnect(loop.quit)
        reload_ms.append((time.perf_counter() - started) * 1000)
        build_ms.append((built - started) * 1000)
        handler.extra_pages.clear()

    # -- memory: many pushed updates ---------------------------------------------------------
    other.close()
    other.deleteLater()
    view.push(json.dumps({"devices": []}))
    roundtrip()
    payload_cache = [wall_payload(k, rng) for k in range(8)]
    mem: dict[int, float] = {}
    marks = (100, total_updates // 10, total_updates // 4, total_updates // 2,
             3 * total_updates // 4, total_updates)
    push_only = []
    started = time.perf_counter()
    for k in range(1, total_updates + 1):
        view.push(payload_cache[k % len(payload_cache)])
        if k % 50 == 0:  # let the page keep up, as the wall's ticks would
            roundtrip()
        if k in marks:
            roundtrip()
            mem[k] = renderer_pss_mib()
    push_only.append((time.perf_counter() - started) * 1000 / total_updates)
    fig = Figure(
        name="map",
        title="1,000 markers change colour in the live map (1200x900 view)",
        goal=1000.0, goal_stat="median", unit="ms",
        ours=Row("push into the live page (web channel)", summarize(pushed_ms), "ms"),
        alternative=Row("regenerate folium HTML + reload", summarize(reload_ms), "ms"),
        side=[Row("  of which folium regeneration", summarize(build_ms), "ms"),
              Row("wall-sized update, pushed (mean of all)", summarize(push_only), "ms")],
        notes=["renderer PSS after N pushed updates (districts + 200 devices + 50 alerts each): "
               + ", ".join(f"{k}: {v:.0f} MiB" for k, v in mem.items())
               + f"; after {total_updates} against after 100: "
               f"{mem.get(total_updates, float('nan')) / mem.get(100, float('nan')):.2f}×",
               "goal: the map changes within a second of new data (the issue's bound)"])
    view.close()
    view.deleteLater()
    fx.settle()
    return fig


def main(argv: list[str] | None = None) -> int:
    return script_main(COMMAND, run, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
