"""The words the wall shows for the node's incidents: one place for the status strip's text.

The data layer and the rest report a state by its key and its facts (cockpit/model/incidents.py);
this module turns them into the short Chinese line of the status strip, just before the strip
gets them (the pump, a screenshot). Plain Python, no Qt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from cockpit.model.incidents import Incident

#: incident key -> its line on the wall; ``{name}`` is filled from the incident's details
INCIDENT_TEXT = {
    # cockpit/data/store.py: a write failed for want of space (clears once writes succeed again)
    "store.disk_full": "缓存磁盘已满，新数据暂停写入（已有数据不受影响）",
    # cockpit/data/opening.py open_store, cockpit/data/cachecheck.py: a damaged cache set aside
    "store.rebuilt": "缓存文件损坏，已另存为 {kept} 并重建，数据正在重新载入",
    # cockpit/data/mirror.py: a read-only wall's copy of the cache could not be renewed
    "store.mirror": "只读副本暂未更新，显示的是上一次复制的数据",
    # cockpit/ops/watchdog.py: the GUI thread has not beaten for this long
    "gui.stall": "界面卡顿 {seconds} 秒",
    # widgets/map_view.py: the map's web renderer died and is being reloaded
    "map.renderer": "地图渲染进程异常退出，正在重新载入",
}


def incident_text(incident: Incident) -> str:
    """The line the strip shows for ``incident``: its key's wording, else the reporter's own
    text, else (an unknown key without text) the key itself rather than nothing."""
    template = INCIDENT_TEXT.get(incident.key)
    if template is None:
        return incident.text or incident.key
    try:
        return template.format_map(dict(incident.details))
    except (KeyError, IndexError, ValueError):  # a fact missing: the clauses before it
        head = template.split("{", 1)[0]
        return incident.text or (head.rsplit("，", 1)[0] if "，" in head else head).strip() \
            or incident.key


def worded(items: Iterable[Incident]) -> list[Incident]:
    """``items`` with their ``text`` in the wall's words (as the status strip reads them)."""
    return [replace(i, text=incident_text(i)) for i in items]
