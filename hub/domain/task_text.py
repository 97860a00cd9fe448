"""Texts for volunteers' handsets about tasks (temporary: ``hub.domain.messages`` will own these).

Another part of the hub is writing ``hub/domain/messages.py`` with ``task_dispatch(...)``; until it
lands, the admin side formats its dispatches here. Every text fits one LoRa packet: at most
:data:`MAX_BYTES` bytes of UTF-8, counted in bytes, not characters. Only the note is shortened.

    T12 KLOP Kerkstraat 5: mevr. J (84, alleen). JA 12 / KLAAR 12 / NIET 12
"""

from __future__ import annotations

MAX_BYTES = 200
ELLIPSIS = "…"
KIND_WORDS = {"door_knock": "KLOP", "delivery": "BRENG", "transport": "RIJD", "check": "CHECK"}


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def shorten(text: str, max_bytes: int) -> str:
    """``text`` cut at a character boundary so that it fits ``max_bytes``, marked with an ellipsis."""
    if utf8_len(text) <= max_bytes:
        return text
    room = max_bytes - utf8_len(ELLIPSIS)
    if room <= 0:
        return ""
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip(" ,.;:")
    return cut + ELLIPSIS


def task_dispatch(number: int, kind: str, address: str, note: str | None = None) -> str:
    """The direct message that gives task ``number`` to a volunteer (≤ 200 bytes)."""
    word = KIND_WORDS.get(kind, kind.upper())
    tail = f" JA {number} / KLAAR {number} / NIET {number}"
    head = f"T{number} {word} {shorten(address, 80)}"
    clean_note = " ".join((note or "").split())
    if clean_note:
        room = MAX_BYTES - utf8_len(head) - utf8_len(tail) - utf8_len(": .")
        short = shorten(clean_note, room).rstrip(".")
        if short:
            end = "" if short.endswith(ELLIPSIS) else "."
            return f"{head}: {short}{end}{tail}"
    return f"{head}.{tail}"


def task_withdrawn(number: int) -> str:
    """Tells a volunteer who did not answer that the task went to someone else."""
    return f"T{number} gaat naar een ander. Niets meer doen. Dank!"


def announcement_summary(priority: str, title: str, body: str) -> str:
    """One packet for the mesh channel: the title, then as much of the body as fits."""
    mark = {"urgent": "!! ", "warning": "! "}.get(priority, "")
    head = shorten(f"{mark}{' '.join(title.split())}", MAX_BYTES)
    text = " ".join(body.split())
    room = MAX_BYTES - utf8_len(head) - 2
    if room < 12 or not text:
        return head
    return f"{head}: {shorten(text, room)}"


def status_summary(clock: str, checked_in: int, help_needed: int, open_needs: int, unreached: int) -> str:
    """The periodic neighbourhood summary for the channel (lowest priority)."""
    return (
        f"STATUS {clock}: {checked_in} ingecheckt, {help_needed} hulp, "
        f"{open_needs} open vragen, {unreached} nog bezoeken"
    )
