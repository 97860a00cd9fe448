"""The coordinators' side: login, the admin JSON API and the admin pages.

Everything here is reachable only from ``HUB_ADMIN_NETWORKS`` (when set) and only with a
session (pages) or a bearer token (API). Routes read directly and hand every change to a
service through the writer; they never commit.
"""

from hub.web.admin.api import router as api_router
from hub.web.admin.pages import router as pages_router

__all__ = ["api_router", "pages_router"]
