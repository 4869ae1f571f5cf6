"""Summary statistics and the printed form every benchmark shares. Pure Python, no Qt."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Stats:
    """A sample of timings (in the unit they were taken in) reduced to what gets printed."""

    n: int
    median: float
    min: float
    max: float
    p95: float

    def get(self, name: str) -> float:
        return float(getattr(self, name))


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100), linear between closest ranks (numpy's default)."""
    if not samples:
        return math.nan
    xs = sorted(samples)
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summarize(samples: Sequence[float]) -> Stats:
    if not samples:
        return Stats(0, math.nan, math.nan, math.nan, math.nan)
    return Stats(n=len(samples), median=percentile(samples, 50), min=min(samples),
                 max=max(samples), p95=percentile(samples, 95))


def verdict(value: float, goal: float) -> str:
    if math.isnan(value):
        return "not measured"
    return "within goal" if value <= goal else "over goal"


def ratio(alternative: float, ours: float) -> float:
    """How many times the alternative takes what ours takes (> 1: ours is faster)."""
    if ours <= 0 or math.isnan(ours) or math.isnan(alternative):
        return math.nan
    return alternative / ours


def fmt(value: float, unit: str) -> str:
    if math.isnan(value):
        return "—"
    if unit == "s":
        return f"{value:.3f} s"
    return f"{value:.2f} {unit}" if value < 100 else f"{value:.0f} {unit}"


@dataclass
class Row:
    """One measured line: ours, the alternative, or a side figure (no goal)."""

    label: str
    stats: Stats
    unit: str


@dataclass
class Figure:
    """A benchmark's result: the figure against its goal, the alternative, side figures."""

    name: str
    title: str
    goal: float  # in ``unit``
    goal_stat: str  # which statistic of ``ours`` the goal applies to: "p95" or "median"
    unit: str
    ours: Row
    alternative: Row
    side: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: "alternative": the ratio is alternative ÷ ours (how much slower the alternative is);
    #: "ours": ours ÷ alternative (how far above a floor such as a bare window ours is).
    ratio_of: str = "alternative"

    @property
    def value(self) -> float:
        return self.ours.stats.get(self.goal_stat)

    @property
    def verdict(self) -> str:
        return verdict(self.value, self.goal)

    @property
    def ratio(self) -> float:
        """Both at the goal's statistic; see :attr:`ratio_of`."""
        alt = self.alternative.stats.get(self.goal_stat)
        return ratio(alt, self.value) if self.ratio_of == "alternative" else ratio(self.value, alt)

    def goal_text(self) -> str:
        return f"{self.goal_stat} ≤ {fmt(self.goal, self.unit)}"

    def ratio_text(self) -> str:
        r = self.ratio
        if math.isnan(r):
            return "ratio n/a"
        if self.ratio_of == "alternative":
            return f"{self.alternative.label} takes {r:.2f}× as long ({self.goal_stat} ÷ {self.goal_stat})"
        return f"ours takes {r:.2f}× as long as {self.alternative.label} ({self.goal_stat} ÷ {self.goal_stat})"


def stats_table(rows: Sequence[Row]) -> str:
    """A plain-text table: label, n, median, min, max, p95."""
    head = ("", "n", "median", "min", "max", "p95")
    body = [(r.label, str(r.stats.n), *(fmt(r.stats.get(k), r.unit)
                                        for k in ("median", "min", "max", "p95"))) for r in rows]
    widths = [max(len(line[i]) for line in (head, *body)) for i in range(len(head))]
    out = []
    for line in (head, *body):
        cells = [line[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)]
        out.append("  ".join(cells).rstrip())
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def report(fig: Figure) -> str:
    """What a benchmark's own script prints."""
    lines = [f"== {fig.name}: {fig.title}", stats_table([fig.ours, fig.alternative, *fig.side]), "",
             f"goal      {fig.goal_text()}",
             f"measured  {fig.goal_stat} {fmt(fig.value, fig.unit)} — {fig.verdict}",
             f"vs alt    {fig.ratio_text()}"]
    lines += [f"note      {n}" for n in fig.notes]
    return "\n".join(lines)


def summary(figures: Sequence[Figure], command: str, context: str) -> str:
    """The block to paste into an issue note."""
    lines = ["```", f"$ {command}", context, ""]
    w = max(len(f.name) for f in figures)
    for f in figures:
        alt = f.alternative.stats.get(f.goal_stat)
        how = "alt ÷ ours" if f.ratio_of == "alternative" else "ours ÷ alt"
        lines.append(f"{f.name.ljust(w)}  {f.goal_stat:>6} {fmt(f.value, f.unit):>9}  "
                     f"goal ≤ {fmt(f.goal, f.unit):>8}  {f.verdict}")
        lines.append(f"{''.ljust(w)}  {f.title}")
        if math.isnan(f.ratio):
            lines.append(f"{''.ljust(w)}  alt: {f.alternative.label}")
        else:
            lines.append(f"{''.ljust(w)}  alt: {f.alternative.label} {fmt(alt, f.unit)} "
                         f"({how} = {f.ratio:.2f}×)")
    lines.append("```")
    return "\n".join(lines)


def script_main(command: str, run, description: str, argv: list[str] | None = None) -> int:
    """The body of each ``python -m benchmarks.NAME``: run the figure, print it and its summary.
    Exits 1 when the figure could not be measured (NaN)."""
    import argparse

    parser = argparse.ArgumentParser(prog=command, description=description)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    fig = run(args.quick)
    print(report(fig))
    print()
    from benchmarks._env import machine

    print(summary([fig], command + (" --quick" if args.quick else ""), machine()))
    return 1 if math.isnan(fig.value) else 0
