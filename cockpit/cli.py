"""The ``cockpit`` command line (see ARCHITECTURE.md for the contract)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

from cockpit.model.config import (
    DEMO_SNAPSHOT,
    ConfigError,
    SiteConfig,
    default_cache,
    demo_config,
    load_config,
)

log = logging.getLogger("cockpit")


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1920x1080, got {text!r}") from None
    if not (320 <= w <= 16384 and 200 <= h <= 16384):
        raise argparse.ArgumentTypeError(f"size {w}x{h} is outside 320x200 .. 16384x16384")
    return w, h


def _screen_map(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected screen numbers like 1,0,2, got {text!r}") from None


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO time such as 2026-11-27T08:00+08:00, got {text!r}") from None


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT such as 127.0.0.1:1883, got {text!r}")
    return host, int(port)


def _faults(text: str):
    from cockpit.demo.simulator import Faults

    try:
        return Faults.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _env_exit_after() -> float | None:
    value = os.environ.get("COCKPIT_EXIT_AFTER")
    return float(value) if value else None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cockpit", description="潍坊城市大脑 control-room wall")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="the offline demo wall from the bundled snapshot")
    demo.add_argument("--snapshot", type=Path, default=DEMO_SNAPSHOT, help="snapshot folder to replay")
    demo.add_argument("--config", type=Path, help="site config (its wall section: layouts, screen map)")
    demo.add_argument("--windowed", action="store_true", help="ordinary windows instead of full screen")
    demo.add_argument("--screen-map", type=_screen_map, help="layout screen i -> physical screen, e.g. 1,0")
    demo.add_argument("--cache", type=Path, help="cache file (default: demo.duckdb in the user data folder)")
    demo.add_argument("--read-only", action="store_true",
                      help="show the cache as it is: no replay, nothing written")
    demo.add_argument("--exit-after", type=float, default=_env_exit_after(),
                      help="quit after SECONDS (smoke tests, start-up benchmark); "
                           "also COCKPIT_EXIT_AFTER")

    _supervise_options(demo)

    run = sub.add_parser("run", help="the wall from a site config")
    run.add_argument("--config", type=Path, required=True)
    run.add_argument("--windowed", action="store_true")
    run.add_argument("--screen-map", type=_screen_map)
    run.add_argument("--node", help="this PC's node name in [wall.nodes] of a multi-PC wall")
    run.add_argument("--cache", type=Path, help="cache file (default: the config's, or wall.duckdb)")
    run.add_argument("--control-port", type=int, help="the control page's port instead of [control]'s")
    run.add_argument("--read-only", action="store_true",
                     help="show the cache as it is: no feeds, nothing written")
    run.add_argument("--exit-after", type=float, default=_env_exit_after())
    _supervise_options(run)

    shot = sub.add_parser("screenshot", help="render every screen of a layout to PNG files")
    shot.add_argument("--layout", required=True, help="layout id (file name) or its Chinese name")
    shot.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    shot.add_argument("--size", type=_size, default=(1920, 1080), help="WIDTHxHEIGHT, default 1920x1080")
    shot.add_argument("--config", type=Path, help="site config (layouts folder, feeds)")

    ing = sub.add_parser("ingest", help="run the site config's feeds headless into the cache")
    ing.add_argument("--config", type=Path, required=True)
    ing.add_argument("--once", action="store_true", help="one load of every feed, then exit "
                                                         "(exit 1 if any failed)")
    ing.add_argument("--cache", type=Path, help="cache file (default: the config's wall.cache)")
    ing.add_argument("--exit-after", type=float, default=_env_exit_after())

    sim = sub.add_parser("simulate", help="serve simulated city APIs on loopback")
    sim.add_argument("--port", type=int, default=8700, help="HTTP port on 127.0.0.1 (0: any)")
    sim.add_argument("--mqtt", type=_host_port, help="publish to this MQTT broker, HOST:PORT")
    sim.add_argument("--faults", type=_faults, default=None,
                     help="misbehave: slow=P,error=P,garbage=P,drop=P,retry_after=P (0..1)")
    sim.add_argument("--exit-after", type=float, default=_env_exit_after())

    val = sub.add_parser("validate", help="check layout and config files")
    val.add_argument("paths", nargs="+", type=Path)

    snap = sub.add_parser("snapshot", help="snapshot files of the cache")
    snap_sub = snap.add_subparsers(dest="action", required=True)
    info = snap_sub.add_parser("info", help="describe a snapshot")
    info.add_argument("path", type=Path)
    exp = snap_sub.add_parser("export", help="write the cache (or a window of it) as a snapshot")
    exp.add_argument("--out", type=Path, required=True)
    exp.add_argument("--cache", type=Path, default=None)
    exp.add_argument("--since", type=_time)
    exp.add_argument("--until", type=_time)
    imp = snap_sub.add_parser("import", help="load a snapshot into a cache")
    imp.add_argument("path", type=Path)
    imp.add_argument("--cache", type=Path, default=None)
    ind = sub.add_parser("import-indicators",
                         help="load an indicator list (CSV, docs/indicators-csv.md) into the cache")
    ind.add_argument("path", type=Path, help="the CSV file")
    ind.add_argument("--cache", type=Path, default=None, help="cache file (default: the wall's)")
    ctl = sub.add_parser("control", help="drive the running wall through its control API")
    ctl.add_argument("--url", help="the wall's control address (or COCKPIT_CONTROL_URL)")
    ctl.add_argument("--config", type=Path, help="site config: address and token from [control]")
    ctl_sub = ctl.add_subparsers(dest="action", required=True)
    sw = ctl_sub.add_parser("switch", help="show a layout on every screen")
    sw.add_argument("name", help="layout id")
    car = ctl_sub.add_parser("carousel", help="start or stop the carousel")
    car.add_argument("what", choices=["start", "stop"])
    drill = ctl_sub.add_parser("drill", help="drill into a district (6-digit code)")
    drill.add_argument("district")
    ack = ctl_sub.add_parser("ack", help="acknowledge the alert holding the wall (or the given ones)")
    ack.add_argument("alert_ids", nargs="*")
    st = ctl_sub.add_parser("status", help="layout, carousel, nodes, feed health, memory")
    st.add_argument("--json", action="store_true", help="the raw status as JSON")
    st.add_argument("--screens", type=Path, help="also save what each screen of every node shows "
                    "now as PNGs here (screen-N.png; NODE-screen-N.png for the other nodes)")
    ctl_sub.add_parser("log", help="the audited control actions, newest first")
    doc = sub.add_parser("doctor", help="versions, screens, fonts, cache, feeds, last errors: "
                                        "what support asks for first (exit 1 if something is wrong)")
    doc.add_argument("--config", type=Path, help="site config (its cache and feeds)")
    doc.add_argument("--cache", type=Path, help="cache file (default: the config's, or the wall's)")
    return parser


def _supervise_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--supervise", action="store_true",
                        help="run the wall as a child process and restart it when it crashes or "
                             "hangs (on the layout it showed)")
    parser.add_argument("--hang-after", type=float, default=5.0, metavar="SECONDS",
                        help="with --supervise: a wall whose heartbeat stops this long is killed "
                             "and restarted (default 5)")


def _load_config(path: Path | None) -> SiteConfig | None:
    return load_config(path) if path else None


def cmd_demo(args) -> int:
    from dataclasses import replace

    from cockpit.data.snapshot import snapshot_info
    from cockpit.shell.app import run_wall

    # a damaged snapshot stops the demo here, with its message, rather than a wall with
    # nothing to show (``cockpit run`` instead keeps running and shows the feed as failed)
    snapshot_info(args.snapshot)
    base = _load_config(args.config) or SiteConfig()
    config = replace(base, feeds=demo_config(args.snapshot).feeds)
    if args.screen_map:
        config = replace(config, screen_map=tuple(args.screen_map))
    cache = args.cache or default_cache("demo")
    from cockpit.data.retention import DEMO_RETENTION_DAYS

    if config.retention_days is None:
        config = replace(config, retention_days=DEMO_RETENTION_DAYS)
    return run_wall(config, cache=cache, windowed=args.windowed, fresh_cache=not args.read_only,
                    exit_after=args.exit_after, read_only=args.read_only)


def cmd_run(args) -> int:
    from dataclasses import replace

    from cockpit.shell.app import run_wall

    config = load_config(args.config)
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
    from cockpit.model.layout import parse_toml_checked, read_text_checked, validate_paths

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

    from cockpit.control.client import ControlClient, ControlClientError, format_log, format_status
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
        elif args.action == "status":
            status = client.get("/api/status")
            print(json.dumps(status, ensure_ascii=False, indent=1) if args.json else format_status(status))
            if args.screens:
                args.screens.mkdir(parents=True, exist_ok=True)
                for i in range(status["screens"]):
                    path = args.screens / f"screen-{i + 1}.png"
                    write_atomic(path, client.png(f"/api/screens/{i}.png"))
                    print(path)
                for name, n in sorted(status.get("nodes", {}).items()):  # the other PCs' too
                    if name == status.get("node") or not n.get("online"):
                        continue
                    for i in range(n.get("screens") or 0):
                        path = args.screens / f"{name}-screen-{i + 1}.png"
                        try:
                            write_atomic(path, client.png(f"/api/nodes/{name}/screens/{i}.png"))
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
    from cockpit.data.ingest import FeedRunner
    from cockpit.shell.app import make_feeds, open_store

    config = load_config(args.config)
    if not config.feeds:
        print(f"cockpit ingest: {args.config} declares no [[feeds]]", file=sys.stderr)
        return 1
    feeds = make_feeds(config)
    from cockpit.data.retention import DEFAULT_RETENTION_DAYS, RetentionPruner

    with open_store(args.cache or config.cache or default_cache("wall")) as store:
        runner = FeedRunner(store, feeds)
        pruner = RetentionPruner(store, config.retention_days or DEFAULT_RETENTION_DAYS)
        if args.once:
            runner.backfill_all()
            runner.close_feeds()
            try:
                pruner.prune_once()
            except Exception as exc:  # a full disk: the load above is what --once reports
                print(f"cockpit ingest: pruning old observations failed: {exc}", file=sys.stderr)
        else:
            runner.start()
            pruner.start()
            _wait(args.exit_after)
            pruner.stop()
            runner.stop()
        rows = store.reader().execute(
            "SELECT feed, last_success = last_attempt, partial, rows, last_error FROM feed_health "
            "WHERE feed IN (SELECT unnest(?::VARCHAR[])) ORDER BY feed",
            [[f.name for f in feeds]]).fetchall()
    failed = 0
    for feed, ok, partial, n, error in rows:
        state = "partial" if partial else "ok" if ok else "failing"
        failed += not ok
        print(f"{feed:<16} {state:<8} {n:>9,} rows" + (f"  {error}" if error else ""))
    return 1 if args.once and failed else 0


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

    return run_doctor(config_path=args.config, cache=args.cache)


COMMANDS = {"demo": cmd_demo, "control": cmd_control, "run": cmd_run, "screenshot": cmd_screenshot,
            "validate": cmd_validate, "snapshot": cmd_snapshot, "ingest": cmd_ingest,
            "simulate": cmd_simulate, "import-indicators": cmd_import_indicators,
            "doctor": cmd_doctor}


#: commands that run unattended log to a rotating file too (cockpit/ops/logs.py); a file each, as
#: an ingest may run beside a wall and a rotating file is not shared safely between processes
LOG_FILES = {"demo": "cockpit.log", "run": "cockpit.log", "ingest": "ingest.log"}


def main(argv: list[str] | None = None) -> int:
    from cockpit.ops import logs

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    supervising = getattr(args, "supervise", False)
    logs.setup(args.verbose, file_name="supervisor.log" if supervising
               else LOG_FILES.get(args.command))
    if supervising:
        from cockpit.ops.supervise import supervise

        return supervise(argv, hang_after=args.hang_after)
    from cockpit.control.server import ControlError
    from cockpit.data.snapshot import SnapshotError
    from cockpit.data.store import StoreError
    from feeds.auth import MissingSecret

    try:
        code = COMMANDS[args.command](args)
    except (ConfigError, SnapshotError, StoreError, MissingSecret, ControlError) as exc:
        print(f"cockpit {args.command}: {exc}", file=sys.stderr)
        return 1
    if args.command in ("demo", "run"):
        _exit_now(code)
    return code


def _exit_now(code: int) -> None:
    """End a wall process without Python's teardown. The wall has closed its cache, stopped
    its feeds and closed its windows by now; what is left is the interpreter destroying Qt
    objects in no particular order, and pyqtgraph items called back in the middle of that
    crashed one stop in three or so with SIGSEGV (a supervised wall stopped by SIGTERM, seen
    in tests/faults/test_supervise.py), so a clean stop looked like a crash."""
    import logging
    import os

    from widgets.map_view import shutdown

    shutdown()  # the map pages before their profile, as at a normal exit
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
