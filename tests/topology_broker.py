"""The brokers' configuration in the test topology (``tests/topology.py``).

The local broker's is ``deploy/mosquitto.conf.j2`` rendered the way Ansible's template module
renders it, with the group variables and role defaults the playbook uses (a deploy test checks
that the two agree); the upstream broker's is the region's: persistent, saving on every change.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.nativetypes import NativeEnvironment

REPO = Path(__file__).resolve().parents[1]
ROLE_DEFAULTS = (
    REPO / "ansible/group_vars/all.yml",
    REPO / "ansible/roles/hub/defaults/main.yml",
    REPO / "ansible/roles/broker/defaults/main.yml",
)


def _comment(text: str) -> str:
    """Ansible's ``comment`` filter (plain style)."""
    return "#\n" + "\n".join(f"# {line}" if line else "#" for line in text.splitlines()) + "\n#"


def role_values(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The broker role's variables: group vars and role defaults, templated, then ``overrides``."""
    raw: dict[str, Any] = {}
    for path in ROLE_DEFAULTS:
        raw.update(yaml.safe_load(path.read_text()) or {})
    raw.update(overrides)
    native = NativeEnvironment(undefined=StrictUndefined)
    values = dict(raw)
    for _ in range(10):  # resolve "{{ other_var }}" until nothing changes
        changed = False
        for key, value in values.items():
            if key in overrides or not isinstance(value, str) or "{{" not in value:
                continue
            try:
                resolved = native.from_string(value).render(**values)
            except Exception:  # needs Ansible facts (playbook_dir, ...): not the broker's business
                continue
            if resolved != value:
                values[key] = resolved
                changed = True
        if not changed:
            break
    return values


def render_local_config(out: Path, overrides: Mapping[str, Any]) -> Path:
    """``deploy/mosquitto.conf.j2`` rendered like Ansible's template module (trim_blocks)."""
    env = Environment(
        loader=FileSystemLoader(REPO / "deploy"),
        undefined=StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["comment"] = _comment
    values = role_values(overrides)
    text = env.get_template("mosquitto.conf.j2").render(**values)
    # Not Ansible's business but the test machine's: run as whoever runs the tests.
    text += f"\n# --- test machine only ---\nuser {os.environ.get('USER') or 'root'}\n"
    out.write_text(text)
    return out


def upstream_config(root: Path, port: int) -> tuple[Path, Path]:
    """The region's broker: persistent, saves on every change, no queue limit."""
    data = root / "upstream-data"
    data.mkdir(parents=True, exist_ok=True)
    config = root / "upstream.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nuser {os.environ.get('USER') or 'root'}\n"
        f"persistence true\npersistence_location {data}/\nautosave_on_changes true\nautosave_interval 1\n"
        "max_queued_messages 0\nsys_interval 1\n"
    )
    return config, data
