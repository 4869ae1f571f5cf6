"""The status strip's words for the node's incidents: reporters name a state, the shell words it
(cockpit/shell/wording.py). The lines are the ones the wall showed when reporters wrote them."""

from __future__ import annotations

from datetime import UTC, datetime

from cockpit.data.cachecheck import REBUILT_INCIDENT
from cockpit.data.mirror import INCIDENT as MIRROR_INCIDENT
from cockpit.data.store import DISK_FULL_INCIDENT
from cockpit.model.incidents import Incident
from cockpit.shell.wording import incident_text, worded

NOW = datetime(2024, 5, 1, tzinfo=UTC)


def incident(key, text="", **details):
    return Incident(key, "warning", text, NOW, tuple(sorted(details.items())))


def test_the_data_layers_states_read_as_they_always_did():
    assert incident_text(incident(DISK_FULL_INCIDENT)) == "缓存磁盘已满，新数据暂停写入（已有数据不受影响）"
    assert incident_text(incident(MIRROR_INCIDENT)) == "只读副本暂未更新，显示的是上一次复制的数据"
    assert (incident_text(incident(REBUILT_INCIDENT, kept="wall.duckdb.damaged-20240501-120000"))
            == "缓存文件损坏，已另存为 wall.duckdb.damaged-20240501-120000 并重建，数据正在重新载入")
    assert incident_text(incident("map.renderer")) == "地图渲染进程异常退出，正在重新载入"
    assert incident_text(incident("gui.stall", seconds=7)) == "界面卡顿 7 秒"  # the watchdog


def test_a_key_without_words_shows_its_reporters_text_or_at_least_its_key():
    assert incident_text(incident("store.read_only", "只读模式")) == "只读模式"
    assert incident_text(incident("some.new_state")) == "some.new_state"
    # a detail missing: the words without it, never a crash on the GUI thread
    assert incident_text(incident(REBUILT_INCIDENT)) == "缓存文件损坏"


def test_worded_fills_the_text_the_strip_reads_and_keeps_the_rest():
    raw = [incident(DISK_FULL_INCIDENT), incident("gui.stall", seconds=7)]
    shown = worded(raw)
    assert [i.text for i in shown] == ["缓存磁盘已满，新数据暂停写入（已有数据不受影响）", "界面卡顿 7 秒"]
    assert [(i.key, i.level, i.since) for i in shown] == [(i.key, i.level, i.since) for i in raw]
