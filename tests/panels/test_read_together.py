"""A layout's kpi and timeseries panels are read together (issue 18: a statement for every
metric's newest value, one for the values a day before, one per series window — instead of two
or three for each panel), and each gets what it gets read alone; one panel's failure does not
take its neighbours' figures."""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from datetime import timedelta

from support import NOW, ROOT

from cockpit.model.layout import load_layouts
from cockpit.panels.observations import kpi, read_together, timeseries
from cockpit.panels.viewmodels import KpiVM, SeriesVM
from cockpit.shell.pump import run_layout_queries


def _kpi_specs(kinds=("kpi",)):
    """The bundled layouts' panels of ``kinds``, by layout (ids are unique within a layout)."""
    layouts, errors = load_layouts(ROOT / "layouts")
    assert errors == []
    return {lay.id: [s for s in lay.panels() if s.kind in kinds] for lay in layouts}


def _close(xs, ys) -> bool:
    return len(xs) == len(ys) and all(math.isclose(x, y, rel_tol=1e-12)
                                       for x, y in zip(xs, ys, strict=True))


def _same(a, b) -> bool:
    """Equal view-models; a drawn point may differ in the last bit (DuckDB's parallel sums of a
    bucket add in another order when other metrics share the scan, as they do from run to run
    anyway: the points are not rounded, being drawn, not printed)."""
    if isinstance(a, SeriesVM):
        return (isinstance(b, SeriesVM) and (a.as_of, a.source) == (b.as_of, b.source)
                and len(a.series) == len(b.series)
                and all(replace(x, times=(), values=()) == replace(y, times=(), values=())
                        and x.times == y.times and _close(x.values, y.values)
                        for x, y in zip(a.series, b.series, strict=True)))
    return replace(a, spark=()) == replace(b, spark=()) and _close(a.spark, b.spark)


def test_every_bundled_kpi_and_series_read_together_gets_what_it_gets_alone(demo_store):
    layouts = _kpi_specs(("kpi", "timeseries"))
    assert sum(s.kind == "timeseries" for specs in layouts.values() for s in specs) > 10
    assert sum(map(len, layouts.values())) > 60
    cur = demo_store.reader()
    shown = checked = 0
    # live, a replay's moment, and drilled into a district (every panel of a screen filtered)
    for now, district in ((NOW, None), (NOW - timedelta(hours=30), None), (NOW, "370702")):
        for layout_id, specs in layouts.items():
            group = [replace(s, params={**s.params, "district": district}) if district else s
                     for s in specs]
            together = read_together(cur, group, now)
            alone = {s.id: (kpi if s.kind == "kpi" else timeseries)(cur, s, now) for s in group}
            assert set(together) == set(alone)
            for pid, vm in together.items():
                assert _same(vm, alone[pid]), (layout_id, pid, now, district)
            shown += sum(vm.value is not None and vm.previous is not None and len(vm.spark) > 10
                         if isinstance(vm, KpiVM) else
                         all(len(line.values) > 10 for line in vm.series)
                         for vm in together.values())
            checked += len(together)
    assert shown > checked / 2, (shown, checked)  # figures, deltas and sparklines, not blanks


def test_a_failing_kpi_leaves_its_neighbours_figures(demo_store, caplog):
    good = _kpi_specs()["overview"][:3]
    broken = replace(good[0], id="broken", params={**good[0].params, "metric": "no_such_metric"})
    with caplog.at_level(logging.WARNING):
        vms = run_layout_queries(demo_store, [good[0], broken, good[1], good[2]], NOW)
    assert set(vms) == {s.id for s in good}
    assert all(vms[s.id] == kpi(demo_store.reader(), s, NOW) for s in good)
    assert any("broken" in r.getMessage() and r.levelno >= logging.ERROR for r in caplog.records)


def test_panels_whose_figures_end_at_different_times_each_keep_their_own(tmp_path):
    """One feed stopped five hours ago, another is live: each figure's delta is against a day
    before its own time, its sparkline and each line of a series end at their own metric's
    time, read together or alone."""
    import pyarrow as pa

    from cockpit.data.store import Store
    from cockpit.model.layout_spec import Cell, PanelSpec
    from cockpit.model.registry import PANEL_KINDS

    def spec(pid: str, kind: str = "kpi", **params) -> PanelSpec:
        fields = {f.name: f.default for f in PANEL_KINDS.get(kind).fields}
        return PanelSpec(id=pid, kind=kind, title="测试", cell=Cell(0, 0), stale_after=600.0,
                         params={**fields, **params}, screen=0, layout_id="test")

    def series(pid: str, **params) -> PanelSpec:
        return spec(pid, "timeseries", **params)

    rows = []
    t = NOW - timedelta(days=2)
    k = 0
    while t <= NOW:
        for metric, stop in (("aqi", NOW), ("hotline_opened", NOW - timedelta(hours=5)),
                             ("congestion", NOW - timedelta(minutes=50))):
            for district in ("370702", "370703", "370705"):
                k += 1
                if t <= stop:
                    rows.append((t + timedelta(seconds=k % 90), metric, district,
                                 float((k * 7919) % 1009)))
        t += timedelta(minutes=7)
    table = pa.table({
        "ts": pa.array([r[0] for r in rows], pa.timestamp("us", tz="UTC")),
        "feed": ["f"] * len(rows), "entity_id": [f"{r[2]}:{r[1]}" for r in rows],
        "entity_type": ["district"] * len(rows), "metric": [r[1] for r in rows],
        "value": [r[3] for r in rows], "unit": [""] * len(rows),
        "district": [r[2] for r in rows], "lat": [36.7] * len(rows), "lon": [119.1] * len(rows)})
    with Store(tmp_path / "c.duckdb") as store:
        store.ingest("f", observations=table)
        specs = [spec("a", metric="aqi", sparkline_hours=6),
                 spec("h", metric="hotline_opened", sparkline_hours=24),
                 spec("c", metric="congestion", sparkline_hours=6),
                 spec("a2", metric="aqi", sparkline_hours=24, district="370703"),
                 spec("h2", metric="hotline_opened", sparkline_hours=0),
                 series("s", metrics=["aqi", "hotline_opened", "congestion"], hours=24,
                        bucket_minutes=10),
                 series("s2", metrics=["congestion"], hours=6, bucket_minutes=10,
                        district="370703")]
        cur = store.reader()
        together = read_together(cur, specs, NOW)
        ends = {pid: vm.as_of for pid, vm in together.items()}
        assert len({ends["a"], ends["h"], ends["c"]}) == 3  # three different times
        for s in specs:
            alone = (kpi if s.kind == "kpi" else timeseries)(cur, s, NOW)
            assert _same(together[s.id], alone), s.id
            if s.kind == "kpi":
                assert together[s.id].previous is not None
        lines = together["s"].series  # each line ends at its own metric's newest row
        assert len({line.times[-1] for line in lines}) == 3
        assert together["h2"].spark == () and len(together["h"].spark) > 40
