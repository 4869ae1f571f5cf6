"""What each ``cockpit`` command does (cockpit/cli.py parses the command line and calls these).

One function per command, ``cmd_NAME(args) -> exit code``; each imports what it needs when it runs,
so ``cockpit --help`` and ``cockpit validate`` stay quick.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cockpit.model.config import ConfigError, SiteConfig, default_cache, demo_config, load_config


def _load_config(path: Path | None) -> SiteConfig | None:
    return load_config(path) if path else None


def cmd_demo(args) -> int:
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    from cockpit.data.snapshot import snapshot_info
    from cockpit.model.config import load_config_apart

    # a damaged snapshot stops the demo, with its message, rather than a wall with nothing
    # to show (``cockpit run`` instead keeps running and shows the feed as failed). It is
    # checked on a thread while the wall's modules load and its windows are built (DuckDB
    # reads the files without the GIL), and awaited before the cache is opened or any window
    # shows: 0.3 s of the start no longer added to it.
    # A given site config is checked in a child process (cmd_run) at the same time.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-check") as pool:
        checked = pool.submit(snapshot_info, args.snapshot)
        configured = pool.submit(load_config_apart, args.config) if args.config else None
        from cockpit.shell.app import run_wall

        base = configured.result() if configured is not None else SiteConfig()
        config = replace(base, feeds=demo_config(args.snapshot).feeds)
        if args.screen_map:
            config = replace(config, screen_map=tuple(args.screen_map))
        cache = args.cache or default_cache("demo")
        from cockpit.data.retention import DEMO_RETENTION_DAYS

        if config.retention_days is None:
            config = replace(config, retention_days=DEMO_RETENTION_DAYS)
        return run_wall(config, cache=cache, windowed=args.windowed,
                        fresh_cache=not args.read_only, exit_after=args.exit_after,
                        read_only=args.read_only, check=checked.result)


def cmd_run(args) -> int:
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    from cockpit.model.config import load_config_apart

    # the config is checked in a child process (the wall keeps no pydantic) while the wall's
    # modules load
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="config-check") as pool:
        checked = pool.submit(load_config_apart, args.config)
        from cockpit.shell.app import run_wall

        config = checked.result()
    if args.screen_map:
        config = replace(config, screen_map=tuple(args.screen_map))
    cache = args.cache or config.cache or default_cache(f"wall-{args.node}" if args.node else "wall")
    return run_wall(config, cache=cache, windowed=args.windowed, fresh_cache=False,
                    exit_after=args.exit_after, node=args.node, control_port=args.control_port,
                    read_only=args.read_only)


def cmd_screenshot(args) -> int:
    from dataclasses import replace

    from cockpit.shell.app import ensure_offscreen
    from cockpit.shell.screenshot import ScreenshotError, find_layout, render_layout

    ensure_offscreen()
    config = _load_config(args.config) or demo_config()
    if not config.feeds:
        # a config without feeds still screenshots with the demo data (and keeps the rest: its
        # layouts, its map tiles)
        config = replace(config, feeds=demo_config().feeds)
    try:
        layout = find_layout(config, args.layout)
        paths = render_layout(layout, config, args.out, args.size)
    except ScreenshotError as exc:
        print(f"cockpit screenshot: {exc}", file=sys.stderr)
        return 1
    for p in paths:
        print(p)
    return 0


def cmd_validate(args) -> int:
    from cockpit.model.config import is_site_config
    from cockpit.model.files import parse_toml_checked, read_text_checked
    from cockpit.model.layout import validate_paths

    problems = [str(p) for p in validate_paths(list(args.paths))]
    files: list[Path] = []
    for path in args.paths:
        files += sorted(path.glob("*.toml")) if path.is_dir() else [path]
    for file in files:
        try:
            data = parse_toml_checked(read_text_checked(file, ValueError), ValueError)
        except ValueError:
            continue  # reported by validate_paths
        if is_site_config(data):
            try:
                load_config(file)
            except ConfigError as exc:
                problems += [str(p) for p in exc.problems]
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {len(files)} file(s)", file=sys.stderr)
        return 1
    print(f"{len(files)} file(s) OK")
    return 0


class _ProgressBar:
    """A progress bar on stderr, shown only for large exports (100,000 rows or more)."""

    def __init__(self, label: str, *, min_rows: int = 100_000, width: int = 30) -> None:
        self.label, self.min_rows, self.width = label, min_rows, width
        self.shown = -1

    def __call__(self, fraction: float, total: int) -> None:
        if total < self.min_rows:
            return
        pct = int(fraction * 100)
        if pct <= self.shown:
            return
        self.shown = pct
        filled = int(fraction * self.width)
        end = "\n" if pct >= 100 else ""
        print(f"\r{self.label} [{'#' * filled}{'-' * (self.width - filled)}] {pct:3d}% "
              f"({total:,} 行)", end=end, file=sys.stderr, flush=True)


def _fillable_layouts(metrics: tuple[str, ...]) -> list[str]:
    """The bundled layouts whose every metric the snapshot holds (it can fill them)."""
    from cockpit.model.config import BUNDLED_LAYOUTS
    from cockpit.model.layout import load_layouts

    have = set(metrics)
    out = []
    for layout in load_layouts(BUNDLED_LAYOUTS)[0]:
        need: set[str] = set()
        for spec in layout.panels():
            need |= {spec.get("metric")} if spec.get("metric") else set()
            need |= set(spec.get("metrics") or ())
        if need <= have:
            out.append(f"{layout.id} ({layout.name})")
    return out


def cmd_snapshot(args) -> int:
    from cockpit.data.snapshot import export_snapshot, import_snapshot, snapshot_info
    from cockpit.data.store import Store

    if args.action == "info":
        info = snapshot_info(args.path)
        print(f"snapshot      {info.path}")
        print(f"schema        {info.schema_version}")
        print(f"time range    {info.first_ts} .. {info.last_ts}")
        print(f"feeds         {', '.join(info.feeds) or '-'}")
        print(f"metrics       {', '.join(info.metrics) or '-'}")
        print(f"layouts       {', '.join(_fillable_layouts(info.metrics)) or '-'}")
        for table, n in info.rows.items():
            print(f"{table:<13} {n:,} rows")
        print(f"content       {'digest of every table verified' if info.verified else 'no digest (a snapshot exported before digests): not verified'}")
        return 0
    cache = args.cache or default_cache("wall")
    if args.action == "export":
        with Store(cache, read_only=True) as store:
            out = export_snapshot(store, args.out, since=args.since, until=args.until,
                                  progress=_ProgressBar("导出快照"))
        print(out)
        return 0
    with Store(cache) as store:
        counts = import_snapshot(store, args.path)
    print(", ".join(f"{t} {n:,}" for t, n in counts.items()))
    return 0


def cmd_import_indicators(args) -> int:
    from cockpit.data.indicators_csv import IndicatorFileError, import_indicators
    from cockpit.data.store import Store

    try:
        with Store(args.cache or default_cache("wall")) as store:
            n = import_indicators(store, args.path)
    except IndicatorFileError as exc:
        for err in exc.errors:
            print(err, file=sys.stderr)
        print(f"{len(exc.errors)} problem(s); nothing loaded from {args.path}", file=sys.stderr)
        return 1
    print(f"{n} indicator row(s) loaded from {args.path}")
    return 0


def cmd_control(args) -> int:
    import json

    from cockpit.control.client import (
        ControlClient,
        ControlClientError,
        format_log,
        format_replay,
        format_status,
    )
    from cockpit.data.atomic import write_atomic

    try:
        client = ControlClient.from_options(args.url, args.config)
        if args.action == "switch":
            print(client.post("switch", layout=args.name)["layout"])
        elif args.action == "carousel":
            print(client.post("carousel", action=args.what)["carousel"])
        elif args.action == "drill":
            print(client.post("drill", district=args.district)["district"])
        elif args.action == "ack":
            print(", ".join(client.post("ack", alert_ids=args.alert_ids)["acknowledged"]) or "-")
        elif args.action in ("replay", "live"):
            op = "live" if args.action == "live" else args.op
            body: dict = {"op": op}
            if op == "start":
                if not (args.start and args.end):
                    print("cockpit control replay: --from and --to are needed to start a replay",
                          file=sys.stderr)
                    return 2
                body.update({"from": args.start, "to": args.end, "speed": args.speed or 10})
            elif op == "seek":
                body["at"] = args.at
            elif op == "step":
                body["seconds"] = args.seconds
            elif op == "speed":
                body["speed"] = args.speed
            print(format_replay(client.post("replay", **body)["replay"]))
        elif args.action == "status":
            status = client.get("/api/status")
            print(json.dumps(status, ensure_ascii=False, indent=1) if args.json else format_status(status))
            if args.screens:
                args.screens.mkdir(parents=True, exist_ok=True)
                for i in range(status["screens"]):
                    path = args.screens / f"screen-{i + 1}.png"
                    write_atomic(path, client.png(f"/api/screens/{i + 1}.png"))
                    print(path)
                for name, n in sorted(status.get("nodes", {}).items()):  # the other PCs' too
                    if name == status.get("node") or n.get("state", "online") != "online":
                        continue
                    for i in range(n.get("screens") or 0):
                        path = args.screens / f"{name}-screen-{i + 1}.png"
                        try:
                            write_atomic(path, client.png(f"/api/nodes/{name}/screens/{i + 1}.png"))
                            print(path)
                        except ControlClientError as exc:
                            print(f"cockpit control: node {name}: {exc}", file=sys.stderr)
        else:
            print(format_log(client.get("/api/log")["entries"]))
    except ControlClientError as exc:
        print(f"cockpit control: {exc}", file=sys.stderr)
        return 1
    return 0


def _wait(exit_after: float | None) -> None:
    import threading

    try:
        threading.Event().wait(exit_after)
    except KeyboardInterrupt:
        pass


def cmd_ingest(args) -> int:
    """The site config's feeds without the wall. SIGTERM or SIGINT stop it cleanly: the feeds
    are drained (an MQTT feed's queue written, then acknowledged), the cache closed, what was
    done printed, exit 0 (a second signal ends it at once)."""
    import signal
    import threading

    from cockpit.data.ingest import FeedRunner
    from cockpit.data.opening import make_feeds, open_store

    config = load_config(args.config)
    if not config.feeds:
        print(f"cockpit ingest: {args.config} declares no [[feeds]]", file=sys.stderr)
        return 1
    feeds = make_feeds(config)
    names = [f.name for f in feeds]
    stop = threading.Event()

    def on_signal(signum, frame) -> None:
        print(f"cockpit ingest: {signal.Signals(signum).name}: stopping (draining the feeds)",
              file=sys.stderr, flush=True)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second signal ends it at once
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    from cockpit.data.retention import DEFAULT_RETENTION_DAYS, RetentionPruner

    cache = args.cache or config.cache or default_cache("wall")
    print(f"cockpit ingest: {len(feeds)} feed(s) into {cache}"
          + (f", --once within {args.deadline:g} s" if args.once else "")
          + " (SIGTERM or Ctrl+C stops cleanly)", file=sys.stderr, flush=True)
    with open_store(cache) as store:
        before = _feed_rows(store, names)
        runner = FeedRunner(store, feeds)
        pruner = RetentionPruner(store, config.retention_days or DEFAULT_RETENTION_DAYS)
        if args.once:
            outcomes = runner.once(args.deadline, stop)
            try:
                pruner.prune_once()
            except Exception as exc:  # a full disk: the load above is what --once reports
                print(f"cockpit ingest: pruning old observations failed: {exc}", file=sys.stderr)
        else:
            runner.start()
            pruner.start()
            stop.wait(args.exit_after)
            pruner.stop()
            runner.stop()
            outcomes = _last_states(store, names)
        after = _feed_rows(store, names)
    states = set()
    for feed in feeds:
        outcome = outcomes.get(feed.name)
        state = outcome.state if outcome else "failed"
        reason = (outcome.reason if outcome else "never ran") or ""
        states.add(state)
        added = after.get(feed.name, 0) - before.get(feed.name, 0)
        how = feed.describe()
        used = "; ".join(f"{k}: {how[k]}" for k in ("form", "paging", "checkpoint") if how.get(k))
        drained = runner.drained.get(feed.name)
        print(f"{feed.name:<16} {state:<8} +{added:,} added, {after.get(feed.name, 0):,} in cache"
              + (f" (drained on stop: {drained:,})" if drained is not None else "")
              + (f"  {reason}" if reason else "")
              + f"  [{how.get('kind', '?')}" + (f"; {used}" if used else "") + "]")
    if not args.once:
        return 0
    return 1 if "failed" in states else 2 if "partial" in states else 0


def _feed_rows(store, names: list[str]) -> dict[str, int]:
    """Observations and alerts of each feed in the cache."""
    rows = store.reader().execute(
        "SELECT feed, count(*) FROM (SELECT feed FROM observations UNION ALL "
        "SELECT feed FROM alerts) WHERE feed IN (SELECT unnest(?::VARCHAR[])) GROUP BY feed",
        [names]).fetchall()
    return {feed: int(n) for feed, n in rows}


def _last_states(store, names: list[str]) -> dict:
    """Each feed's last recorded attempt as an outcome (what a long ``ingest`` ends on)."""
    from cockpit.data.ingest import Outcome

    rows = store.reader().execute(
        "SELECT feed, last_success = last_attempt, partial, rows, last_error FROM feed_health "
        "WHERE feed IN (SELECT unnest(?::VARCHAR[]))", [names]).fetchall()
    return {feed: Outcome("partial" if partial else "ok" if ok else "failed", int(n or 0), error)
            for feed, ok, partial, n, error in rows}


def cmd_simulate(args) -> int:
    from cockpit.demo.simulator import Faults, SimServer, Simulator
    from cockpit.demo.world import World

    sim = Simulator(World(), faults=args.faults or Faults(), fiware_service="weifang")
    server = SimServer(sim, args.port).start()
    publisher = None
    if args.mqtt:
        from cockpit.demo.apis.mqttpub import MqttPublisher

        publisher = MqttPublisher(sim.world, *args.mqtt)
        publisher.start()
    url = server.url
    print(f"cockpit simulate: serving on {url}", flush=True)
    print(f"  数据中台      {url}/api/v1/indicators", flush=True)
    print(f"  NGSI-v2       {url}/v2/entities", flush=True)
    print(f"  SensorThings  {url}/v1.1/", flush=True)
    print(f"  ThingsBoard   {url}/api/ (tenant@weifang.gov.cn / tenant)", flush=True)
    if args.mqtt:
        print(f"  MQTT          {args.mqtt[0]}:{args.mqtt[1]} weifang/<district>/<metric>",
              flush=True)
    _wait(args.exit_after)
    if publisher:
        publisher.stop()
    server.stop()
    return 0


def cmd_doctor(args) -> int:
    from cockpit.ops.doctor import run_doctor
    from cockpit.shell.doctor_qt import qt_version, screens_and_fonts

    return run_doctor(config_path=args.config, cache=args.cache, qt_version=qt_version(),
                      screens=screens_and_fonts)


#: the function behind each subcommand
def cmd_schema(args) -> int:
    from cockpit.model.schema.reference import schema_text

    sys.stdout.write(schema_text(args.which))
    return 0


def cmd_brief(args) -> int:
    from cockpit.model.briefing import BriefingError, load_briefing

    if args.action == "check":
        from cockpit.model.layout import load_layouts  # no Qt: a check needs the files only

        config = _load_config(args.config) or demo_config()
        layouts, _ = load_layouts(config.layouts_dir)
        if config.layouts:
            layouts = [lay for lay in layouts if lay.id in config.layouts]
        try:
            brief = load_briefing(args.file, [layout.id for layout in layouts])
        except BriefingError as exc:
            print(exc, file=sys.stderr)
            return 1
        names = {layout.id: layout.name for layout in layouts}
        print(f"{args.file}: OK, {len(brief.steps)} step(s) — {brief.title}")
        for step in brief.steps:
            hold = "click" if step.hold is None else f"{step.hold:g} s"
            print(f"  {step.index + 1}. {step.label(names)}  [{hold}]"
                  + (f"  {step.note}" if step.note else ""))
        return 0
    if args.action == "pack":
        return _brief_pack(args)
    return _brief_remote(args)


def _brief_pack(args) -> int:
    from dataclasses import replace

    from cockpit.model.briefing import BriefingError, load_briefing
    from cockpit.shell.app import ensure_offscreen, pick_layouts
    from cockpit.shell.brief_pack import PackError, make_pack, steps_of_layouts

    if (args.file is None) == (args.layouts is None):
        print("cockpit brief pack: give a briefing file or --layouts a,b,c (one of them)",
              file=sys.stderr)
        return 2
    ensure_offscreen()
    config = _load_config(args.config) or demo_config()
    if not config.feeds:
        config = replace(config, feeds=demo_config().feeds)
    layouts, _ = pick_layouts(config)
    try:
        brief = (load_briefing(args.file, [lay.id for lay in layouts]) if args.file
                 else steps_of_layouts([x.strip() for x in args.layouts.split(",") if x.strip()]))
        pages = make_pack(brief, config, args.out, args.size, cache=args.cache)
    except (BriefingError, PackError) as exc:
        print(f"cockpit brief pack: {exc}", file=sys.stderr)
        return 1
    print(f"{args.out}: cover + {len(pages)} page(s), {args.size[0]}x{args.size[1]}")
    for page in pages:
        print(f"  {page.title}")
    return 0


def _brief_remote(args) -> int:
    from cockpit.control.client import ControlClient, ControlClientError
    from cockpit.model.briefing import BriefingError, load_briefing

    try:
        client = ControlClient.from_options(args.url, args.config)
        if args.action == "run":
            layouts = [lay["id"] for lay in client.get("/api/status")["layouts"]]
            try:  # checked here first: every problem at once, in the file's words
                load_briefing(args.file, layouts)
            except BriefingError as exc:
                print(exc, file=sys.stderr)
                return 1
            body = {"op": "load", "name": args.file.name,
                    "text": args.file.read_text(encoding="utf-8")}
        elif args.action == "goto":
            body = {"op": "goto", "step": args.step}
        else:
            body = {"op": args.action}
        state = client.post("brief", **body)["brief"]
    except ControlClientError as exc:
        print(f"cockpit brief: {exc}", file=sys.stderr)
        return 1
    if state is None:
        print("briefing ended")
    else:
        print(f"{state['title']}: step {state['step']}/{state['steps']}"
              + (f" — {state['note']}" if state.get("note") else ""))
    return 0


COMMANDS = {"demo": cmd_demo, "control": cmd_control, "brief": cmd_brief, "run": cmd_run, "screenshot": cmd_screenshot,
            "validate": cmd_validate, "snapshot": cmd_snapshot, "ingest": cmd_ingest,
            "simulate": cmd_simulate, "import-indicators": cmd_import_indicators,
            "doctor": cmd_doctor, "schema": cmd_schema}
