"""The data pump: runs panel queries off the GUI thread and hands view-models back to it.

Each refresh of a layout is one job on a small thread pool (each worker thread reads through
its own store cursor). Results come back as plain values through a queued signal and are
applied in one go, per layout: a panel repaints only if its view-model changed. At most one
job per layout is in flight; requests made meanwhile are merged into one follow-up run.
The visible layout refreshes on every tick and whenever a feed lands rows; the warm ones in the
background less often, so a switch shows recent data at once.

The moment the queries show comes from the pump's :class:`~cockpit.model.timeline.Timeline`:
now, or during a replay (回放) a past moment advancing at the replay's speed. A replay only
reads; acknowledgements are still stamped with the real time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from cockpit.data.store import Store
from cockpit.model import incidents
from cockpit.model.registry import PANEL_KINDS
from cockpit.model.timeline import Timeline
from cockpit.panels.freshness import FeedHealth, Freshness, for_panel, read_health
from cockpit.shell.wall import WallShell
from cockpit.shell.wording import worded

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LayoutResults:
    """One refresh of a layout, built on a worker thread: the panels' view-models, the
    freshness of the feeds behind each, and every feed's health (for the status strip)."""

    vms: dict[str, object]
    freshness: dict[str, Freshness]
    health: tuple[FeedHealth, ...] | None  # None: could not be read this time
    now: datetime | None = None  # the moment the queries showed (a replay's, or now)


def run_layout_job(store: Store, specs: list, now: datetime,
                   intervals: dict[str, float] | None = None) -> LayoutResults:
    """The queries of one layout, then feed_health once for all its panels (worker thread)."""
    vms = run_layout_queries(store, specs, now)
    try:
        with store.reading() as cur:
            health = read_health(cur, intervals)
    except Exception:
        log.exception("reading feed_health failed")
        return LayoutResults(vms, {}, None, now)
    return LayoutResults(vms, {pid: for_panel(vm, health) for pid, vm in vms.items()}, health,
                         now)


def run_layout_queries(store: Store, specs: list, now: datetime) -> dict[str, object]:
    """Every panel's view-model for one layout (worker thread). A failing query is logged and
    leaves that panel's last view-model in place."""
    out: dict[str, object] = {}
    single = []
    batches: dict[str, list] = {}  # the panels of the kinds that one function reads together
    for spec in specs:
        batch = PANEL_KINDS.get(spec.kind).batch
        if batch:
            batches.setdefault(batch, []).append(spec)
        else:
            single.append(spec)
    for group in batches.values():
        if len(group) == 1:
            single.extend(group)
            continue
        try:
            with store.reading() as cur:
                out.update(PANEL_KINDS.get(group[0].kind).batch_function()(cur, group, now))
        except Exception:  # one panel's failure must not take its neighbours' figures
            log.warning("panels %s read together failed; read one by one",
                        ", ".join(s.id for s in group), exc_info=True)
            single.extend(group)
    for spec in single:
        try:
            with store.reading() as cur:  # one query at a time, so a checkpoint can slip in
                out[spec.id] = PANEL_KINDS.get(spec.kind).query_function()(cur, spec, now)
        except Exception:
            log.exception("query of panel %s/%s failed", spec.layout_id, spec.id)
    return out


class DataPump(QObject):
    results_ready = Signal(int, object)  # layout index, {panel id: view-model}
    data_arrived = Signal(str, int)  # emitted from the feed thread; queued to the GUI thread
    refreshed = Signal(int)  # a layout's new view-models were applied
    layouts_loaded = Signal(object, object)  # [Layout], [LayoutError] read off the GUI thread
    layouts_applied = Signal(list, list)  # ids swapped in, error texts
    timeline_changed = Signal(object)  # the replayed moment (a datetime), or None: live again

    def __init__(self, store: Store, shell: WallShell, *, interval_ms: int = 5000,
                 background_every: int = 6, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 workers: int = 2, feeds: dict[str, float] | None = None) -> None:
        """``feeds``: the site config's feeds and their intervals in seconds (the status strip
        lists them, and a panel's default staleness bound is twice its feeds' interval)."""
        super().__init__()
        self.store = store
        self.feeds = dict(feeds or {})
        self.health: tuple[FeedHealth, ...] = ()  # every feed's state, as last read
        self.shell = shell
        self.real_clock = clock  # what time it is (acknowledgements, the audit)
        self.timeline = Timeline()  # what moment the wall shows: live, or a replay
        self.background_every = background_every
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="panel-query")
        self._in_flight: set[int] = set()
        self._pending: set[int] = set()
        self._ticks = 0
        self._fed_since_tick = False
        self._stopped = False
        self.last_apply_ms = 0.0
        self.shown_at: dict[int, datetime] = {}  # layout index -> the moment its panels show
        self.standing_notice = ""  # shown in the headers before any other notice (read-only)
        self.results_ready.connect(self._on_results_ready)
        self.data_arrived.connect(self._on_data_arrived)
        self.layouts_loaded.connect(self._on_layouts_loaded)
        shell.layout_changed.connect(self._on_shell_layout_changed)
        shell.acknowledge_requested.connect(self.acknowledge)
        shell.district_focused.connect(self._on_shell_layout_changed)
        self._live_interval_ms = interval_ms
        self._tick = QTimer(self)
        self._tick.setInterval(interval_ms)
        self._tick.timeout.connect(self._on_tick_timeout)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._on_clock_timeout)

    def clock(self) -> datetime:
        """The moment the wall shows: now, or the replayed moment during a replay."""
        moment = self.timeline.moment(time.time())
        return self.real_clock() if moment is None else moment

    def timeline_moved(self) -> None:
        """The timeline was changed (a replay started, paused, sought, stepped, or ended):
        re-read every layout at the new moment; refresh quickly while a replay plays."""
        moment = self.timeline.moment(time.time())
        self._tick.setInterval(1000 if moment is not None else self._live_interval_ms)
        self.timeline_changed.emit(moment)
        # the layout on show now; the warm ones catch up on their background round, and any
        # layout switched to is re-read at once (a seek never waits behind 17 other layouts)
        self.refresh(self.shell.current)
        self._on_clock_timeout()

    def start(self) -> None:
        self.refresh_all()
        self._tick.start()
        self._clock.start()

    def stop(self) -> None:
        self._stopped = True  # signals still queued (a feed's last batch) find the pool gone
        self._tick.stop()
        self._clock.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- requests -------------------------------------------------------------------------
    def refresh(self, index: int) -> None:
        if self._stopped:
            return
        if index in self._in_flight:
            self._pending.add(index)
            return
        self._in_flight.add(index)
        slot = self.shell.slots[index]
        # the view state's specs (a drilled screen's panels narrowed to its district); a layout
        # not built yet has no panel to show them
        specs = self.shell.screen.query_specs(slot.layout.id) if slot.pages else []
        held = list(getattr(self.shell, "held_alert_ids", ()))
        if held:  # an alert list lists what holds the wall in a takeover, whatever its filters
            specs = [replace(s, params={**s.params, "held": held}) if s.kind == "alerts" else s
                     for s in specs]
        now = self.clock()
        future = self._pool.submit(run_layout_job, self.store, specs, now, self.feeds)
        future.add_done_callback(lambda f, i=index: self._on_future_done(i, f))

    def _on_future_done(self, index: int, future) -> None:
        """Worker thread: pass the results on; the signal queues them to the GUI thread."""
        if future.cancelled():
            return
        if future.exception() is not None:
            log.error("refresh of layout %d failed: %s", index, future.exception())
        results = (future.result() if future.exception() is None
                   else LayoutResults({}, {}, None))
        self.results_ready.emit(index, results)

    def refresh_all(self) -> None:
        """Every layout, the one on show first (its screens are what people look at)."""
        current = self.shell.current
        for i in [current, *(i for i in range(len(self.shell.slots)) if i != current)]:
            self.refresh(i)

    def submit(self, fn, *args):
        """Run blocking work (disk, queries) on the pool; returns its future."""
        return self._pool.submit(fn, *args)

    def acknowledge(self, alert_ids: list[str], by: str = "值班员（墙端按键）") -> None:
        if self.store.read_only:  # nothing may be written: say so instead of failing
            log.info("read-only wall: acknowledgement of %d alert(s) not recorded", len(alert_ids))
            self._set_notices(["告警确认未记录"])
            return
        now = self.real_clock()  # a replay shows the past; the acknowledgement is made now
        future = self._pool.submit(self.store.acknowledge_alerts, alert_ids, by, now)
        future.add_done_callback(
            lambda f: self.data_arrived.emit("ack", f.result() if f.exception() is None else 0))

    # -- results (GUI thread) -------------------------------------------------------------
    def _on_results_ready(self, index: int, results: LayoutResults) -> None:
        started = time.perf_counter()
        self._in_flight.discard(index)
        if results.health is not None:
            self.health = results.health
        if results.now is not None:
            self.shown_at[index] = results.now
        if index < len(self.shell.slots):
            now = self.clock()
            slot = self.shell.slots[index]
            for page in slot.pages:
                for pid, panel in page.panels.items():
                    if pid in results.vms:
                        panel.set_now(now)
                        if pid in results.freshness:
                            panel.set_freshness(results.freshness[pid])
                        panel.set_view_model(results.vms[pid])
            if index == self.shell.current:
                self.update_strips(now)
        self.last_apply_ms = (time.perf_counter() - started) * 1000
        self.refreshed.emit(index)
        if index in self._pending:
            self._pending.discard(index)
            self.refresh(index)

    def _on_layouts_loaded(self, layouts: list, errors: list) -> None:
        """Swap in changed layouts; a bad file leaves its old version (and the screen) alone."""
        changed = []
        for layout in layouts:
            known = next((s.layout for s in self.shell.slots if s.layout.id == layout.id), None)
            if known != layout:
                self.shell.replace_layout(layout)
                changed.append(layout.id)
        texts = [str(e) for e in errors]
        for text in texts:
            log.error("layout file not loaded, the wall keeps what it showed:\n%s", text)
        self._set_notices([reload_notice(errors)] if errors else [])
        for layout_id in changed:
            self.refresh(self.shell.layout_index(layout_id))
        self.layouts_applied.emit(changed, texts)

    def _set_notices(self, notices: list[str]) -> None:
        text = "；".join(([self.standing_notice] if self.standing_notice else []) + notices)
        for slot in self.shell.slots:
            for header in slot.headers():
                header.set_notice(text)

    def _on_data_arrived(self, feed: str, rows: int) -> None:
        self._fed_since_tick = True
        if self.timeline.live:  # a replay shows the past: live rows landing do not change it
            self.refresh(self.shell.current)

    def _on_shell_layout_changed(self, layout_id: str) -> None:
        self.update_strips(self.clock())
        self.refresh(self.shell.current)

    def _on_tick_timeout(self) -> None:
        if self.timeline.finished(time.time()):
            log.info("replay reached its end: back to live")
            self.timeline.go_live()
            self.timeline_moved()
            return
        if not self.timeline.live:
            # a replay keeps the pool for the layout on show: the warm ones are re-read when
            # switched to (a background round of every layout at city scale would make a seek
            # wait behind it), and a paused replay's moment does not move
            self.timeline_changed.emit(self.timeline.moment(time.time()))
            if not self.timeline.paused:
                self.refresh(self.shell.current)
            return
        self._ticks += 1
        if self._ticks % self.background_every == 0:
            self.refresh_all()
        elif not self._fed_since_tick:  # no feed news: still re-read, time moves on
            self.refresh(self.shell.current)
        self._fed_since_tick = False

    def _on_clock_timeout(self) -> None:
        now = self.clock()
        slot = self.shell.slots[self.shell.current]
        for header in slot.headers():
            header.set_now(now)
        for panel in slot.panels():
            panel.set_now(now)
        self.update_strips(now)

    def update_strips(self, now: datetime) -> None:
        """The status strips of the layout on show: every feed, the panels' summary, the
        node's incidents in the wall's words (GUI thread; no I/O: feed_health was read with the
        last refresh)."""
        slot = self.shell.slots[self.shell.current]
        strips = slot.strips()
        if not strips:
            return
        states = [p.freshness_state for p in slot.panels()]
        found = worded(incidents.current()[1])
        for strip in strips:
            strip.set_status(self.health, states, found, now)


def reload_notice(errors: list, limit: int = 40) -> str:
    """The header's one line after a reload with bad files: which files (by name: the header
    has room for little), then the first problem, cut to fit; the log has every problem."""
    if not errors:
        return ""
    names = "、".join(dict.fromkeys(Path(e.file).name for e in errors))
    first = errors[0].problems[0] if getattr(errors[0], "problems", None) else None
    detail = f"{first.path}: {first.message}" if first else str(errors[0]).splitlines()[0]
    if len(detail) > limit:
        detail = detail[: limit - 1] + "…"
    return f"布局文件有误，未载入：{names}（{detail}）详见日志"
