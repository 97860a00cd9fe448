"""The meshtastic protobuf modules, typed as ``Any`` at this one boundary.

The ``meshtastic`` package ships ``.pyi`` stubs but no ``py.typed`` marker, so mypy
refuses to follow it. Importing through ``importlib`` keeps the rest of the simulator
free of ``type: ignore`` comments.
"""

from __future__ import annotations

import importlib
from typing import Any

mesh_pb2: Any = importlib.import_module("meshtastic.protobuf.mesh_pb2")
admin_pb2: Any = importlib.import_module("meshtastic.protobuf.admin_pb2")
channel_pb2: Any = importlib.import_module("meshtastic.protobuf.channel_pb2")
config_pb2: Any = importlib.import_module("meshtastic.protobuf.config_pb2")
localonly_pb2: Any = importlib.import_module("meshtastic.protobuf.localonly_pb2")
portnums_pb2: Any = importlib.import_module("meshtastic.protobuf.portnums_pb2")
telemetry_pb2: Any = importlib.import_module("meshtastic.protobuf.telemetry_pb2")
DecodeError: type[Exception] = importlib.import_module("google.protobuf.message").DecodeError

PortNum: Any = portnums_pb2.PortNum
BROADCAST_NUM = 0xFFFFFFFF
