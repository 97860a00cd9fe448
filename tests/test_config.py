"""Settings: validated, one clear line naming a bad setting, documented in docs/reference/settings.md."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hub.config import Settings, load_settings, secret_key
from hub.errors import ConfigError

SETTINGS_DOC = Path(__file__).resolve().parent.parent / "docs" / "reference" / "settings.md"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HUB_RADIO", "bluetooth-maybe"),
        ("HUB_MQTT_URL", "http://broker"),
        ("HUB_LORA_PRESET", "VERY_FAST"),
        ("HUB_SYNC_SHARE", "everything"),
        ("HUB_RATE_LIMIT", "-3"),
        ("HUB_ID", "Hub With Spaces"),
        ("HUB_ADMIN_NETWORKS", "10.0.0.0/8,not-a-network"),
        ("HUB_CAPTIVE", "perhaps"),
        ("HUB_SECRET_KEY", "short"),
        ("HUB_MQTT_CA_FILE", "/nonexistent/ca.pem"),
        ("HUB_AIRTIME_HANDSET_SHARE", "0.9"),  # more than the replies' share (0.5)
        ("HUB_AIRTIME_REPLY_SHARE", "0"),
        ("HUB_MESH_REPEAT_SECONDS", "-1"),
    ],
)
def test_invalid_setting_is_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value).startswith(name + ":")


def test_invalid_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "HUB_DATA_DIR": str(tmp_path), "HUB_LORA_PRESET": "VERY_FAST"}
    result = subprocess.run(
        [sys.executable, "-m", "hub", "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "HUB_LORA_PRESET" in lines[0]
    assert not (tmp_path / "hub.sqlite3").exists()


def test_toml_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "hub.toml"
    config.write_text('name = "Buurthuis De Linde"\nfederation_peers = ["oost-1"]\nrate_limit = 5\n')
    monkeypatch.setenv("HUB_CONFIG", str(config))
    monkeypatch.setenv("HUB_RATE_LIMIT", "7")
    settings = load_settings()
    assert settings.name == "Buurthuis De Linde"
    assert settings.federation_peers == ["oost-1"]
    assert settings.rate_limit == 7  # the environment wins


def test_broken_toml_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "hub.toml"
    config.write_text("name = \n")
    monkeypatch.setenv("HUB_CONFIG", str(config))
    with pytest.raises(ConfigError, match="HUB_CONFIG"):
        load_settings()


def test_list_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_FEDERATION_PEERS", "noord-1, zuid-2")
    assert load_settings().federation_peers == ["noord-1", "zuid-2"]


def test_secret_key_is_generated_once(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    first = secret_key(settings)
    assert len(first) >= 32
    assert secret_key(settings) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"`(HUB_[A-Z_]+)`", SETTINGS_DOC.read_text()))
    settings = {f"HUB_{name.upper()}" for name in Settings.model_fields} | {"HUB_CONFIG"}
    missing = sorted(settings - documented)
    assert not missing, f"settings missing from docs/reference/settings.md: {missing}"
