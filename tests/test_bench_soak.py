"""The soak benchmark's own parts: the process-tree memory it samples, the quarters it compares,
the plot it writes, and (slow) a short soak end to end with the real simulator, broker and
wall processes. Figures are never asserted against a goal here: only that what is reported
was really counted and sampled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from benchmarks import soak

# A parent that starts a child holding 64 MiB it has written to (so the pages are its own).
TREE = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import sys, time; b = b'x' * (64 << 20); print('ready', flush=True); time.sleep(60)"],
    stdout=subprocess.PIPE, text=True)
child.stdout.readline()
print(child.pid, flush=True)
time.sleep(60)
"""


def test_tree_pss_sums_a_process_and_its_descendants():
    parent = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True)
    try:
        child_pid = int(parent.stdout.readline())
        mem = soak.tree_pss(parent.pid)
        assert mem["procs"] == 2
        own = soak.pss_kib(parent.pid) / 1024
        assert mem[soak.GROUPS[0]] == pytest.approx(own, rel=0.2)  # the root alone
        assert mem[soak.GROUPS[3]] >= 64  # the child: not a web engine process
        assert mem[soak.GROUPS[1]] == mem[soak.GROUPS[2]] == 0
        assert soak.pss_kib(child_pid) / 1024 >= 64
    finally:
        parent.kill()
        parent.wait(10)
    assert soak.pss_kib(parent.pid) is None  # gone: no figure rather than a stale one


def _run(values: list[float], ticks_per_sample: int = 100) -> soak.Run:
    run = soak.Run(params=dict(ticks=len(values) * ticks_per_sample, map_updates=0, rate=1,
                               speed=300, sample_every=ticks_per_sample))
    for i, v in enumerate(values, 1):
        line = {"ticks": i * ticks_per_sample, "stall_ms": 10.0 * i, "render_ms": 5.0,
                "apply_ms": 1.0, "map_pushed": i}
        line["t"] = 10.0 * i if i <= len(values) // 2 else 10.0 * i + 10.0 * (i - len(values) // 2)
        cpu = {soak.GROUPS[0]: 5.0 * i, soak.GROUPS[1]: 1.0 * i, "simulator": 2.0 * i}
        run.samples.append(soak.Sample(line, {soak.GROUPS[0]: v, soak.GROUPS[1]: 50.0},
                                       sim_mib=80.0, db_mib=float(i), broker_mib=3.0, cpu=cpu))
    run.last = run.samples[-1].line
    run.seconds = 60.0
    run.loadavg = [(1.0, 1.0, 1.0)] * len(values)
    return run


def test_growth_compares_the_medians_of_the_first_and_last_quarter():
    # 8 samples: quarters of 2; a warm-up spike in the first quarter, then 10 % higher at the end
    run = _run([400, 200, 200, 200, 210, 210, 220, 220])
    first, last, pct = soak.growth(run, lambda s: s.tree_mib)
    assert first == pytest.approx(350)  # median of 450 and 250 (the renderer's 50 included)
    assert last == pytest.approx(270)
    assert pct == pytest.approx((270 - 350) / 350 * 100)
    fig = soak.figure(run)
    assert fig.value == pytest.approx(pct)
    assert fig.verdict == "within goal"  # shrinking is within a growth bound


def test_figure_says_when_memory_grows_and_what_was_counted():
    fig = soak.figure(_run([300, 300, 300, 300, 330, 330, 360, 360]))
    assert fig.verdict == "over goal"
    text = "\n".join(fig.notes)
    assert "counted: 800 ticks" in text
    assert "longest 80 ms" in text  # the stall: the largest per-interval maximum


def test_quarters_give_the_pace_and_who_used_the_cpu():
    # 8 samples of 100 ticks, 10 s apart in the first half and 20 s apart in the second
    notes = soak.by_quarter(_run([300] * 8))
    assert notes[0] == "ticks a second by quarter: 10.0 / 10.0 / 5.0 / 5.0"
    assert notes[1] == ("CPU cores kept busy by quarter (CPU s per s): "
                        f"{soak.GROUPS[0]} 0.50 / 0.50 / 0.25 / 0.25; "
                        f"{soak.GROUPS[1]} 0.10 / 0.10 / 0.05 / 0.05; "
                        "simulator 0.20 / 0.20 / 0.10 / 0.10")
    assert notes[2] == f"{soak.GROUPS[0]}: CPU ms per data tick by quarter: 50.0 / 50.0 / 50.0 / 50.0"
    # the renderer's CPU per map update (issue 18: flat when its work per update is)
    assert notes[3] == (f"{soak.GROUPS[1]}: CPU ms per map update by quarter: "
                        "1000.0 / 1000.0 / 1000.0 / 1000.0")


def test_cpu_is_counted_for_a_process_and_its_descendants():
    busy = ("import subprocess, sys, time; c = subprocess.Popen([sys.executable, '-c', "
            "'import time\\nt = time.process_time()\\nwhile time.process_time() - t < 0.6: pass\\n"
            "print(1, flush=True)\\ntime.sleep(60)'], stdout=subprocess.PIPE, text=True); "
            "c.stdout.readline(); print(c.pid, flush=True); time.sleep(60)")
    parent = subprocess.Popen([sys.executable, "-c", busy], stdout=subprocess.PIPE, text=True)
    child = 0
    try:
        child = int(parent.stdout.readline())
        cpu = soak.tree_cpu(parent.pid)
        assert cpu[soak.GROUPS[3]] >= 0.5  # the child's busy loop
        assert soak.cpu_seconds(child) >= 0.5
        assert 0 < cpu[soak.GROUPS[0]] < 5  # the parent: its start-up only
    finally:
        parent.kill()
        parent.wait(10)
        if child:
            os.kill(child, signal.SIGKILL)
    assert soak.cpu_seconds(parent.pid) is None


def test_plot_is_a_png_with_the_curves_drawn(qapp, tmp_path):
    from PySide6.QtGui import QColor, QImage

    path = soak.plot(_run([300, 310, 305, 300, 300, 302, 301, 300]), tmp_path / "soak.png", "test")
    img = QImage(str(path))
    assert (img.width(), img.height()) == (1500, 1150)
    cyan = QColor("#22d3ee").rgb()  # the tree's line
    assert any(img.pixel(x, y) == cyan for x in range(100, 1100, 3) for y in range(100, 540, 2))


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_short_soak_counts_ticks_and_map_updates_and_samples_the_tree(tmp_path):
    run = soak.soak(ticks=40, map_updates=2, rate=30, speed=300, sample_every=10,
                    max_minutes=4)
    assert run.finished, run.stderr_tail
    assert run.last["ticks"] >= 40 and run.last["map_pushed"] >= 2
    assert run.last["map_applied"] >= 1  # the page said it applied them
    assert set(run.last["per_feed"]) >= {"数据中台", "实时推送"}  # an API and the broker both fed it
    assert len(run.samples) >= 4
    for s in run.samples:
        assert s.wall[soak.GROUPS[0]] > 100  # the wall: Python, Qt, DuckDB
        assert s.sim_mib > 20 and s.broker_mib > 0
    assert run.samples[-1].wall[soak.GROUPS[1]] > 20  # the map's renderer is in the tree
    assert run.samples[-1].db_mib > run.samples[0].db_mib  # the cache filled
    last = run.samples[-1].cpu  # CPU time grows in the wall and the simulator
    assert last[soak.GROUPS[0]] > run.samples[0].cpu[soak.GROUPS[0]] and last["simulator"] > 0
    path = soak.plot(run, tmp_path / "soak.png", "short")
    assert path.stat().st_size > 10_000
