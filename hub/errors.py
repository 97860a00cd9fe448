"""The hub's exceptions, one hierarchy.

    HubError
    ├── ConfigError          a setting is invalid (start-up stops, naming it)
    ├── ValidationError      input broke a rule (HTTP 422, a mesh reply, a dead letter)
    │   ├── WrongHouseholdCode   a household code that does not match the address (HTTP 422)
    │   └── FileRefused          an uploaded file was refused whole; ``problems`` says why, by line
    ├── NotFound             a referenced record does not exist (HTTP 404)
    ├── Conflict             the request clashes with the current state (HTTP 409)
    │   └── IllegalTransition    a task or signal step its status does not allow (HTTP 409, the reason)
    ├── StorageUnavailable   the database cannot take writes now (HTTP 503)
    └── LinkError            the radio or the broker failed (converted at the adapter)

Library errors (SQLAlchemy, paho, meshtastic) are converted to these at the boundary,
with ``raise ... from exc``, so that routes and handlers never see a driver's exception.
"""

from __future__ import annotations


class HubError(Exception):
    """Base of every error the hub raises on purpose."""


class ConfigError(HubError):
    """A setting is missing or invalid."""


class ValidationError(HubError):
    """Input broke a rule; ``field`` names the culprit when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class WrongHouseholdCode(ValidationError):
    """A check-in's household code does not match its address (the same answer whether or not a
    household is registered there: the answer never reveals who is on the list)."""

    def __init__(self) -> None:
        super().__init__("the household code does not match this address", "code")


class FileRefused(ValidationError):
    """A file (an address register) refused whole: nothing of it was stored. ``problems`` are
    the reasons, one a line ("line 12: postcode '12345' is not ...")."""

    def __init__(self, what: str, problems: tuple[str, ...], details: tuple[object, ...] = ()) -> None:
        n = len(problems)
        super().__init__(
            f"{what} was not imported ({n} problem{'s' if n != 1 else ''}): {problems[0]}", "file"
        )
        self.problems = problems
        # The problems as values, for a caller that says them in a language of its own
        # (``hub.domain.address_register.Problem``); ``problems`` is their English.
        self.details = details


class NotFound(HubError):
    """A referenced record does not exist."""


class Conflict(HubError):
    """The request clashes with the current state of a record."""


class IllegalTransition(Conflict):
    """A task event its current status does not allow (``hub.domain.task_states``).

    ``reason`` says when the step would be allowed; the message puts it after what the task
    is. ``number`` names the task when the caller knows it (:meth:`for_task`).
    """

    def __init__(
        self, current: str, event: str, reason: str, number: int | None = None, *, what: str = "the task"
    ) -> None:
        self.current, self.event, self.reason, self.number = current, event, reason, number
        self.what = what
        which = what if number is None else f"task {number}"
        super().__init__(f"{which} is {current}: {reason}")

    def for_task(self, number: int) -> IllegalTransition:
        """The same refusal, naming the task."""
        return IllegalTransition(self.current, self.event, self.reason, number, what=self.what)


class StorageUnavailable(HubError):
    """The database refused a write (disk full, I/O error, locked too long)."""


class LinkError(HubError):
    """A link to the radio or the broker failed."""
