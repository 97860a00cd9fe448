"""Log lines that text from outside cannot forge.

Handsets, MQTT peers and HTTP clients choose the text the hub logs (a mesh message, a dead
letter's reason). A line break in it would start what looks like a new log line
(``"OK\\n2026-12-03 11:00:00 INFO hub.web: login coord"``) in the journal or a log file.
:func:`one_line` writes control characters as escapes (``\\n``, ``\\x1b``, ``\\u2028``), and
:class:`OneLineFormatter` does that for every message the hub's own handler writes; a
traceback after the message keeps its lines.
"""

from __future__ import annotations

import logging
import unicodedata

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Cc: C0 and C1 controls (\n \r \t ESC NEL ...); Zl, Zp: the Unicode line and paragraph separators.
_BREAKING = frozenset({"Cc", "Zl", "Zp"})


def _escape(char: str) -> str:
    if unicodedata.category(char) not in _BREAKING:
        return char
    return char.encode("unicode_escape").decode("ascii")


def one_line(text: str) -> str:
    """``text`` with every control character and line separator written as an escape."""
    if text.isprintable():
        return text
    return "".join(_escape(char) for char in text)


class OneLineFormatter(logging.Formatter):
    """Each record's message on one line, whatever text its arguments carried."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.message)
        return super().formatMessage(record)


def configure(level: int) -> None:
    """The root logger writes one line per message to stderr (systemd's journal)."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])


# The scheduler's lines for every routine run ("Running job ...", "... executed successfully",
# "Added job ...") would fill the journal every few seconds; they belong to the debug log.
ROUTINE = ("Running job ", "Job ", "Adding job tentatively", "Added job ", "Removed job ")
SCHEDULER_LOGGERS = ("apscheduler.scheduler", "apscheduler.executors.default")


class RoutineToDebug(logging.Filter):
    """Turns a library's routine INFO lines into DEBUG ones (kept only when debug is on)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not str(record.msg).startswith(ROUTINE):
            return True
        if not logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
            return False
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


_routine_to_debug = RoutineToDebug()


def scheduler_routine_to_debug() -> None:
    """Install :class:`RoutineToDebug` on APScheduler's loggers (once)."""
    for name in SCHEDULER_LOGGERS:
        logger = logging.getLogger(name)
        if _routine_to_debug not in logger.filters:
            logger.addFilter(_routine_to_debug)
