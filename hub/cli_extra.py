"""Sub-commands that live beside the code they drive (mesh, sync, admin)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from hub import cli_addresses, cli_admin
from hub.mesh import cli as mesh_cli
from hub.region import cli as region_cli
from hub.sync import cli as sync_cli

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

REGISTRARS: list[Registrar] = [
    mesh_cli.register,
    sync_cli.register,
    cli_admin.register,
    cli_addresses.register,
    region_cli.register,
]
