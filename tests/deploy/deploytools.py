"""Helpers shared by the deployment tests: paths, running commands, failing on missing tools."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
ANSIBLE = REPO / "ansible"
FIRMWARE_CONFIG = REPO / "firmware_config"
VENV_BIN = Path(sys.executable).parent

# Which Debian package (or pip package) provides each tool the tests need.
TOOL_PACKAGES = {
    "systemd-analyze": "apt-get install systemd",
    "dnsmasq": "apt-get install dnsmasq",
    "nft": "apt-get install nftables",
    "hostapd": "apt-get install hostapd",
    "mosquitto": "apt-get install mosquitto",
    "mosquitto_pub": "apt-get install mosquitto-clients",
    "mosquitto_sub": "apt-get install mosquitto-clients",
    "debootstrap": "apt-get install debootstrap",
    "ansible-playbook": "pip install ansible (into the test virtualenv)",
    "ansible-lint": "pip install ansible-lint (into the test virtualenv)",
}

CACHE_DIR = Path("/var/cache/buurtbaken-test")
ROOT_TARBALL = CACHE_DIR / "bookworm-minbase-python3.tar"


def require_tool(name: str) -> str:
    """Return the path of ``name`` or fail the test saying how to install it."""
    found = shutil.which(name) or shutil.which(name, path=str(VENV_BIN))
    if found is None:
        pytest.fail(
            f"{name} is not installed; the deploy tests need it: {TOOL_PACKAGES.get(name, name)}",
            pytrace=False,
        )
    return found


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a command, capture its output as text, never raise on a non-zero exit."""
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]


def build_root_tarball() -> None:
    """debootstrap a minbase bookworm root, add python3, and keep it as a tarball."""
    debootstrap = require_tool("debootstrap")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    work = CACHE_DIR / "build-root"
    if work.exists():
        shutil.rmtree(work)
    steps = [
        [debootstrap, "--variant=minbase", "bookworm", str(work)],
        ["chroot", str(work), "apt-get", "install", "-y", "--no-install-recommends", "python3"],
        ["chroot", str(work), "apt-get", "clean"],
    ]
    for step in steps:
        result = run(step, env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
        if result.returncode != 0:
            pytest.fail(f"{' '.join(step)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    partial = ROOT_TARBALL.with_suffix(".partial")
    result = run(["tar", "-C", str(work), "--numeric-owner", "-cf", str(partial), "."])
    if result.returncode != 0:
        pytest.fail(f"tar of the debootstrap root failed: {result.stderr}")
    partial.rename(ROOT_TARBALL)
    shutil.rmtree(work)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def render_templates(out: Path, values: dict[str, object]) -> dict[str, Path]:
    """Render every deploy/*.j2 with Ansible's template module; return {name: rendered path}."""
    import json

    playbook = require_tool("ansible-playbook")
    out.mkdir(parents=True, exist_ok=True)
    values_file = out.parent / f"{out.name}-values.json"
    base = {"buurtbaken_repo_dir": str(REPO), "render_out": str(out)}
    values_file.write_text(json.dumps({**base, **values}), encoding="utf-8")
    result = run(
        [playbook, str(Path(__file__).with_name("render.yml")),
         "-e", f"render_values={values_file}", "-e", f"render_out={out}"],
        cwd=ANSIBLE,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.fail(f"rendering the deploy templates failed:\n{result.stdout}\n{result.stderr}")
    return {path.name: path for path in out.iterdir()}
