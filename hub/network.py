"""The addresses other devices can reach the hub on, for the start-up banner.

A hub bound to every interface (``0.0.0.0``) is reached on each interface's address: the
access point's (10.42.0.1), the home network's, a cable's. ``ip addr`` would list them; this
module asks the kernel directly (Linux: ``SIOCGIFCONF`` for IPv4, ``/proc/net/if_inet6`` for
IPv6) so the hub needs no extra package or program.
"""

from __future__ import annotations

import array
import fcntl
import ipaddress
import socket
import struct
from pathlib import Path

SIOCGIFCONF = 0x8912
MAX_INTERFACES = 128
# struct ifreq: 16 bytes of name, then a union as large as struct ifmap (24 bytes with 64-bit longs).
IFREQ_SIZE = 16 + (24 if struct.calcsize("L") == 8 else 16)
IF_INET6 = Path("/proc/net/if_inet6")
LOOPBACK = "127.0.0.1"


def ipv4_addresses() -> list[str]:
    """Every interface's IPv4 address (loopback included); empty when the kernel cannot say."""
    buffer = array.array("B", bytes(IFREQ_SIZE * MAX_INTERFACES))
    address, _ = buffer.buffer_info()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            answer = fcntl.ioctl(sock.fileno(), SIOCGIFCONF, struct.pack("iL", len(buffer), address))
    except OSError:
        return []
    length = struct.unpack("iL", answer)[0]
    data = buffer.tobytes()[:length]
    found = []
    for start in range(0, length - IFREQ_SIZE + 1, IFREQ_SIZE):
        # the union holds a struct sockaddr_in: family (2), port (2), then the address (4)
        found.append(socket.inet_ntoa(data[start + 20 : start + 24]))
    return found


def ipv6_addresses(table: Path = IF_INET6) -> list[str]:
    """Every global IPv6 address (link-local ones need a zone no browser takes in a URL)."""
    try:
        lines = table.read_text(encoding="ascii").splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split()
        if len(fields) < 6 or fields[3] != "00":  # scope 00: global
            continue
        found.append(str(ipaddress.IPv6Address(bytes.fromhex(fields[0]))))
    return found


def hostname_address() -> str | None:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return None


def reachable_hosts(bind: str) -> list[str]:
    """The hosts to put in the hub's URLs: ``bind`` itself, or, for a wildcard, every
    non-loopback address of the machine first and 127.0.0.1 last."""
    if bind not in ("0.0.0.0", "::", ""):
        return [bind]
    found = ipv4_addresses() or [a for a in [hostname_address()] if a]
    if bind == "::":
        found += ipv6_addresses()
    outside = [a for a in dict.fromkeys(found) if not ipaddress.ip_address(a).is_loopback]
    return [*outside, LOOPBACK]


def url(host: str, port: int, path: str = "/") -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{path}"
