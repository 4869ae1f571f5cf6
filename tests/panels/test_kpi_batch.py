"""A screen's kpi panels are read together (issue 18: three statements for all of them instead
of three each), and each gets what it gets read alone; one panel's failure does not take its
neighbours' figures."""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from datetime import timedelta

from support import NOW, ROOT

from cockpit.model.layout import load_layouts
from cockpit.panels.observations import kpi, kpis
from cockpit.shell.pump import run_layout_queries


def _kpi_specs():
    """The bundled layouts' kpi panels, by layout (ids are unique within a layout)."""
    layouts, errors = load_layouts(ROOT / "layouts")
    assert errors == []
    return {lay.id: [s for s in lay.panels() if s.kind == "kpi"] for lay in layouts}


def _same(a, b) -> bool:
    """Equal view-models; a sparkline's points may differ in the last bit (DuckDB's parallel
    sums of a bucket add in another order when other metrics share the scan, as they do from
    run to run anyway: the points are not rounded, being drawn, not printed)."""
    return (replace(a, spark=()) == replace(b, spark=()) and len(a.spark) == len(b.spark)
            and all(math.isclose(x, y, rel_tol=1e-12) for x, y in zip(a.spark, b.spark,
                                                                        strict=True)))


def test_every_bundled_kpi_read_together_gets_what_it_gets_alone(demo_store):
    layouts = _kpi_specs()
    assert sum(map(len, layouts.values())) > 40
    cur = demo_store.reader()
    shown = checked = 0
    # live, a replay's moment, and drilled into a district (every panel of a screen filtered)
    for now, district in ((NOW, None), (NOW - timedelta(hours=30), None), (NOW, "370702")):
        for layout_id, specs in layouts.items():
            group = [replace(s, params={**s.params, "district": district}) if district else s
                     for s in specs]
            together = kpis(cur, group, now)
            alone = {s.id: kpi(cur, s, now) for s in group}
            assert set(together) == set(alone)
            for pid, vm in together.items():
                assert _same(vm, alone[pid]), (layout_id, pid, now, district)
            shown += sum(vm.value is not None and vm.previous is not None and len(vm.spark) > 10
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


def test_kpis_whose_figures_end_at_different_times_each_compare_with_their_own_day(tmp_path):
    """One feed stopped five hours ago, another is live: each figure's delta is against a day
    before its own time and its sparkline ends at its own time, read together or alone."""
    import pyarrow as pa

    from cockpit.data.store import Store
    from cockpit.model.layout_spec import Cell, PanelSpec
    from cockpit.model.registry import PANEL_KINDS

    def spec(pid: str, **params) -> PanelSpec:
        fields = {f.name: f.default for f in PANEL_KINDS.get("kpi").fields}
        return PanelSpec(id=pid, kind="kpi", title="测试", cell=Cell(0, 0), stale_after=600.0,
                         params={**fields, **params}, screen=0, layout_id="test")

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
                 spec("h2", metric="hotline_opened", sparkline_hours=0)]
        cur = store.reader()
        together = kpis(cur, specs, NOW)
        ends = {pid: vm.as_of for pid, vm in together.items()}
        assert len({ends["a"], ends["h"], ends["c"]}) == 3  # three different times
        for s in specs:
            assert _same(together[s.id], kpi(cur, s, NOW)), s.id
            assert together[s.id].previous is not None
        assert together["h2"].spark == () and len(together["h"].spark) > 40
