"""The simulated radio's own state as real protobufs: handshake and admin messages.

``RadioState`` is not thread-safe by itself; the simulator holds its lock around it.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from hub.mesh.sim.handsets import Handset, node_id
from hub.mesh.sim.pb import (
    admin_pb2,
    channel_pb2,
    config_pb2,
    localonly_pb2,
    mesh_pb2,
)

FIRMWARE_VERSION = "2.6.11.buurtbaken-sim"
CONFIG_ONLY_NONCE = 69420
NODES_ONLY_NONCE = 69421
HW_MODEL_PORTDUINO = 37
QUEUE_MAXLEN = 16

MODULE_SECTIONS = (
    "mqtt",
    "serial",
    "external_notification",
    "store_forward",
    "range_test",
    "telemetry",
    "canned_message",
    "audio",
    "remote_hardware",
    "neighbor_info",
    "ambient_lighting",
    "detection_sensor",
    "paxcounter",
)
CONFIG_SECTIONS = (
    "device",
    "position",
    "power",
    "network",
    "display",
    "lora",
    "bluetooth",
    "security",
)
CONFIG_TYPE_FIELDS = {
    "DEVICE_CONFIG": "device",
    "POSITION_CONFIG": "position",
    "POWER_CONFIG": "power",
    "NETWORK_CONFIG": "network",
    "DISPLAY_CONFIG": "display",
    "LORA_CONFIG": "lora",
    "BLUETOOTH_CONFIG": "bluetooth",
    "SECURITY_CONFIG": "security",
    "SESSIONKEY_CONFIG": "sessionkey",
}
MODULE_TYPE_FIELDS = {
    "MQTT_CONFIG": "mqtt",
    "SERIAL_CONFIG": "serial",
    "EXTNOTIF_CONFIG": "external_notification",
    "STOREFORWARD_CONFIG": "store_forward",
    "RANGETEST_CONFIG": "range_test",
    "TELEMETRY_CONFIG": "telemetry",
    "CANNEDMSG_CONFIG": "canned_message",
    "AUDIO_CONFIG": "audio",
    "REMOTEHARDWARE_CONFIG": "remote_hardware",
    "NEIGHBORINFO_CONFIG": "neighbor_info",
    "AMBIENTLIGHTING_CONFIG": "ambient_lighting",
    "DETECTIONSENSOR_CONFIG": "detection_sensor",
    "PAXCOUNTER_CONFIG": "paxcounter",
    "STATUSMESSAGE_CONFIG": "statusmessage",
    "TRAFFICMANAGEMENT_CONFIG": "traffic_management",
    "TAK_CONFIG": "tak",
}


@dataclass(frozen=True)
class AdminOutcome:
    """What the simulator must do after an admin message."""

    response: Any | None  # an AdminMessage to send back, or None for a plain ACK
    reboot_after: float | None = None


class RadioState:
    """Own node, configs, channels and the node DB of a simulated radio."""

    def __init__(
        self,
        node_num: int,
        preset: str,
        handsets: list[Handset],
        rng: random.Random,
    ) -> None:
        self.node_num = node_num
        self.handsets = handsets
        self.reboot_count = 0
        self.editing = False
        self.session_passkey = bytes(rng.getrandbits(8) for _ in range(8))
        self._public_key = bytes(rng.getrandbits(8) for _ in range(32))
        self.owner: Any = mesh_pb2.User()
        self.local_config: Any = localonly_pb2.LocalConfig()
        self.module_config: Any = localonly_pb2.LocalModuleConfig()
        self.channels: list[Any] = []
        self.canned_messages = ""
        self.ringtone = ""
        self._preset = preset
        self.factory_reset()

    # -- defaults ---------------------------------------------------------------------
    def factory_reset(self) -> None:
        self.owner = mesh_pb2.User(
            id=node_id(self.node_num),
            long_name="Buurtbaken sim",
            short_name="BBS",
            hw_model=HW_MODEL_PORTDUINO,
            public_key=self._public_key,
        )
        cfg = localonly_pb2.LocalConfig()
        for section in CONFIG_SECTIONS:
            getattr(cfg, section).SetInParent()
        cfg.device.role = config_pb2.Config.DeviceConfig.Role.Value("CLIENT")
        cfg.lora.use_preset = True
        cfg.lora.modem_preset = config_pb2.Config.LoRaConfig.ModemPreset.Value(self._preset)
        cfg.lora.region = config_pb2.Config.LoRaConfig.RegionCode.Value("EU_868")
        cfg.lora.hop_limit = 3
        cfg.lora.tx_enabled = True
        cfg.lora.tx_power = 27
        cfg.bluetooth.enabled = False
        cfg.security.public_key = self._public_key
        cfg.security.serial_enabled = True
        cfg.version = 24
        self.local_config = cfg
        mod = localonly_pb2.LocalModuleConfig()
        for section in MODULE_SECTIONS:
            getattr(mod, section).SetInParent()
        mod.version = 24
        self.module_config = mod
        self.channels = []
        for index in range(8):
            channel = channel_pb2.Channel(index=index)
            if index == 0:
                channel.role = channel_pb2.Channel.Role.Value("PRIMARY")
                channel.settings.psk = b"\x01"
            else:
                channel.role = channel_pb2.Channel.Role.Value("DISABLED")
            self.channels.append(channel)
        self.canned_messages = ""
        self.ringtone = ""

    @property
    def modem_preset(self) -> str:
        preset = self.local_config.lora.modem_preset
        return str(config_pb2.Config.LoRaConfig.ModemPreset.Name(preset))

    def set_lora(
        self,
        *,
        preset: str | None,
        use_preset: bool | None,
        bandwidth: int | None,
        spread_factor: int | None,
        coding_rate: int | None,
    ) -> None:
        lora = self.local_config.lora
        if preset is not None:
            lora.modem_preset = config_pb2.Config.LoRaConfig.ModemPreset.Value(preset.upper())
        if use_preset is not None:
            lora.use_preset = use_preset
        if bandwidth is not None:
            lora.bandwidth = bandwidth
        if spread_factor is not None:
            lora.spread_factor = spread_factor
        if coding_rate is not None:
            lora.coding_rate = coding_rate

    @property
    def hop_limit(self) -> int:
        return int(self.local_config.lora.hop_limit) or 3

    # -- handshake --------------------------------------------------------------------
    def metadata(self) -> Any:
        return mesh_pb2.DeviceMetadata(
            firmware_version=FIRMWARE_VERSION,
            device_state_version=24,
            canShutdown=True,
            hasWifi=False,
            hasBluetooth=False,
            hasEthernet=False,
            role=self.local_config.device.role,
            hw_model=HW_MODEL_PORTDUINO,
            hasPKC=True,
        )

    def own_node_info(self, now: float) -> Any:
        info = mesh_pb2.NodeInfo(num=self.node_num, last_heard=int(now))
        info.user.CopyFrom(self.owner)
        info.device_metrics.battery_level = 101  # powered
        info.device_metrics.voltage = 5.0
        info.device_metrics.uptime_seconds = 3600
        return info

    def handset_node_info(self, handset: Handset, now: float) -> Any:
        info = mesh_pb2.NodeInfo(
            num=handset.node_num,
            snr=handset.snr,
            last_heard=int(now) - 60,
            hops_away=handset.hops_away,
        )
        info.user.id = handset.node_id
        info.user.long_name = handset.long_name
        info.user.short_name = handset.short_name
        info.user.hw_model = mesh_pb2.HardwareModel.Value("T_ECHO")
        info.device_metrics.battery_level = handset.battery_level
        info.device_metrics.voltage = 3.3 + handset.battery_level / 100.0
        return info

    def handshake(self, nonce: int, now: float | None = None) -> list[Any]:
        """FromRadio messages answering ``want_config_id = nonce``, in firmware order."""
        at = time.time() if now is None else now
        out: list[Any] = []

        def add(**fields: Any) -> None:
            out.append(mesh_pb2.FromRadio(**fields))

        my_info = mesh_pb2.MyNodeInfo(
            my_node_num=self.node_num,
            reboot_count=self.reboot_count,
            min_app_version=30200,
            device_id=self.node_num.to_bytes(4, "big") * 4,
            pio_env="buurtbaken-sim",
            nodedb_count=len(self.handsets) + 1,
        )
        add(my_info=my_info)
        add(node_info=self.own_node_info(at))
        if nonce != NODES_ONLY_NONCE:
            add(metadata=self.metadata())
            for channel in self.channels:
                add(channel=channel)
            for section in CONFIG_SECTIONS:
                config = config_pb2.Config()
                getattr(config, section).CopyFrom(getattr(self.local_config, section))
                add(config=config)
            for section in MODULE_SECTIONS:
                fr = mesh_pb2.FromRadio()
                getattr(fr.moduleConfig, section).CopyFrom(getattr(self.module_config, section))
                out.append(fr)
        if nonce != CONFIG_ONLY_NONCE:
            for handset in self.handsets:
                add(node_info=self.handset_node_info(handset, at))
        add(config_complete_id=nonce)
        return out

    # -- admin ------------------------------------------------------------------------
    def handle_admin(self, admin: Any) -> AdminOutcome:
        """Apply one AdminMessage addressed to this node, as the firmware would."""
        variant = admin.WhichOneof("payload_variant")
        reply = admin_pb2.AdminMessage(session_passkey=self.session_passkey)
        if variant == "set_owner":
            self._set_owner(admin.set_owner)
        elif variant == "set_config":
            section = admin.set_config.WhichOneof("payload_variant")
            if section in CONFIG_SECTIONS:
                getattr(self.local_config, section).CopyFrom(getattr(admin.set_config, section))
        elif variant == "set_module_config":
            section = admin.set_module_config.WhichOneof("payload_variant")
            if section is not None and section in MODULE_TYPE_FIELDS.values():
                getattr(self.module_config, section).CopyFrom(getattr(admin.set_module_config, section))
        elif variant == "set_channel":
            index = admin.set_channel.index
            if 0 <= index < len(self.channels):
                self.channels[index] = channel_pb2.Channel()
                self.channels[index].CopyFrom(admin.set_channel)
        elif variant == "set_canned_message_module_messages":
            self.canned_messages = admin.set_canned_message_module_messages
        elif variant == "set_ringtone_message":
            self.ringtone = admin.set_ringtone_message
        elif variant == "begin_edit_settings":
            self.editing = True
        elif variant == "commit_edit_settings":
            self.editing = False
        elif variant == "factory_reset_config":
            self.factory_reset()
            return AdminOutcome(None, reboot_after=1.0)
        elif variant == "reboot_seconds":
            return AdminOutcome(None, reboot_after=max(admin.reboot_seconds, 0))
        elif variant is not None and variant.startswith("get_"):
            return AdminOutcome(self._answer_get(variant, admin, reply))
        return AdminOutcome(None)

    def _set_owner(self, user: Any) -> None:
        if user.long_name:
            self.owner.long_name = user.long_name
        if user.short_name:
            self.owner.short_name = user.short_name[:4]
        self.owner.is_licensed = user.is_licensed
        if user.HasField("is_unmessagable"):
            self.owner.is_unmessagable = user.is_unmessagable

    def _answer_get(self, variant: str, admin: Any, reply: Any) -> Any | None:
        if variant == "get_owner_request":
            reply.get_owner_response.CopyFrom(self.owner)
        elif variant == "get_channel_request":
            index = admin.get_channel_request - 1  # the request is 1-based
            if not 0 <= index < len(self.channels):
                return None
            reply.get_channel_response.CopyFrom(self.channels[index])
        elif variant == "get_config_request":
            name = admin_pb2.AdminMessage.ConfigType.Name(admin.get_config_request)
            field = CONFIG_TYPE_FIELDS.get(name)
            if field is None:
                return None
            if field == "sessionkey":
                reply.get_config_response.sessionkey.SetInParent()
            else:
                getattr(reply.get_config_response, field).CopyFrom(getattr(self.local_config, field))
        elif variant == "get_module_config_request":
            try:
                name = admin_pb2.AdminMessage.ModuleConfigType.Name(admin.get_module_config_request)
            except ValueError:
                return None
            field = MODULE_TYPE_FIELDS[name]
            getattr(reply.get_module_config_response, field).CopyFrom(getattr(self.module_config, field))
        elif variant == "get_canned_message_module_messages_request":
            reply.get_canned_message_module_messages_response = self.canned_messages
        elif variant == "get_ringtone_request":
            reply.get_ringtone_response = self.ringtone
        elif variant == "get_device_metadata_request":
            reply.get_device_metadata_response.CopyFrom(self.metadata())
        else:
            return None
        return reply
