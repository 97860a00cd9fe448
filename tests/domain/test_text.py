"""Splitting and truncating by UTF-8 bytes."""

import re

from hypothesis import given
from hypothesis import strategies as st

from hub.domain.text import split_message, truncate_utf8, utf8_len

PREFIX = re.compile(r"^(\d+)/(\d+) ")


def test_utf8_len_counts_bytes() -> None:
    assert utf8_len("abc") == 3
    assert utf8_len("é") == 2
    assert utf8_len("👍") == 4


def test_short_text_is_unchanged() -> None:
    assert split_message("JA 12") == ["JA 12"]
    text = "x" * 200
    assert split_message(text) == [text]


def test_long_text_gets_numbered_parts_within_limit() -> None:
    text = " ".join(["woord"] * 100)  # 599 bytes
    parts = split_message(text)
    assert len(parts) == 4
    assert parts[0].startswith("1/4 ")
    assert parts[-1].startswith("4/4 ")
    assert all(utf8_len(p) <= 200 for p in parts)


def test_multibyte_characters_are_never_split() -> None:
    text = "é" * 150  # 300 bytes, one long word
    parts = split_message(text)
    assert len(parts) == 2
    bodies = [PREFIX.sub("", p) for p in parts]
    assert "".join(bodies) == text


def test_truncate_utf8() -> None:
    assert truncate_utf8("héé", 4) == "hé"
    assert truncate_utf8("héé", 5) == "héé"
    assert truncate_utf8("abcdef", 5, "…") == "ab…"
    assert truncate_utf8("abc", 3, "…") == "abc"


@given(st.text(), st.integers(min_value=0, max_value=300))
def test_truncate_never_exceeds_limit(text: str, limit: int) -> None:
    out = truncate_utf8(text, limit, "…")
    assert utf8_len(out) <= limit
    out.encode("utf-8")


@given(st.text(min_size=0, max_size=2000), st.integers(min_value=20, max_value=240))
def test_split_properties(text: str, limit: int) -> None:
    parts = split_message(text, limit)
    assert all(utf8_len(p) <= limit for p in parts)
    for p in parts:
        p.encode("utf-8")  # would raise on a lone surrogate half
    if utf8_len(text) <= limit:
        assert parts == [text]
        return
    total = len(parts)
    bodies = []
    for i, p in enumerate(parts, start=1):
        m = PREFIX.match(p)
        assert m is not None
        assert int(m.group(1)) == i
        assert int(m.group(2)) == total
        bodies.append(p[m.end() :])
    assert "".join("".join(b.split()) for b in bodies) == "".join(text.split())


@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=("Zs", "Cc", "Zl", "Zp", "Cs")),
            min_size=1,
            max_size=30,
        ),
        max_size=150,
    )
)
def test_split_keeps_short_words_whole(words: list[str]) -> None:
    words = [w for w in words if w.split() == [w]]
    text = " ".join(words)
    parts = split_message(text, 200)
    if len(parts) == 1:
        assert parts == [text]
    else:
        rejoined = [w for p in parts for w in PREFIX.sub("", p, count=1).split()]
        assert rejoined == words
