"""How the hub answers a volunteer's command on the air: as little as keeps them sure.

A handset sends a direct message with ``want_ack``; the hub's radio acknowledges it at
firmware level and the handset marks the message delivered. That mark already says "the
hub got it", so a command that did what it asked needs no sentence back (**silent
success**). A command that reached the hub without that mark (on the channel, or sent
without ``want_ack``) is confirmed with a **reaction** (a tapback: ``👍`` on the
volunteer's own packet). Anything that went wrong, or a question, is answered in text:

    answer          on the air                                  want_ack
    success         nothing (the radio's ACK) or a reaction     no
    information     a short text (STATUS, TAKEN, ?)             no: asking again costs nothing
    notice          a text that must be read (a call for help   yes
                    is stored, nobody has seen it yet)
    refusal         a short text (unknown task, not yours,      yes: a lost refusal would read
                    closed, unknown command, which task?)            as a silent success

The choice was made by measurement (``tests/bench/test_mesh_bench.py``,
``docs/reference/mesh.md``): a reaction costs a 34-byte packet (140 ms on MEDIUM_FAST), a
task cycle with a reaction on ``JA`` is 1.39 × its dispatch (target ≤ 1.3), without one 1.0 ×.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

REACTION = "👍"


class AnswerKind(Enum):
    SUCCESS = "success"
    INFORMATION = "information"
    NOTICE = "notice"
    REFUSAL = "refusal"


@dataclass(frozen=True)
class Answer:
    """What the hub makes of a command; ``text`` is what a sentence would say (and the log's)."""

    kind: AnswerKind
    text: str

    @property
    def ok(self) -> bool:
        return self.kind is AnswerKind.SUCCESS

    @property
    def want_ack(self) -> bool:
        """Whether a text answer must be acknowledged (and retried): a notice or a refusal."""
        return self.kind in (AnswerKind.NOTICE, AnswerKind.REFUSAL)


def success(text: str) -> Answer:
    return Answer(AnswerKind.SUCCESS, text)


def information(text: str) -> Answer:
    return Answer(AnswerKind.INFORMATION, text)


def notice(text: str) -> Answer:
    return Answer(AnswerKind.NOTICE, text)


def refusal(text: str) -> Answer:
    return Answer(AnswerKind.REFUSAL, text)


def needs_reaction(*, direct: bool, want_ack: bool) -> bool:
    """A success is confirmed by a reaction only when the radio did not acknowledge the packet
    (a direct message with ``want_ack`` is acknowledged by the hub's radio itself)."""
    return not (direct and want_ack)
