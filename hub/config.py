"""Settings: ``HUB_*`` environment variables, or a TOML file named by ``HUB_CONFIG``.

Environment variables win over the file. Every setting is documented in docs/reference/settings.md
(``tests/test_docs.py`` fails when one is not).
"""

from __future__ import annotations

import base64
import ipaddress
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from hub.errors import ConfigError

LORA_PRESETS = (
    "SHORT_FAST",
    "SHORT_SLOW",
    "MEDIUM_FAST",
    "MEDIUM_SLOW",
    "LONG_FAST",
    "LONG_MODERATE",
    "LONG_SLOW",
)
HUB_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Everything an operator can set. Field names map to ``HUB_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="forbid", frozen=True)

    data_dir: Path = Path("./data")
    db_url: str = ""
    id: str = "buurtbaken-1"
    name: str = "Buurtbaken"
    radio: str = "none"
    mqtt_url: str = ""
    mqtt_topic_root: str = "buurtbaken/v1"
    mqtt_ca_file: Path | None = None
    secret_key: str = ""
    default_lang: Literal["nl", "en", "ar", "tr", "pl", "uk"] = "nl"
    lora_region: Literal["EU_868"] = "EU_868"
    lora_preset: str = "MEDIUM_FAST"
    sync_share: Literal["aggregate", "needs", "full"] = "aggregate"
    sync_resend_after: float = Field(default=30.0, gt=0)
    sync_resend_max: float = Field(default=1800.0, gt=0)
    federation_peers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    rate_limit: int = Field(default=30, ge=0)
    captive: bool = True
    portal_url: str = ""
    enable_docs: bool = False
    admin_networks: Annotated[list[str], NoDecode] = Field(default_factory=list)
    allow_unknown_nodes: bool = False
    airtime_budget: float = Field(default=0.5, gt=0, le=1)
    airtime_reply_share: float = Field(default=0.5, gt=0, le=1)
    airtime_handset_share: float = Field(default=0.1, gt=0, le=1)
    mesh_repeat_seconds: float = Field(default=300.0, ge=0, le=86400)
    escalation_hours: float = Field(default=6.0, gt=0)
    task_accept_minutes: float = Field(default=15.0, gt=0)
    task_max_offers: int = Field(default=3, ge=1, le=20)
    clock_sync_check: str = "timedatectl"
    backup_dir: Path | None = None
    backup_keep: int = Field(default=7, ge=1)
    # Retention (the privacy page promises "deleted after 12 months at the latest": at most 365).
    retain_checkins_days: int = Field(default=365, ge=1, le=365)
    retain_needs_days: int = Field(default=365, ge=1, le=365)
    retain_offers_days: int = Field(default=365, ge=1, le=365)
    retain_households_days: int = Field(default=365, ge=1, le=365)
    retain_tasks_days: int = Field(default=365, ge=1, le=365)
    retain_messages_days: int = Field(default=365, ge=1, le=365)
    retain_drill_days: int = Field(default=30, ge=1, le=365)
    max_body_bytes: int = Field(default=16 * 1024, ge=1024)
    header_timeout: float = Field(default=5.0, gt=0, le=300)
    body_timeout: float = Field(default=10.0, gt=0, le=300)
    max_connections_per_client: int = Field(default=10, ge=0)
    wifi_ssid: str = Field(default="Buurtbaken", min_length=1, max_length=32)
    # Where the hub is, for the region's map (WGS 84); empty: the middle of the address register.
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    status_minutes: float = Field(default=15.0, ge=0, le=1440)
    # The region channel over LoRa when the internet is down (docs/reference/region-channel.md).
    region_key_file: Path | None = None
    region_after_minutes: float = Field(default=30.0, ge=0, le=10080)
    region_summary_minutes: float = Field(default=15.0, ge=1, le=1440)
    region_slot_seconds: int = Field(default=30, ge=5, le=3600)
    region_slot: int | None = Field(default=None, ge=0, le=1000)
    region_retry_seconds: float = Field(default=60.0, ge=5, le=3600)
    power_supply_dir: Path = Path("/sys/class/power_supply")

    @field_validator("federation_peers", "admin_networks", mode="before")
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("id")
    @classmethod
    def _hub_id(cls, value: str) -> str:
        if not HUB_ID_PATTERN.match(value):
            raise ValueError("use 1-40 lower-case letters, digits and dashes (it is an MQTT topic level)")
        return value

    @field_validator("lora_preset")
    @classmethod
    def _preset(cls, value: str) -> str:
        if value.upper() not in LORA_PRESETS:
            raise ValueError(f"must be one of {', '.join(LORA_PRESETS)}")
        return value.upper()

    @field_validator("airtime_handset_share")
    @classmethod
    def _handset_share(cls, value: float, info: ValidationInfo) -> float:
        replies = info.data.get("airtime_reply_share")
        if isinstance(replies, float) and value > replies:
            raise ValueError(f"must not exceed HUB_AIRTIME_REPLY_SHARE ({replies})")
        return value

    @field_validator("radio")
    @classmethod
    def _radio(cls, value: str) -> str:
        if value in ("none", "sim") or value.startswith(("serial://", "tcp://")):
            return value
        raise ValueError("use none, sim, serial:///dev/ttyACM0 or tcp://host:4403")

    @field_validator("region_key_file")
    @classmethod
    def _region_key(cls, value: Path | None) -> Path | None:
        if value is not None:
            read_region_key(value)
        return value

    @field_validator("clock_sync_check")
    @classmethod
    def _clock_check(cls, value: str) -> str:
        if value in ("timedatectl", "off") or value.startswith("/"):
            return value
        raise ValueError(
            "use timedatectl, off, or the absolute path of a file that exists when time is synced"
        )

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt(cls, value: str) -> str:
        if value and not value.startswith(("mqtt://", "mqtts://")):
            raise ValueError("use mqtt://host:1883 or mqtts://user:pass@host:8883, or leave empty")
        return value

    @field_validator("mqtt_ca_file")
    @classmethod
    def _ca_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(
                f"{value} is not a file (a PEM file with the CA that signed the broker's certificate)"
            )
        return value

    @field_validator("admin_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ValueError(f"{network!r} is not a network (use CIDR like 10.0.0.0/24)") from exc
        return value

    @field_validator("federation_peers")
    @classmethod
    def _peers(cls, value: list[str]) -> list[str]:
        for peer in value:
            if not HUB_ID_PATTERN.match(peer):
                raise ValueError(f"{peer!r} is not a hub id")
        return value

    @field_validator("secret_key")
    @classmethod
    def _strong_secret(cls, value: str) -> str:
        if (value and len(set(value)) < 10) or 0 < len(value) < 32:
            raise ValueError("use at least 32 random characters, or leave it empty to generate one")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("HUB_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'hub.sqlite3'}"

    @property
    def sqlite_path(self) -> Path | None:
        url = self.database_url
        return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a validation error into one line that names the setting."""
    config_file = os.environ.get("HUB_CONFIG")
    if config_file and not Path(config_file).is_file():
        raise ConfigError(f"HUB_CONFIG: file {config_file} does not exist")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "_".join(str(part) for part in error["loc"][:1]).upper() or "settings"
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"HUB_{name}: {message}") from exc
    except (OSError, ValueError) as exc:  # a broken TOML file
        raise ConfigError(f"HUB_CONFIG: {exc}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, built once on first use (tests pass their own instead)."""
    return load_settings()


REGION_KEY_MIN_BYTES = 16


def read_region_key(path: Path) -> bytes:
    """The region key: base64 in a file (``openssl rand -base64 32``); ValueError if unusable."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the region key file {path}: {exc}") from exc
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError:
        raise ValueError(f"{path} is not a base64 key (make one with: openssl rand -base64 32)") from None
    if len(key) < REGION_KEY_MIN_BYTES:
        raise ValueError(f"{path} holds a {len(key)}-byte key; use at least {REGION_KEY_MIN_BYTES} bytes")
    return key


def region_key(settings: Settings) -> bytes | None:
    """The key that signs region-channel frames; None when no key is set (region channel off)."""
    return read_region_key(settings.region_key_file) if settings.region_key_file is not None else None


def secret_key(settings: Settings) -> str:
    """The configured key, or one generated into the data dir on first start."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
