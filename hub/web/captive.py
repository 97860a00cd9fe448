"""Captive-portal detection: every platform's probe is sent to the portal.

A phone that joins the hub's Wi-Fi asks a known URL; any answer other than the expected one
makes it open a login sheet, which shows our portal. Newer phones ask the RFC 8908 API,
whose URL the DHCP server announces (option 114).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from hub.web.deps import HubDep

PROBE_PATHS = (
    "/generate_204",
    "/gen_204",
    "/hotspot-detect.html",
    "/library/test/success.html",
    "/connecttest.txt",
    "/ncsi.txt",
    "/redirect",
    "/canonical.html",
    "/success.txt",
)

router = APIRouter(tags=["captive"], include_in_schema=False)


def portal_url(request: Request, hub: HubDep) -> str:
    return hub.settings.portal_url or str(request.base_url)


async def probe(request: Request, hub: HubDep) -> Response:
    if not hub.settings.captive:
        return Response(status_code=404)
    # 302 to the portal: Android wanted 204, Apple "Success", Windows "Microsoft ...": none of those.
    return RedirectResponse(portal_url(request, hub), status_code=302, headers={"Cache-Control": "no-store"})


for _path in PROBE_PATHS:
    router.add_api_route(_path, probe, methods=["GET", "HEAD"])


@router.get("/captive-portal/api")
async def captive_api(request: Request, hub: HubDep) -> Response:
    """RFC 8908: the network says it is captive and where its portal is."""
    return JSONResponse(
        {"captive": hub.settings.captive, "user-portal-url": portal_url(request, hub)},
        media_type="application/captive+json",
        headers={"Cache-Control": "private, no-store"},
    )
