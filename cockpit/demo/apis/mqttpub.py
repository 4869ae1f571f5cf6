"""MQTT for the simulator: every district's current values, published every ``every`` seconds
on ``weifang/<district>/<metric>`` as JSON ``{"ts": local time without zone, "value": …,
"unit": …}`` (the untidy form devices send), QoS 1."""

from __future__ import annotations

import json
import logging
import threading

import paho.mqtt.client as mqtt

from cockpit.demo.city import LOCAL_TZ
from cockpit.demo.world import World

log = logging.getLogger(__name__)


class MqttPublisher(threading.Thread):
    def __init__(self, world: World, host: str, port: int, *, every: float = 5.0,
                 metrics: tuple[str, ...] = ("aqi", "pm25", "congestion")) -> None:
        super().__init__(name="simulate-mqtt", daemon=True)
        self.world, self.every, self.metrics = world, every, metrics
        self.halted = threading.Event()
        self.published = 0
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="cockpit-simulator")
        self.client.reconnect_delay_set(1, 30)
        self.client.connect_async(host, port, keepalive=30)

    def publish_once(self, *, wait: float = 0.0) -> int:
        """Publish every district's current values; ``wait``: seconds to wait for each to be
        acknowledged (QoS 1). Returns how many were handed to the broker."""
        n = 0
        for code in self.world.codes:
            for metric in self.metrics:
                r = self.world.latest(code, metric)
                payload = {"ts": r.ts.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M:%S"),
                           "value": f"{r.value:g}", "unit": r.unit or None}
                info = self.client.publish(f"weifang/{code}/{metric}", json.dumps(payload), qos=1)
                if wait and info.rc == mqtt.MQTT_ERR_SUCCESS:
                    info.wait_for_publish(wait)
                n += info.rc == mqtt.MQTT_ERR_SUCCESS
        self.published += n
        return n

    def run(self) -> None:
        self.client.loop_start()
        try:
            while not self.halted.is_set():
                if self.client.is_connected():
                    self.publish_once()
                self.halted.wait(self.every)
        finally:
            self.client.disconnect()
            self.client.loop_stop()

    def stop(self) -> None:
        self.halted.set()
        self.join(5)
