"""The ``cockpit`` command line: its options, and ``main``, which runs a command.

What each command does is in cockpit/cli_commands.py. ``cockpit``, ``python -m cockpit`` and
``python -m cockpit.cli`` are the same program.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

from cockpit.cli_commands import COMMANDS
from cockpit.model.config import DEMO_SNAPSHOT, ConfigError

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
    ing.add_argument("--once", action="store_true",
                     help="one load of every feed, all at once, then exit (1 if one failed, "
                          "2 if one was partial)")
    ing.add_argument("--deadline", type=float, default=120.0,
                     help="--once: seconds for all the feeds together; a feed still loading "
                          "then is reported failed (default 120)")
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
    sch = sub.add_parser("schema", help="print the JSON Schema of a site config, a layout file or "
                                        "a briefing file")
    sch.add_argument("which", choices=("site", "layout", "briefing"))

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
    brief = sub.add_parser("brief", help="rehearsed briefings (简报): check a briefing file, run "
                                         "it on the wall, step through it, or render its PDF pack")
    brief_sub = brief.add_subparsers(dest="action", required=True)
    chk = brief_sub.add_parser("check", help="validate a briefing file (exit 1 naming every "
                                             "problem)")
    chk.add_argument("file", type=Path)
    chk.add_argument("--config", type=Path, help="site config (its layouts; default: bundled)")
    brun = brief_sub.add_parser("run", help="load a briefing onto the running wall and show its "
                                            "first step (then PageDown, the clicker or the page)")
    brun.add_argument("file", type=Path)
    for name, text in (("next", "the next step"), ("prev", "the step before"),
                       ("end", "end the briefing: the wall goes back to what it does")):
        brief_sub.add_parser(name, help=text)
    bgo = brief_sub.add_parser("goto", help="jump to step N (from 1)")
    bgo.add_argument("step", type=int)
    for p in (brun, *(brief_sub.choices[n] for n in ("next", "prev", "end", "goto"))):
        p.add_argument("--url", help="the wall's control address (or COCKPIT_CONTROL_URL)")
        p.add_argument("--config", type=Path, help="site config: address and token from [control]")
    pack = brief_sub.add_parser("pack", help="render every step's screens into one PDF with a "
                                             "cover (the leader's briefing pack)")
    pack.add_argument("file", type=Path, nargs="?", help="the briefing file (or give --layouts)")
    pack.add_argument("--layouts", help="instead of a file: layout ids, comma-separated")
    pack.add_argument("--out", type=Path, required=True, help="the PDF to write")
    pack.add_argument("--size", type=_size, default=(1920, 1080),
                      help="the wall's screen resolution, WIDTHxHEIGHT (default 1920x1080)")
    pack.add_argument("--config", type=Path, help="site config (layouts and feeds; default: demo)")
    pack.add_argument("--cache", type=Path, help="read this cache file instead of loading the "
                                                 "feeds (opened read-only)")
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
    rp = ctl_sub.add_parser("replay", help="replay a past span on the whole wall (回放): "
                            "replay --from '2026-12-02 07:30' --to '2026-12-02 09:00' --speed 10; "
                            "then replay pause|resume|seek --at TIME|step --seconds N|live")
    rp.add_argument("op", nargs="?", default="start",
                    choices=["start", "pause", "resume", "seek", "step", "speed", "live"])
    rp.add_argument("--from", dest="start", help="start of the span (local time)")
    rp.add_argument("--to", dest="end", help="end of the span (local time)")
    rp.add_argument("--speed", type=float, help="replayed seconds per real second, 1 to 3600 "
                                                "(default 10)")
    rp.add_argument("--at", help="seek: the moment to show (local time)")
    rp.add_argument("--seconds", type=float, default=60.0,
                    help="step: replayed seconds to move (negative: back; default 60)")
    ctl_sub.add_parser("live", help="end a replay: the wall shows live data again")
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


#: commands that open the wall's windows (they need a display, and end without Python's teardown)
WINDOW_COMMANDS = ("demo", "run")

#: commands that run unattended log to a rotating file too (cockpit/ops/logs.py); a file each, as
#: an ingest may run beside a wall and a rotating file is not shared safely between processes
LOG_FILES = {"demo": "cockpit.log", "run": "cockpit.log", "ingest": "ingest.log"}


def no_display(command: str, environ=os.environ, platform: str = sys.platform) -> str | None:
    """Why ``command`` cannot open windows here, in one line, or None when it can.

    On Linux and the other X11/Wayland systems Qt needs DISPLAY or WAYLAND_DISPLAY; without
    either it aborts the process with a message about a missing xcb-cursor library, which sends
    people to install packages they already have. QT_QPA_PLATFORM set (offscreen, eglfs, vnc...)
    is a choice we leave to Qt. Windows and macOS always have their own platform."""
    if platform in ("win32", "cygwin", "darwin") or environ.get("QT_QPA_PLATFORM"):
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return (f"cockpit {command}: no display here (neither DISPLAY nor WAYLAND_DISPLAY is set); "
            f"to run the wall without a screen: QT_QPA_PLATFORM=offscreen cockpit {command} ...")


def main(argv: list[str] | None = None) -> int:
    from cockpit.ops import logs

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if args.command in WINDOW_COMMANDS and (problem := no_display(args.command)):
        print(problem, file=sys.stderr)
        return 1
    supervising = getattr(args, "supervise", False)
    logs.setup(args.verbose, file_name="supervisor.log" if supervising
               else LOG_FILES.get(args.command))
    if supervising:
        from cockpit.ops.supervise import supervise

        return supervise(argv, hang_after=args.hang_after)
    from cockpit.control.errors import ControlError
    from cockpit.data.snapshot import SnapshotError
    from cockpit.data.store import StoreError
    from feeds.auth import MissingSecret

    try:
        code = COMMANDS[args.command](args)
    except (ConfigError, SnapshotError, StoreError, MissingSecret, ControlError) as exc:
        print(f"cockpit {args.command}: {exc}", file=sys.stderr)
        return 1
    if args.command in WINDOW_COMMANDS:
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
