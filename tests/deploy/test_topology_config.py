"""The test topology's local broker runs the configuration Ansible would write (tests/topology.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploytools import render_templates

from tests.topology import render_local_config

pytestmark = pytest.mark.deploy


def test_the_topology_renders_the_broker_config_as_ansible_does(tmp_path: Path) -> None:
    values = {
        "buurtbaken_hub_id": "kerkbuurt-1",
        "broker_port": 18830,
        "broker_listen_address": "127.0.0.1",
        "broker_persistence_location": f"{tmp_path}/data/",
        "broker_log_dest": f"file {tmp_path}/mosquitto.log",
        "broker_upstream_host": "127.0.0.1",
        "broker_upstream_port": 18831,
        "broker_upstream_tls": False,
        "hub_federation_peers": ["hub-a", "hub-b"],
        "broker_bridge_restart_timeout": "1 2",
        "broker_bridge_keepalive": 5,
        "broker_sys_interval": 1,
    }
    by_ansible = render_templates(tmp_path / "ansible", values)["mosquitto.conf"].read_text()
    ours = render_local_config(tmp_path / "ours.conf", values).read_text()
    assert ours.split("\n# --- test machine only ---")[0].rstrip() == by_ansible.rstrip()
