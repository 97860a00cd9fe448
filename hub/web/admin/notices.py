"""What the next admin page says after a form: ids in the address, text from here.

A redirect after a form carries an id (``?ok=saved``, ``?error=invalid&field=address``),
never text. The page looks the id up in these fixed lists and shows the translated text; an
id that is not in them shows nothing. So nothing a link puts in the address bar reaches the
page: ``/admin?error=<meta http-equiv="refresh" ...>`` is an unknown id, not a message.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError as PydanticError

from hub.errors import Conflict, IllegalTransition, NotFound, StorageUnavailable

log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Mark a message for the catalogs; the page translates it when it shows it."""
    return message


NOTICES: dict[str, str] = {
    "activity_posted": N_("activity posted: it is on the portal's home page"),
    "supply_requested": N_("supply request recorded: it goes to the region"),
    "supply_closed": N_("supply request closed"),
    "addresses_imported": N_("the address register is imported"),
    "section_added": N_("section added"),
    "home_saved": N_("home address saved"),
    "home_not_in_register": N_("home address saved; it is not in the address register (kept and marked)"),
    "alert_acknowledged": N_("alert acknowledged; the sender is told"),
    "assigned": N_("assigned"),
    "checkin_verified": N_("check-in confirmed"),
    "clock_confirmed": N_("clock confirmed"),
    "deleted": N_("deleted"),
    "drill_ended": N_("drill ended"),
    "drill_started": N_("drill started"),
    "drill_wiped": N_("drill data wiped"),
    "handled": N_("handled"),
    "mode_changed": N_("mode changed"),
    "need_updated": N_("need updated"),
    "offer_declined": N_("offer declined: it is deleted"),
    "offer_updated": N_("offer updated"),
    "published": N_("published"),
    "saved": N_("saved"),
    "signal_closed": N_("signal closed"),
    "signal_looked_at": N_("signal marked as looked at"),
    "signal_merged": N_("signal merged into the other one"),
    "signal_acted_on": N_("recorded what was done about the signal"),
    "signal_reopened": N_("signal opened again"),
    "session_revoked": N_("session ended"),
    "task_created": N_("task created"),
    "task_updated": N_("task updated"),
    "token_revoked": N_("token revoked"),
    "volunteer_added": N_("volunteer added"),
    "volunteer_approved": N_("volunteer approved: the radio knows their handset now"),
    "withdrawn": N_("withdrawn: no longer shown"),
    "partner_added": N_("partner organisation added"),
    "account_added": N_("partner account added"),
    "consent_saved": N_("sharing with partners saved"),
    "task_routed": N_("task routed"),
    "enrolled": N_("enrolled as a volunteer without a handset: their tasks go on paper"),
    "reached_saved": N_("saved: this household counts as reached"),
    "task_taken": N_("task taken"),
    "signal_saved": N_("your concern is on the coordinators' list"),
    "task_done": N_("task done"),
}

ERRORS: dict[str, str] = {
    "clock_off": N_("noted: the hub's clock is off; times on these pages are not reliable"),
    "choose_volunteer": N_("choose a volunteer"),
    "confirm": N_("tick the box to confirm"),
    "confirm_deletion": N_("tick the box to confirm the deletion"),
    "conflict": N_("this clashes with a change made meanwhile: reload the page and check"),
    "failed": N_("that did not work: nothing was changed"),
    "fill_in_name": N_("fill in a name"),
    "form_refused": N_("Check the form: a field is empty, too long or not one of the choices."),
    "hours_wrong": N_("Expires after: fill in a number of hours from 1 to 8760, or leave it empty."),
    "invalid": N_("check what you filled in"),
    "not_found": N_("it is no longer there: reload the page"),
    "people_wrong": N_("People: fill in a number from 1 to 50, or leave it empty."),
    "signal_step": N_("that step is not possible in the signal's current state: nothing was changed"),
    "signal_merge": N_("choose another signal that is not itself merged to merge into: nothing was changed"),
    "signal_address": N_("this signal has no address: a task, need or door knock needs one"),
    "partner_missing": N_("fill in which partner was called"),
    "storage": N_("the hub cannot save right now: nothing was stored, try again in a minute"),
    "unknown_action": N_("unknown action"),
    "token_days_wrong": N_("Expires after: fill in a number of days from 1 to 3650, or leave it empty."),
    "contact_without_consent": N_("the contact can only be shared with a partner that is ticked as well"),
    "consent_by_missing": N_("fill in who gave the consent"),
}

# Form fields an error may name (``&field=``), with the label the form shows for them.
FIELDS: dict[str, str] = {
    "address": N_("Address"),
    "body": N_("Text"),
    "text": N_("Text"),
    "buddy_volunteer_id": N_("Buddy volunteer"),
    "consent.given_by": N_("Consent given by"),
    "contact": N_("Contact"),
    "duplicate_of": N_("Duplicate of"),
    "kind": N_("Kind"),
    "name": N_("Name"),
    "node_id": N_("Handset node id"),
    "note": N_("Note"),
    "people": N_("People"),
    "place": N_("Where"),
    "priority": N_("Priority"),
    "skills": N_("Skills"),
    "special_attention": N_("Special attention"),
    "status": N_("Status"),
    "title": N_("Title"),
    "volunteer_id": N_("Volunteer"),
    "password": N_("Password"),
    "share_partner": N_("Share with partners"),
    "consent.share_partners": N_("Share with partners"),
    "expires_days": N_("Expires after (days)"),
    "when": N_("When"),
}


# Why a login failed (``/admin/login?failed=``); the login page has the words for each.
LOGIN_FAILURES = frozenset({"wrong", "locked", "slow"})


def shown(table: dict[str, str], message_id: str | None) -> str:
    """The message (an English id for the catalogs) for ``message_id``; empty when unknown."""
    return table.get(message_id or "", "")


def failure(exc: Exception) -> dict[str, str]:
    """The ``error`` (and ``field``) ids for a failed form; the details go to the log only."""
    log.info("admin form refused: %s", exc)
    if isinstance(exc, StorageUnavailable):
        return {"error": "storage"}
    if isinstance(exc, NotFound):
        return {"error": "not_found"}
    if isinstance(exc, IllegalTransition) and exc.what == "the signal":
        return {"error": "signal_step"}
    if isinstance(exc, Conflict):
        return {"error": "conflict"}
    field: str | None
    if isinstance(exc, PydanticError):
        field = ".".join(str(p) for p in exc.errors()[0]["loc"]) if exc.errors() else None
    else:
        field = getattr(exc, "field", None)
    if field is None:
        return {"error": "invalid"}
    if field not in FIELDS:
        field = field.split(".")[0]
    return {"error": "invalid", "field": field} if field in FIELDS else {"error": "invalid"}
