"""Text sizing for LoRa packets: everything is counted in UTF-8 bytes, not characters.

``split_message`` cuts a long text into numbered parts ("1/3 ...") that each fit one
packet, at word boundaries where it can, never inside a multi-byte character.
"""

from __future__ import annotations

DEFAULT_LIMIT = 200


def utf8_len(text: str) -> int:
    """Length of ``text`` in UTF-8 bytes."""
    return len(text.encode("utf-8"))


def truncate_utf8(text: str, limit: int, ellipsis: str = "") -> str:
    """Longest prefix of ``text`` of at most ``limit`` bytes (with ``ellipsis`` if cut)."""
    if limit < 0:
        raise ValueError("limit must not be negative")
    if utf8_len(text) <= limit:
        return text
    room = limit - utf8_len(ellipsis)
    if room < 0:
        return _prefix_within(ellipsis, limit)
    return _prefix_within(text, room) + ellipsis


def _prefix_within(text: str, limit: int) -> str:
    raw = text.encode("utf-8")[:limit]
    return raw.decode("utf-8", errors="ignore")


def split_message(text: str, limit: int = DEFAULT_LIMIT) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` UTF-8 bytes.

    A text that fits is returned unchanged as the only part. Otherwise each part starts
    with "i/n " (counted in the limit). Words are kept whole unless one alone is longer
    than a part; then it is cut between characters.
    """
    if limit < 8:
        raise ValueError("limit too small for numbered parts")
    if utf8_len(text) <= limit:
        return [text]
    words = text.split()
    if not words:
        return [truncate_utf8(text, limit)]
    count = 2
    while True:
        room = limit - len(f"{count}/{count} ")
        if room < 4:  # pragma: no cover - needs a text of thousands of parts
            raise ValueError("text too long to split into numbered parts")
        chunks = _pack(words, room)
        if len(chunks) <= count:
            total = len(chunks)
            return [f"{i}/{total} {chunk}" for i, chunk in enumerate(chunks, start=1)]
        count = len(chunks)


def _pack(words: list[str], room: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for word in words:
        for piece in _cut_word(word, room):
            candidate = piece if not current else f"{current} {piece}"
            if utf8_len(candidate) <= room:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def _cut_word(word: str, room: int) -> list[str]:
    pieces: list[str] = []
    while utf8_len(word) > room:
        head = _prefix_within(word, room)
        pieces.append(head)
        word = word[len(head) :]
    pieces.append(word)
    return pieces
