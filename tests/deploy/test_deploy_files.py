"""Every file in deploy/, rendered with test values by Ansible's template module, passes its own
tool: systemd-analyze, dnsmasq, nft, hostapd, mosquitto (started for real on 127.0.0.1 and bridged
to a second mosquitto), ansible-lint and ansible-playbook --syntax-check.

Slow and needs root: marked ``deploy``.
"""

from __future__ import annotations

import os
import pwd
import re
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploytools import ANSIBLE, DEPLOY, free_port, render_templates, require_tool, run

pytestmark = pytest.mark.deploy

HUB_ID = "test-hub"
ROOT = "buurtbaken/v1"


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    # Not pytest's tmp_path: that is mode 0700, and mosquitto drops to its own user.
    path = Path(tempfile.mkdtemp(prefix="buurtbaken-deploy-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    return {"local": free_port(), "upstream": free_port(), "dns": free_port()}


@pytest.fixture(scope="module")
def rendered(workdir: Path, ports: dict[str, int]) -> dict[str, Path]:
    persistence = workdir / "mosquitto-local"
    persistence.mkdir()
    mosquitto_user = pwd.getpwnam("mosquitto")
    os.chown(persistence, mosquitto_user.pw_uid, mosquitto_user.pw_gid)
    values = {
        "buurtbaken_hub_id": HUB_ID,
        "buurtbaken_hub_name": "Test Kerkbuurt",
        "buurtbaken_admin_networks": ["192.168.1.0/24", "fd00:1::/64"],
        "hub_venv_dir": str(workdir / "venv"),
        "hub_federation_peers": ["neighbour-hub"],
        "access_point_ssid": "Buurtbaken Test",
        "broker_port": ports["local"],
        "broker_persistence_location": f"{persistence}/",
        "broker_upstream_host": "127.0.0.1",
        "broker_upstream_port": ports["upstream"],
        "broker_upstream_tls": False,
        "base_chrony_allow": ["192.168.1.0/24"],
    }
    return render_templates(workdir / "rendered", values)


def test_every_template_starts_with_the_ansible_managed_comment() -> None:
    templates = sorted(DEPLOY.glob("*.j2"))
    assert len(templates) >= 8
    for template in templates:
        lines = [line for line in template.read_text().splitlines() if not line.startswith("#!")]
        assert lines[0] == "{{ ansible_managed | comment }}", template.name


# --- systemd ---------------------------------------------------------------------------------


def test_the_hub_unit_passes_systemd_analyze_verify(rendered: dict[str, Path], workdir: Path) -> None:
    analyze = require_tool("systemd-analyze")
    unit = rendered["buurtbaken.service"]
    # verify checks that ExecStart's program exists and is executable: first without it ...
    result = run([analyze, "verify", str(unit)])
    assert result.returncode != 0 and "hub is not executable" in result.stderr
    # ... then with an executable where the rendered unit expects the hub.
    hub = workdir / "venv" / "bin" / "hub"
    hub.parent.mkdir(parents=True)
    hub.write_text("#!/bin/sh\nexit 0\n")
    hub.chmod(0o755)
    result = run([analyze, "verify", str(unit)])
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def unit_settings(path: Path) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def test_the_hub_unit_restarts_always_and_is_hardened(rendered: dict[str, Path]) -> None:
    unit = unit_settings(rendered["buurtbaken.service"])
    assert unit["Restart"] == ["always"]
    assert unit["StartLimitIntervalSec"] == ["0"]
    assert unit["WantedBy"] == ["multi-user.target"]
    assert unit["User"] == ["buurtbaken"]
    assert unit["ProtectSystem"] == ["strict"]
    assert unit["ReadWritePaths"] == ["/var/lib/buurtbaken"]
    assert unit["PrivateTmp"] == ["yes"]
    assert unit["NoNewPrivileges"] == ["yes"]
    assert unit["Type"] == ["notify"] and unit["WatchdogSec"] == ["60"]
    assert unit["EnvironmentFile"] == ["/etc/buurtbaken/hub.env"]
    assert unit["ExecStart"][0].endswith("/bin/hub serve --host 0.0.0.0 --port 8080")


def test_the_hub_unit_exposure_is_low(rendered: dict[str, Path], workdir: Path) -> None:
    analyze = require_tool("systemd-analyze")
    result = run([analyze, "security", "--offline=yes", str(rendered["buurtbaken.service"])])
    match = re.search(r"Overall exposure level for buurtbaken.service: ([0-9.]+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= 2.5, result.stdout


def test_the_hub_env_sets_the_hub_settings(rendered: dict[str, Path]) -> None:
    env = dict(
        line.split("=", 1)
        for line in rendered["hub.env"].read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert env["HUB_ID"] == HUB_ID
    assert env["HUB_NAME"] == '"Test Kerkbuurt"'
    assert env["HUB_DATA_DIR"] == "/var/lib/buurtbaken"
    assert env["HUB_ADMIN_NETWORKS"] == "192.168.1.0/24,fd00:1::/64"
    assert env["HUB_MQTT_URL"] == "mqtt://127.0.0.1:1883"
    assert env["HUB_LORA_PRESET"] == "MEDIUM_FAST"
    assert env["HUB_FEDERATION_PEERS"] == "neighbour-hub"
    assert all(name.startswith("HUB_") for name in env)


def test_journald_limits_parse(rendered: dict[str, Path]) -> None:
    settings = unit_settings(rendered["journald.conf"])
    assert settings["SystemMaxUse"] == ["200M"]
    assert settings["Storage"] == ["persistent"]


# --- dnsmasq ---------------------------------------------------------------------------------


def test_dnsmasq_config_passes_dnsmasq_test(rendered: dict[str, Path]) -> None:
    dnsmasq = require_tool("dnsmasq")
    result = run([dnsmasq, "--test", "-C", str(rendered["dnsmasq.conf"])])
    assert result.returncode == 0, result.stderr
    assert "syntax check OK" in result.stderr
    broken = rendered["dnsmasq.conf"].with_name("dnsmasq-broken.conf")
    broken.write_text(rendered["dnsmasq.conf"].read_text() + "dhcp-rang=oops\n")
    assert run([dnsmasq, "--test", "-C", str(broken)]).returncode != 0


def test_dnsmasq_announces_the_captive_portal_api(rendered: dict[str, Path]) -> None:
    text = rendered["dnsmasq.conf"].read_text()
    assert 'dhcp-option=wlan0,114,"http://10.42.0.1/captive-portal/api"' in text
    assert "address=/#/10.42.0.1" in text
    assert "dhcp-option=wlan0,option:dns-server,10.42.0.1" in text


def dns_query_a(port: int, name: str) -> list[str]:
    """One DNS A query to 127.0.0.1:port; the IPv4 addresses of the answer."""
    query = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
    query += b"".join(bytes([len(label)]) + label.encode() for label in name.split("."))
    query += b"\x00" + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(query, ("127.0.0.1", port))
        reply, _ = sock.recvfrom(512)
    answers = struct.unpack(">H", reply[6:8])[0]
    # Answers follow the echoed question; each A record ends with its 4-byte address.
    return [socket.inet_ntoa(reply[-4 * (i + 1) : len(reply) - 4 * i]) for i in range(answers)]


def test_dnsmasq_answers_every_name_with_the_hub(
    rendered: dict[str, Path], workdir: Path, ports: dict[str, int]
) -> None:
    """The rendered config, on the loopback interface and a free port, for real."""
    dnsmasq = require_tool("dnsmasq")
    config = rendered["dnsmasq.conf"].read_text()
    config = config.replace("interface=wlan0", "interface=lo").replace("10.42.0.1", "127.0.0.1")
    config = config.replace("except-interface=lo\n", "")
    config = re.sub(r"^dhcp-.*\n", "", config, flags=re.M)  # DNS only: no DHCP server on lo
    loopback = workdir / "dnsmasq-lo.conf"
    loopback.write_text(config)
    log = workdir / "dnsmasq.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [dnsmasq, "--keep-in-foreground", "--conf-file=" + str(loopback),
             f"--port={ports['dns']}", f"--pid-file={workdir / 'dnsmasq.pid'}", "--user=root"],
            stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                answers = dns_query_a(ports["dns"], "connectivitycheck.gstatic.com")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        assert answers == ["127.0.0.1"]
        assert dns_query_a(ports["dns"], "captive.apple.com") == ["127.0.0.1"]
        assert dns_query_a(ports["dns"], "www.msftconnecttest.com") == ["127.0.0.1"]
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- nftables --------------------------------------------------------------------------------


def test_nftables_rules_pass_nft_check(rendered: dict[str, Path]) -> None:
    nft = require_tool("nft")
    result = run([nft, "-c", "-f", str(rendered["nftables.conf"])])
    assert result.returncode == 0, result.stderr
    broken = rendered["nftables.conf"].with_name("nftables-broken.conf")
    broken.write_text(rendered["nftables.conf"].read_text().replace("policy drop", "policy dorp", 1))
    assert run([nft, "-c", "-f", str(broken)]).returncode != 0


def test_nftables_redirects_80_and_forwards_nothing(rendered: dict[str, Path]) -> None:
    text = rendered["nftables.conf"].read_text()
    assert 'define AP_IF = "wlan0"' in text
    assert "iifname $AP_IF tcp dport 80 redirect to :$HUB_PORT" in text
    assert "define HUB_PORT = 8080" in text
    forward = text.split("chain forward {", 1)[1].split("}", 1)[0]
    assert "policy drop" in forward and "accept" not in forward
    assert "elements = { 192.168.1.0/24 }" in text
    assert "elements = { fd00:1::/64 }" in text


def test_nftables_limits_connections_per_resident(rendered: dict[str, Path], workdir: Path) -> None:
    text = rendered["nftables.conf"].read_text()
    for family in ("ip saddr", "ip6 saddr"):
        rule = f"{family} ct count over 10 }} counter reject with tcp reset"
        assert rule in text, text
    hub_rules = [line for line in text.splitlines() if "dport $HUB_PORT" in line and "$AP_IF" in line]
    assert hub_rules[-1].strip() == "iifname $AP_IF tcp dport $HUB_PORT accept"  # the limits come first
    nft = require_tool("nft")
    fewer = render_templates(workdir / "rendered-limit", {"firewall_hub_connections_per_client": 3})
    limited = fewer["nftables.conf"]
    assert "ip saddr ct count over 3 }" in limited.read_text()
    assert run([nft, "-c", "-f", str(limited)]).returncode == 0


def test_nftables_without_admin_networks_is_valid(workdir: Path) -> None:
    nft = require_tool("nft")
    rendered = render_templates(workdir / "rendered-no-admin", {"buurtbaken_admin_networks": []})
    result = run([nft, "-c", "-f", str(rendered["nftables.conf"])])
    assert result.returncode == 0, result.stderr


# --- hostapd ---------------------------------------------------------------------------------


def start_hostapd(config: Path) -> tuple[int | None, str]:
    """Run hostapd until it says AP-ENABLED (then stop it) or exits; (exit code, output)."""
    hostapd = require_tool("hostapd")
    with subprocess.Popen(
        [hostapd, str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as process:
        assert process.stdout is not None
        fd = process.stdout.fileno()
        output = b""
        deadline = time.monotonic() + 15
        try:
            while time.monotonic() < deadline and b"AP-ENABLED" not in output:
                ready, _, _ = select.select([fd], [], [], 0.5)
                if ready:
                    chunk = os.read(fd, 4096)
                    if not chunk:  # hostapd exited
                        process.wait(timeout=10)
                        break
                    output += chunk
        finally:
            code = process.poll()
            if code is None:
                process.terminate()
                process.wait(timeout=10)
    return code, output.decode(errors="replace")


def driverless_copy(rendered: Path, workdir: Path) -> Path:
    """hostapd has no check mode: start a copy with driver=none. Without a driver there is no
    regulatory domain, so country_code/ieee80211d would wait for ever: they are left out here
    (and checked as text below)."""
    lines = []
    for line in rendered.read_text().splitlines():
        if line.startswith(("country_code=", "ieee80211d=")):
            continue
        if line.startswith("driver="):
            line = "driver=none"
        if line.startswith("ctrl_interface="):
            line = f"ctrl_interface={workdir / 'hostapd-ctrl'}"
        lines.append(line)
    copy = workdir / "hostapd-none.conf"
    copy.write_text("\n".join(lines) + "\n")
    return copy


def test_hostapd_starts_the_access_point(rendered: dict[str, Path], workdir: Path) -> None:
    text = rendered["hostapd.conf"].read_text()
    assert "ssid=Buurtbaken Test" in text and "country_code=NL" in text
    assert "driver=nl80211" in text
    assert "wpa=" not in text, "the residents' Wi-Fi is open"
    code, output = start_hostapd(driverless_copy(rendered["hostapd.conf"], workdir))
    assert "AP-ENABLED" in output, output
    assert code is None, f"hostapd exited {code} before we stopped it:\n{output}"


def test_hostapd_rejects_a_broken_config(rendered: dict[str, Path], workdir: Path) -> None:
    copy = driverless_copy(rendered["hostapd.conf"], workdir)
    copy.write_text(copy.read_text().replace("hw_mode=g", "hw_mode=q"))
    code, output = start_hostapd(copy)
    assert code == 1, output
    assert "hw_mode" in output


# --- mosquitto -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def brokers(rendered: dict[str, Path], workdir: Path, ports: dict[str, int]) -> Iterator[None]:
    """An 'upstream' mosquitto, and the hub's mosquitto with the rendered config bridged to it."""
    mosquitto = require_tool("mosquitto")
    upstream_conf = workdir / "upstream.conf"
    upstream_conf.write_text(f"listener {ports['upstream']} 127.0.0.1\nallow_anonymous true\n")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        # Upstream first: a bridge that finds nobody backs off (restart_timeout "5 120"), so
        # starting both at once made the first relay race the bridge's second attempt.
        for name, config, port in (("upstream", upstream_conf, ports["upstream"]),
                                   ("local", rendered["mosquitto.conf"], ports["local"])):  # fmt: skip
            with (workdir / f"mosquitto-{name}.log").open("w") as log:
                command = [mosquitto, "-c", str(config)]
                processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
            wait_for_port(port, processes, workdir)
        wait_for_bridge(ports["local"], workdir)
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def wait_for_bridge(local_port: int, logs: Path) -> None:
    """Wait for the bridge's own retained notification ("1": connected) on the hub's broker."""
    sub = require_tool("mosquitto_sub")
    topic = f"{ROOT}/hubs/{HUB_ID}/bridge"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        result = subprocess.run(
            [sub, "-h", "127.0.0.1", "-p", str(local_port), "-t", topic, "-C", "1", "-W", "5"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.stdout.strip() == "1":
            return
        time.sleep(0.5)
    output = "".join(log.read_text() for log in logs.glob("mosquitto-*.log"))
    pytest.fail(f"the bridge did not connect within 60 s:\n{output}")


def wait_for_port(port: int, processes: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                output = "".join(log.read_text() for log in logs.glob("mosquitto-*.log"))
                pytest.fail(f"mosquitto exited {process.returncode}:\n{output}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listens on 127.0.0.1:{port}")


def relay(sub_port: int, pub_port: int, topic: str, payload: str) -> subprocess.CompletedProcess[str]:
    """Subscribe on one broker, publish (QoS 1) on the other, return what the subscriber got."""
    sub = require_tool("mosquitto_sub")
    pub = require_tool("mosquitto_pub")
    subscriber = subprocess.Popen(
        [sub, "-h", "127.0.0.1", "-p", str(sub_port), "-t", topic, "-q", "1", "-C", "1", "-W", "8"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(0.5)
    deadline = time.monotonic() + 8
    while subscriber.poll() is None and time.monotonic() < deadline:
        # The bridge may still be connecting: publish until the subscriber has it.
        run([pub, "-h", "127.0.0.1", "-p", str(pub_port), "-t", topic, "-q", "1", "-m", payload])
        time.sleep(0.5)
    out, err = subscriber.communicate(timeout=10)
    return subprocess.CompletedProcess(subscriber.args, subscriber.returncode, out, err)


def test_mosquitto_config_saves_on_every_change_and_never_drops(rendered: dict[str, Path]) -> None:
    text = rendered["mosquitto.conf"].read_text()
    for line in (
        "autosave_on_changes true",
        "autosave_interval 1",
        "max_queued_messages 0",
        "max_inflight_messages 100",
        "persistence true",
        "cleansession false",
    ):
        assert re.search(rf"^{line}$", text, re.M), line


def test_the_hub_broker_sends_the_hub_events_upstream(brokers: None, ports: dict[str, int]) -> None:
    topic = f"{ROOT}/hubs/{HUB_ID}/events"
    result = relay(ports["upstream"], ports["local"], topic, '{"seq": 1}')
    assert result.returncode == 0 and result.stdout.strip() == '{"seq": 1}', result


def test_the_hub_broker_receives_receipts_and_announcements(brokers: None, ports: dict[str, int]) -> None:
    for topic in (f"{ROOT}/hubs/{HUB_ID}/receipts", f"{ROOT}/broadcast/announcements",
                  f"{ROOT}/hubs/neighbour-hub/events"):  # fmt: skip
        result = relay(ports["local"], ports["upstream"], topic, '{"upto": 7}')
        assert result.returncode == 0 and result.stdout.strip() == '{"upto": 7}', (topic, result)


def test_the_bridge_carries_only_the_hub_topics(brokers: None, ports: dict[str, int]) -> None:
    result = relay(ports["upstream"], ports["local"], f"{ROOT}/hubs/{HUB_ID}/private", "x")
    assert result.stdout == "", "a topic outside the bridge's list reached upstream"


# --- ansible ---------------------------------------------------------------------------------


def test_ansible_lint_passes_the_production_profile() -> None:
    lint = require_tool("ansible-lint")
    result = run([lint, "--profile", "production", "--offline"], cwd=ANSIBLE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_playbook_passes_syntax_check() -> None:
    playbook = require_tool("ansible-playbook")
    result = run(
        [playbook, "--syntax-check", "site.yml",
         "-e", f"buurtbaken_config_file={ANSIBLE / 'example.config.yml'}"],
        cwd=ANSIBLE,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
