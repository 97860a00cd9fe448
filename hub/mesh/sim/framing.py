"""Meshtastic stream framing: ``0x94 0xC3``, 2-byte big-endian length, protobuf.

The decoder resynchronises on garbage, drops frames that announce more than 512 bytes,
and keeps a truncated frame buffered until the rest arrives.
"""

from __future__ import annotations

START1 = 0x94
START2 = 0xC3
HEADER_LEN = 4
MAX_FRAME = 512


def encode_frame(payload: bytes) -> bytes:
    if len(payload) > MAX_FRAME:
        raise ValueError(f"frame of {len(payload)} bytes exceeds {MAX_FRAME}")
    return bytes([START1, START2, len(payload) >> 8, len(payload) & 0xFF]) + payload


class FrameDecoder:
    """Incremental decoder: ``feed`` bytes, get the complete payloads found so far."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.skipped_bytes = 0
        self.oversized_frames = 0

    def feed(self, data: bytes) -> list[bytes]:
        self._buf.extend(data)
        frames: list[bytes] = []
        while True:
            start = self._find_start()
            if start < 0:
                return frames
            if len(self._buf) < HEADER_LEN:
                return frames
            length = (self._buf[2] << 8) | self._buf[3]
            if length > MAX_FRAME:
                self.oversized_frames += 1
                del self._buf[:2]  # skip this start marker, look for the next
                self.skipped_bytes += 2
                continue
            if len(self._buf) < HEADER_LEN + length:
                return frames
            frames.append(bytes(self._buf[HEADER_LEN : HEADER_LEN + length]))
            del self._buf[: HEADER_LEN + length]

    def _find_start(self) -> int:
        """Drop bytes before the next ``0x94 0xC3``; -1 when none is complete yet."""
        index = self._buf.find(bytes([START1, START2]))
        if index < 0:
            keep = 1 if self._buf and self._buf[-1] == START1 else 0
            self.skipped_bytes += len(self._buf) - keep
            del self._buf[: len(self._buf) - keep]
            return -1
        if index:
            self.skipped_bytes += index
            del self._buf[:index]
        return 0
