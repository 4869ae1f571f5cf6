"""The wall's view state, Qt-free: the district each screen is drilled into, and so the spec
each panel's query runs with.

A map click, Esc, the control API's ``drill`` and an alarm takeover all drill through one
:class:`ScreenModel`, which the shell owns. The pump reads the panels' query specs from it;
the screen pages subscribe to it and bring their widgets in step (titles, the map's
highlight). The model knows nothing of them: it calls plain callbacks, synchronously, on the
thread that changed it (the GUI thread on the wall).

A screen is drilled as a whole, but only panels that can follow do: kinds with a ``district``
field whose layout shows them the whole city. A panel already set to one district keeps it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from cockpit.model.layout_spec import Layout, PanelSpec
from cockpit.model.metrics import CITY_CODE
from cockpit.model.registry import PANEL_KINDS

log = logging.getLogger(__name__)

__all__ = ["FocusChanged", "ScreenModel", "follows_focus", "narrowed"]


@dataclass(frozen=True)
class FocusChanged:
    """One screen of a layout was drilled into a district, or back to the whole city."""

    layout_id: str
    screen: int  # index of the screen in the layout
    district: str | None  # None: the whole city


def follows_focus(spec: PanelSpec) -> bool:
    """Whether a drill-down narrows this panel: its kind has a ``district`` field and the
    layout shows it the whole city."""
    kind = PANEL_KINDS.get(spec.kind) if spec.kind in PANEL_KINDS else None
    own = spec.get("district") or CITY_CODE
    return kind is not None and "district" in kind.field_map and own == CITY_CODE


def narrowed(spec: PanelSpec, district: str | None) -> PanelSpec:
    """``spec`` with its query narrowed to ``district`` (None: unchanged)."""
    if not district:
        return spec
    return replace(spec, params={**spec.params, "district": district})


class ScreenModel:
    """The focus of every screen of every layout the wall holds (GUI thread only)."""

    def __init__(self, layouts: Iterable[Layout] = ()) -> None:
        self._layouts: dict[str, Layout] = {}
        self._focus: dict[tuple[str, int], str] = {}  # drilled screens only
        self._listeners: list[Callable[[FocusChanged], None]] = []
        for layout in layouts:
            self.set_layout(layout)

    # -- layouts --------------------------------------------------------------------------
    def set_layout(self, layout: Layout) -> None:
        """Add a layout, or swap in a new version of one (same id). A new version starts on
        the whole city, as its freshly built screens do; nobody is told."""
        self._layouts[layout.id] = layout
        for key in [k for k in self._focus if k[0] == layout.id]:
            del self._focus[key]

    def layout(self, layout_id: str) -> Layout:
        return self._layouts[layout_id]

    # -- focus ----------------------------------------------------------------------------
    def focus(self, layout_id: str, screen: int = 0) -> str | None:
        """The district a screen is drilled into, None when it shows the whole city."""
        return self._focus.get((layout_id, screen))

    def drill(self, layout_id: str, code: str | None, screen: int | None = None) -> bool:
        """Drill one screen of a layout (``screen`` None: every screen of it) into ``code``;
        None or the city code goes back to the whole city. Tells the subscribers of every
        screen that changed; returns whether any did."""
        code = None if code in (None, CITY_CODE) else code
        layout = self._layouts[layout_id]
        screens = [s.index for s in layout.screens] if screen is None else [screen]
        changed = []
        for index in screens:
            key = (layout_id, index)
            if self._focus.get(key) == code:
                continue
            if code is None:
                del self._focus[key]
            else:
                self._focus[key] = code
            changed.append(FocusChanged(layout_id, index, code))
        for event in changed:
            self._emit(event)
        return bool(changed)

    def panel_focus(self, spec: PanelSpec) -> str | None:
        """The district a panel is narrowed to, None when it shows what its layout says."""
        return self.focus(spec.layout_id, spec.screen) if follows_focus(spec) else None

    def query_spec(self, spec: PanelSpec) -> PanelSpec:
        """The spec the panel's query runs with: the layout's, narrowed to the focus."""
        return narrowed(spec, self.panel_focus(spec))

    def query_specs(self, layout_id: str) -> list[PanelSpec]:
        """Every panel of a layout, as its query runs now."""
        return [self.query_spec(spec) for spec in self._layouts[layout_id].panels()]

    # -- observers ------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[FocusChanged], None]) -> Callable[[], None]:
        """Call ``callback`` with every :class:`FocusChanged`; returns the unsubscribe."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    def _emit(self, event: FocusChanged) -> None:
        for callback in list(self._listeners):
            try:
                callback(event)
            except Exception:  # one broken observer must not keep the others from hearing it
                log.exception("screen model observer failed on %s", event)
