"""Who is asking: admin networks, sessions, bearer tokens, CSRF and the login throttle."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections import OrderedDict, deque
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from hub.errors import StorageUnavailable
from hub.runtime import Hub
from hub.services import access
from hub.services.accounts import Principal, principal_of_session, principal_of_token
from hub.web.cookies import SESSION_COOKIE as SESSION_COOKIE
from hub.web.deps import HubDep, client_ip

log = logging.getLogger(__name__)

LOGIN_COOKIE = "bb_login"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


def admin_network_allowed(request: Request, hub: HubDep) -> None:
    """403 unless the client is in ``HUB_ADMIN_NETWORKS`` (empty: every network)."""
    networks = hub.settings.admin_networks
    if not networks:
        return
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "The admin pages are not reachable from here."
        ) from None
    for network in networks:
        if address in ipaddress.ip_network(network, strict=False):
            return
    raise HTTPException(status.HTTP_403_FORBIDDEN, "The admin pages are not reachable from here.")


NetworkCheck = Depends(admin_network_allowed)


def find_principal(request: Request, hub: HubDep) -> Principal | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        principal = principal_of_token(hub, credentials.strip())
        if principal is not None:
            _note_token_use(hub, principal)
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return principal_of_session(hub, cookie)
    return None


def _note_token_use(hub: Hub, principal: Principal) -> None:
    """Write the token's last use (at most once a minute), without holding up the request."""
    token_id = principal.token_id
    if token_id is None or not access.token_use_due(principal.token_last_used):
        return
    try:
        future = access.note_token_use(hub, token_id, datetime.now(UTC))
    except StorageUnavailable:
        return
    future.add_done_callback(_log_failure)


def _log_failure(future: Future[None]) -> None:
    if future.exception() is not None:
        log.warning("could not note a token's use: %s", future.exception())


PARTNER_REFUSED = "A partner's account sees only its own pages."


def any_api_principal(request: Request, hub: HubDep, _net: None = NetworkCheck) -> Principal:
    """Whoever holds a session or token, partners too (only the partner API asks for this)."""
    principal = find_principal(request, hub)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Log in or send a bearer token.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def api_principal(principal: Annotated[Principal, Depends(any_api_principal)]) -> Principal:
    """A coordinator or viewer: closed to partners by default, so a new admin route is too."""
    if principal.is_partner:
        raise HTTPException(status.HTTP_403_FORBIDDEN, PARTNER_REFUSED)
    return principal


def _csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected and given and hmac.compare_digest(expected, given))


def api_writer(request: Request, principal: Annotated[Principal, Depends(api_principal)]) -> Principal:
    """A coordinator; with a session cookie the ``X-CSRF-Token`` header must match the session."""
    if not principal.can_write:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Viewers cannot change anything.")
    if principal.via == "session" and not _csrf_ok(principal.csrf_token, request.headers.get(CSRF_HEADER)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Missing or wrong CSRF token.")
    return principal


ApiReader = Annotated[Principal, Depends(api_principal)]
ApiWriter = Annotated[Principal, Depends(api_writer)]


def any_page_principal(request: Request, hub: HubDep, _net: None = NetworkCheck) -> Principal:
    """A logged-in person (session cookie only), partners too; otherwise off to the login page."""
    cookie = request.cookies.get(SESSION_COOKIE)
    principal = None
    if cookie:
        principal = principal_of_session(hub, cookie)
    if principal is None:
        raise HTTPException(status.HTTP_303_SEE_OTHER, "Log in first.", headers={"Location": "/admin/login"})
    return principal


def page_principal(principal: Annotated[Principal, Depends(any_page_principal)]) -> Principal:
    """A coordinator or viewer: every admin page is closed to partners unless it asks for
    :data:`PartnerPage` (a new page is closed by default)."""
    if principal.is_partner:
        raise HTTPException(status.HTTP_403_FORBIDDEN, PARTNER_REFUSED)
    return principal


async def form_writer(
    request: Request, principal: Annotated[Principal, Depends(page_principal)]
) -> Principal:
    """A coordinator posting a form that carries the session's CSRF token."""
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if not _csrf_ok(principal.csrf_token, given if isinstance(given, str) else None):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "This form has expired. Go back, reload and try again."
        )
    if not principal.can_write:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Viewers cannot change anything.")
    return principal


def page_coordinator(principal: Annotated[Principal, Depends(page_principal)]) -> Principal:
    """A logged-in coordinator: viewers may not see who else holds access."""
    if not principal.can_write:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only coordinators may see this page.")
    return principal


def partner_page(principal: Annotated[Principal, Depends(any_page_principal)]) -> Principal:
    """A partner organisation's logged-in person (its own pages only)."""
    if not principal.is_partner or principal.partner_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only a partner's account has this page.")
    return principal


async def partner_form(request: Request, principal: Annotated[Principal, Depends(partner_page)]) -> Principal:
    """A partner posting a form that carries the session's CSRF token."""
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if not _csrf_ok(principal.csrf_token, given if isinstance(given, str) else None):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "This form has expired. Go back, reload and try again."
        )
    return principal


def partner_api(principal: Annotated[Principal, Depends(any_api_principal)]) -> Principal:
    """A partner's token or session (the partner API only)."""
    if not principal.is_partner or principal.partner_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only a partner's account or token.")
    return principal


def partner_api_writer(request: Request, principal: Annotated[Principal, Depends(partner_api)]) -> Principal:
    """A partner; with a session cookie the ``X-CSRF-Token`` header must match the session."""
    if principal.via == "session" and not _csrf_ok(principal.csrf_token, request.headers.get(CSRF_HEADER)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Missing or wrong CSRF token.")
    return principal


PageUser = Annotated[Principal, Depends(page_principal)]
AnyPageUser = Annotated[Principal, Depends(any_page_principal)]
PartnerPage = Annotated[Principal, Depends(partner_page)]
PartnerForm = Annotated[Principal, Depends(partner_form)]
PartnerApi = Annotated[Principal, Depends(partner_api)]
PartnerApiWriter = Annotated[Principal, Depends(partner_api_writer)]
FormUser = Annotated[Principal, Depends(form_writer)]
CoordinatorPage = Annotated[Principal, Depends(page_coordinator)]


class LoginThrottle:
    """Per client: at most ``max_failures`` logins without a success in ``window`` seconds, then wait."""

    def __init__(self, max_failures: int = 10, window: float = 900, max_clients: int = 10_000) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_clients = max_clients
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(client, deque())
        while failures and failures[0] < now - self.window:
            failures.popleft()
        return failures

    def attempt(self, client: str, now: float | None = None) -> bool:
        """Count an attempt before its password is checked; ``False``: too many, wait.

        Counted up front so that simultaneous attempts cannot all pass the check."""
        moment = now or time.monotonic()
        failures = self._recent(client, moment)
        if len(failures) >= self.max_failures:
            return False
        failures.append(moment)
        self._failures.move_to_end(client)
        while len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)
        return True

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)


def login_throttle(request: Request) -> LoginThrottle:
    throttle = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        throttle = LoginThrottle()
        request.app.state.login_throttle = throttle
    return throttle
