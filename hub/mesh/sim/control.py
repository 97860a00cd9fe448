"""Drill control of a running simulator: JSON lines over TCP, and ``run_sim``.

Entry point for the ``hub sim`` command::

    run_sim(host: str, port: int, handsets: int, control_port: int | None,
            preset: str = "MEDIUM_FAST", seed: int | None = None) -> None

It starts a ``Simulator`` listening on ``host:port`` (the Meshtastic API; 4403 like a
real node), prints the handsets, optionally serves the control interface on
``host:control_port``, and blocks until Ctrl-C.

Control protocol: one JSON object per line in, one JSON object per line out, e.g.::

    {"cmd": "handsets"}
    {"cmd": "send", "from": "!a1b2c3d4", "text": "JA 12"}          # to the hub
    {"cmd": "send", "from": "!a1b2c3d4", "text": "hoi", "to": "broadcast", "pki": false}
    {"cmd": "received", "node": "!a1b2c3d4"}
    {"cmd": "wait", "node": "!a1b2c3d4", "contains": "T12", "timeout": 10}
    {"cmd": "faults", "drop_rate": 0.2, "duplicate_rate": 0.1, "delay": 0.5}
    {"cmd": "nak_next", "error": "DUTY_CYCLE_LIMIT", "count": 2}
    {"cmd": "reboot"} | {"cmd": "drop_client"} | {"cmd": "refuse", "seconds": 30}
    {"cmd": "status"}

Answers carry ``"ok": true`` or ``"ok": false, "error": "..."``.
"""

from __future__ import annotations

import json
import socketserver
import threading
from dataclasses import asdict
from typing import Any

from hub.mesh.sim.simulator import Simulator


class ControlServer:
    """Serves the JSON-lines control protocol for one simulator."""

    def __init__(self, sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sim = sim
        control = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                for raw in self.rfile:
                    answer = control.execute_line(raw)
                    self.wfile.write(json.dumps(answer).encode("utf-8") + b"\n")
                    self.wfile.flush()

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            daemon=True,
        )

    def start(self) -> int:
        self._thread.start()
        return self.port

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)

    def execute_line(self, raw: bytes) -> dict[str, Any]:
        try:
            request = json.loads(raw)
            if not isinstance(request, dict):
                raise TypeError("expected a JSON object")
            return {"ok": True, **self.execute(request)}
        except (ValueError, TypeError, KeyError, TimeoutError) as exc:
            # every bad request gets an answer, never a crash
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}

    def execute(self, request: dict[str, Any]) -> dict[str, Any]:
        sim = self.sim
        cmd = request.get("cmd")
        if cmd == "handsets":
            return {
                "handsets": [
                    {
                        "node_id": h.node_id,
                        "node_num": h.node_num,
                        "long_name": h.long_name,
                        "short_name": h.short_name,
                        "battery_level": h.battery_level,
                        "snr": h.snr,
                    }
                    for h in sim.handsets
                ]
            }
        if cmd == "send":
            packet_id = sim.send_text(
                str(request["from"]),
                str(request["text"]),
                to=request.get("to", "radio"),
                channel=int(request.get("channel", 0)),
                pki=bool(request.get("pki", False)),
            )
            return {"id": packet_id}
        if cmd == "received":
            return {"texts": [asdict(t) for t in sim.received(str(request["node"]))]}
        if cmd == "wait":
            needle = str(request.get("contains", ""))
            found = sim.wait_for_text(
                str(request["node"]),
                lambda t: needle in t.text,
                timeout=float(request.get("timeout", 5.0)),
            )
            return {"text": asdict(found)}
        if cmd == "faults":
            for knob in ("drop_rate", "duplicate_rate", "delay", "retransmit_timeout"):
                if knob in request:
                    setattr(sim.faults, knob, float(request[knob]))
            return {}
        if cmd == "nak_next":
            sim.nak_next(
                str(request.get("error", "MAX_RETRANSMIT")),
                int(request.get("count", 1)),
            )
            return {}
        if cmd == "reboot":
            sim.reboot()
            return {}
        if cmd == "drop_client":
            sim.drop_client()
            return {}
        if cmd == "refuse":
            sim.refuse_connections(float(request["seconds"]))
            return {}
        if cmd == "status":
            return {
                "node_id": sim.node_id,
                "preset": sim.preset,
                "client_connected": sim.client_connected,
                "airtime_seconds": round(sim.airtime_seconds, 3),
                "stats": dict(sim.stats),
            }
        raise ValueError(f"unknown cmd {cmd!r}")


def run_sim(
    host: str,
    port: int,
    handsets: int,
    control_port: int | None,
    preset: str = "MEDIUM_FAST",
    seed: int | None = None,
) -> None:
    """Run a simulated radio until Ctrl-C (the ``hub sim`` command)."""
    sim = Simulator(handsets=handsets, preset=preset, seed=seed)
    control: ControlServer | None = None
    try:
        bound = sim.start_tcp(host, port)
        print(f"Simulated Meshtastic radio {sim.node_id} ({sim.preset}) on {host}:{bound}")
        for h in sim.handsets:
            print(f"  handset {h.node_id}  {h.short_name:<5} {h.long_name}")
        if control_port is not None:
            control = ControlServer(sim, host, control_port)
            print(f"Control (JSON lines) on {host}:{control.start()}")
        print("Ctrl-C stops.", flush=True)
        stop = threading.Event()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if control is not None:
            control.stop()
        sim.stop()
