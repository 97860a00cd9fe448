"""Registrars for sub-commands owned by other parts of the hub (mesh, sync, admin)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

REGISTRARS: list[Registrar] = []


def _register_sim(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sim = commands.add_parser("sim", help="simulated Meshtastic radio with virtual handsets (real TCP API)")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=4403)
    sim.add_argument("--handsets", type=int, default=5)
    sim.add_argument("--control-port", type=int, default=None, help="JSON-lines drill control")
    sim.add_argument("--preset", default="MEDIUM_FAST")
    sim.add_argument("--seed", type=int, default=None)
    sim.set_defaults(handler=_cmd_sim)


def _cmd_sim(args: argparse.Namespace) -> int:
    from hub.mesh.sim import run_sim

    run_sim(args.host, args.port, args.handsets, args.control_port, preset=args.preset, seed=args.seed)
    return 0


REGISTRARS.append(_register_sim)
