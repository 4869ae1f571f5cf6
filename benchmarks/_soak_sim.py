"""The soak's simulator process: ``cockpit simulate``'s server (the same Simulator, World and
SimServer) with the simulated city's clock running ``--speed`` times faster than real time, so
the wall's feeds find a new 5-minute step every ``300 / speed`` seconds; with ``--mqtt-port``
it also publishes every district's current values to that broker every ``--mqtt-every`` s.

The clock is ``t0 + (time.time() - r0) * speed``; the wall process runs the same clock (same
``t0``, ``r0`` and ``speed``), so the two agree on "now". Prints ``serving URL`` on stdout once
listening, then serves until SIGTERM or stdin closes.

``python -m benchmarks._soak_sim --t0 T --r0 R --speed S`` (started by ``benchmarks.soak``).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time


def warped_clock(t0: float, r0: float, speed: float):
    return lambda: t0 + (time.time() - r0) * speed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._soak_sim")
    parser.add_argument("--t0", type=float, required=True, help="simulated epoch seconds at r0")
    parser.add_argument("--r0", type=float, required=True, help="real epoch seconds of t0")
    parser.add_argument("--speed", type=float, required=True, help="simulated seconds per second")
    parser.add_argument("--mqtt-port", type=int, help="publish to the broker on 127.0.0.1:PORT")
    parser.add_argument("--mqtt-every", type=float, default=0.1, help="seconds between publishes")
    args = parser.parse_args(argv)

    from cockpit.demo.simulator import SimServer, Simulator
    from cockpit.demo.world import World

    sim = Simulator(World(warped_clock(args.t0, args.r0, args.speed)), fiware_service="weifang")
    server = SimServer(sim, 0).start()
    publisher = None
    if args.mqtt_port:
        from cockpit.demo.apis.mqttpub import MqttPublisher

        publisher = MqttPublisher(sim.world, "127.0.0.1", args.mqtt_port, every=args.mqtt_every)
        publisher.start()
    halt = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: halt.set())
    threading.Thread(target=lambda: (sys.stdin.read(), halt.set()), daemon=True).start()
    print(f"serving {server.url}", flush=True)
    while not halt.wait(1.0):
        pass
    print(f"requests served: {sim.requests}", flush=True)
    if publisher is not None:
        publisher.stop()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
