"""Registrars for sub-commands owned by other parts of the hub (mesh, sync, admin)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

REGISTRARS: list[Registrar] = []


def _admin(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from hub.cli_admin import register

    register(commands)


REGISTRARS.append(_admin)
