"""Freshness, the same on every panel: *fresh*, *stale* or *failed*. Pure Python, no Qt.

Which feeds stand behind a panel comes from its data: the feed names its query found in the
``feed`` column of the rows it read (a view-model's ``source``), matched against the feeds of
the node (``feed_health`` and the site config). The worker thread reads ``feed_health`` with
the panel queries (:func:`read_health`) and hands each panel a :class:`Freshness`; the widget
judges it against the clock (:func:`judge`) every second, on the GUI thread, without I/O.

- **failed**: a feed behind the panel failed its last attempt (``last_attempt`` after
  ``last_success``, or never a success). The last good data stays, dimmed, and the badge names
  the feed and its last error (already redacted by the runner), shortened.
- **stale**: the data is older than the panel's bound. A layout's explicit ``stale_after`` is
  held against the data's own time. Without one the bound is twice the longest interval of the
  panel's feeds, held against the moment those feeds last confirmed the data (their oldest
  ``last_success``): a source polled every minute whose figures move every five is fresh as
  long as it answers. Panels whose data names no known feed (statistics by period, lists) keep
  the layout's bound (default five minutes) against the data's own time.
- **waiting** (no data yet: "等待数据…"), or, once a feed it could come from has failed,
  **failed** with "无数据 · <feed>：<error>"; **empty** when every feed has delivered and none
  carries this panel's data. A panel never blanks and never waits forever.

Which feeds a panel *without data* could come from is read from the cache, not guessed: the
feeds that have written its metrics (``observations``) or its alerts (``alerts``) — their
*supplies*. Only those are named; a failing feed that has written other data and never this
panel's is not (the 12345 tile does not blame the SensorThings feed). When no feed has ever
written the panel's data, the candidates are the feeds that have written nothing yet (one of
them may be it). Panels whose data names no metric or alerts (tables of records, indicators)
keep every feed as a candidate. The supplies are read only while some feed is failing, at most
every :data:`SUPPLY_TTL_S` per cache (a full scan: about 0.35 s over 10 M observations).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from cockpit.model.numbers import format_age

FRESH, STALE, FAILED, WAITING, EMPTY = "fresh", "stale", "failed", "waiting", "empty"
#: the words of the status strip for a feed's state
FEED_STATE_TEXT = {FRESH: "正常", STALE: "过期", FAILED: "故障", WAITING: "等待"}
SITE_ZONE = ZoneInfo("Asia/Shanghai")
ERROR_CHARS = 40  # an error on a badge is cut to this many characters
#: "FetchError: feed 数据中台: " — the badge already names the feed
_PREFIX = re.compile(r"^(?:\w+Error: |RetryLater: |Malformed: )?feed [^:]+: ")
_SPACE = re.compile(r"\s+")
#: what says nothing to a reader of the wall: the (redacted) address, the attempt count
_NOISE = re.compile(r"(?:from )?\S+://\S+\s*|\s*\(after \d+ attempts?\)")
SUPPLY_TTL_S = 600.0  # how long what each feed supplies is reused before it is read again
ALERTS = "alerts"  # the supply of a feed that wrote alerts
_supplies: dict[str, tuple[float, dict[str, frozenset[str]]]] = {}
_supplies_lock = threading.Lock()


@dataclass(frozen=True)
class FeedHealth:
    """One feed as the node knows it: its last attempt and success, its error, its interval."""

    feed: str
    last_attempt: datetime | None
    last_success: datetime | None
    error: str | None  # redacted when the runner recorded it
    interval: float | None  # seconds, from the site config (None: not configured here)
    #: what it has written to the cache: metric codes, and ALERTS (read while a feed fails)
    supplies: frozenset[str] = frozenset()

    @property
    def failing(self) -> bool:
        if self.last_attempt is None:
            return False  # not tried yet
        return self.last_success is None or self.last_attempt > self.last_success

    def state(self, now: datetime, default_bound: float) -> str:
        if self.failing:
            return FAILED
        if self.last_success is None:
            return WAITING
        bound = 2 * self.interval if self.interval else default_bound
        return STALE if (now - self.last_success).total_seconds() > bound else FRESH


@dataclass(frozen=True)
class Freshness:
    """What a panel needs, besides its view-model and the clock, to judge its freshness."""

    feeds: tuple[str, ...]  # the feeds its data came from (known feeds only)
    health: tuple[FeedHealth, ...]  # every feed of the node (for a panel with no data yet)

    def mine(self) -> list[FeedHealth]:
        return [h for h in self.health if h.feed in self.feeds]

    def could_supply(self, spec) -> list[FeedHealth]:
        """The feeds a panel without data could come from (see the module doc)."""
        needs = panel_needs(spec)
        if not needs:
            return list(self.health)
        suppliers = [h for h in self.health if h.supplies & needs]
        return suppliers or [h for h in self.health if not h.supplies]


@dataclass(frozen=True)
class Verdict:
    state: str  # FRESH, STALE, FAILED, WAITING or EMPTY
    badge: str | None  # the text on the panel (None when fresh)


def read_health(cur, intervals: dict[str, float] | None = None) -> tuple[FeedHealth, ...]:
    """Every feed of the node (worker thread). With ``intervals`` (the site config's feeds)
    exactly those feeds, in config order, also the ones not tried yet; without, every feed
    ``feed_health`` knows."""
    rows = {r[0]: r for r in cur.execute(
        "SELECT feed, last_attempt, last_success, last_error FROM feed_health").fetchall()}
    names = list(intervals) if intervals else sorted(rows)
    out = []
    for name in names:
        _, attempt, success, error = rows.get(name, (name, None, None, None))
        out.append(FeedHealth(name, attempt, success, error, (intervals or {}).get(name)))
    if any(h.failing for h in out):  # only then does it matter who supplies what
        supplies = read_supplies(cur)
        out = [replace(h, supplies=supplies.get(h.feed, frozenset())) for h in out]
    return tuple(out)


def read_supplies(cur, *, ttl: float = SUPPLY_TTL_S) -> dict[str, frozenset[str]]:
    """feed -> the metrics it has written to ``observations`` (and :data:`ALERTS` if it wrote
    alerts), reused for ``ttl`` seconds per cache file (worker thread)."""
    rows = cur.execute("SELECT file FROM pragma_database_list WHERE name = current_database()"
                       ).fetchall()
    key = str(rows[0][0]) if rows else ""
    with _supplies_lock:
        hit = _supplies.get(key)
        if hit is not None and time.monotonic() - hit[0] < ttl:
            return hit[1]
    found: dict[str, set[str]] = {}
    for feed, metrics in cur.execute(
            "SELECT feed, list(DISTINCT metric) FROM observations GROUP BY feed").fetchall():
        found.setdefault(feed, set()).update(metrics)
    for (feed,) in cur.execute("SELECT DISTINCT feed FROM alerts").fetchall():
        found.setdefault(feed, set()).add(ALERTS)
    result = {feed: frozenset(v) for feed, v in found.items() if feed}
    with _supplies_lock:
        _supplies[key] = (time.monotonic(), result)
    return result


def panel_needs(spec) -> frozenset[str]:
    """What a panel's data is made of, as supplies: its metrics, and :data:`ALERTS` for the
    alert list, an alerts ticker and a map showing alerts. Empty: not known from the spec."""
    if spec is None or not hasattr(spec, "get"):
        return frozenset()
    kind = getattr(spec, "kind", "")
    needs = {m for m in (spec.get("metric"), *(spec.get("metrics") or ())) if isinstance(m, str)}
    if kind == "alerts" or (kind == "ticker" and spec.get("source") == "alerts"):
        needs.add(ALERTS)
    if kind == "map" and {"alerts", "heat"} & set(spec.get("layers") or ("alerts",)):
        needs.add(ALERTS)
    return frozenset(needs)


def for_panel(vm, health: tuple[FeedHealth, ...]) -> Freshness:
    """The feeds named in a view-model's data, among the node's feeds."""
    named = set(filter(None, (getattr(vm, "source", "") or "").split("、")))
    return Freshness(tuple(h.feed for h in health if h.feed in named), health)


def short_error(text: str | None, limit: int = ERROR_CHARS) -> str:
    """An error as a badge shows it: without the feed's name (the badge gives it), the address
    or the attempt count, on one line, cut to ``limit`` characters."""
    if not text:
        return "未知错误"
    text = _SPACE.sub(" ", _NOISE.sub("", _PREFIX.sub("", text.strip()))).strip() or text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clock_text(when: datetime, now: datetime) -> str:
    local = when.astimezone(SITE_ZONE)
    return local.strftime("%H:%M") if (now - when).days < 1 else local.strftime("%m-%d %H:%M")


def has_data(vm) -> bool:
    return vm is not None and getattr(vm, "as_of", None) is not None


def judge(vm, spec, fr: Freshness | None, now: datetime) -> Verdict:
    """The panel's state and badge now. ``spec`` gives ``stale_after`` and whether the layout
    set it (``stale_explicit``); ``fr`` is None when nothing is known of the feeds (a widget
    shown without the pump): the layout's bound against the data's own time."""
    if vm is None:
        return Verdict(WAITING, "等待数据…")
    source = getattr(vm, "source", "") or ""
    if not has_data(vm):
        if fr is None:
            return Verdict(EMPTY, f"暂无数据（来源：{source or '未接入'}）")
        candidates = fr.mine() or fr.could_supply(spec)
        failing = [h for h in candidates if h.failing]
        if failing:
            h = failing[0]
            return Verdict(FAILED, f"无数据 · {h.feed}：{short_error(h.error)}")
        if not fr.health or any(h.last_success is None for h in candidates):
            return Verdict(WAITING, "等待数据…")
        return Verdict(EMPTY, f"暂无数据（来源：{source or '数据源未提供此项'}）")
    as_of: datetime = vm.as_of
    mine = fr.mine() if fr is not None else []
    failing = [h for h in mine if h.failing]
    if failing:
        h = failing[0]
        return Verdict(FAILED, f"{h.feed} 故障：{short_error(h.error)} · 数据截至 "
                               f"{clock_text(as_of, now)}")
    explicit = getattr(spec, "stale_explicit", True)
    intervals = [h.interval for h in mine if h.interval]
    if explicit or not intervals:
        ref, bound = as_of, spec.stale_after
    else:
        confirmed = [h.last_success for h in mine if h.last_success is not None]
        ref = max(as_of, min(confirmed)) if confirmed else as_of
        bound = 2 * max(intervals)
    age = (now - ref).total_seconds()
    if age <= bound:
        return Verdict(FRESH, None)
    tail = f" · {source}" if source else ""
    return Verdict(STALE, f"数据截至 {clock_text(ref, now)}（{format_age(age)}）{tail}")


def summary(states: list[str]) -> str:
    """The node-level line over the panels of the layout on show."""
    stale, failed = states.count(STALE), states.count(FAILED)
    parts = []
    if stale:
        parts.append(f"{stale} 个面板数据过期")
    if failed:
        parts.append(f"{failed} 个面板数据失败")
    waiting, empty = states.count(WAITING), states.count(EMPTY)
    if waiting:
        parts.append(f"{waiting} 个面板等待数据")
    if empty:
        parts.append(f"{empty} 个面板暂无数据")
    return " · ".join(parts) if parts else f"全部 {len(states)} 个面板数据正常"
