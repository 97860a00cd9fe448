"""The coordinators' side: login, the admin JSON API and the admin pages.

Everything here is reachable only from ``HUB_ADMIN_NETWORKS`` (when set) and only with a
session (pages) or a bearer token (API). Routes call named use cases of ``hub.services``
(``admin_lists.needs(hub)``, ``await tasks.assign_task(hub, ...)``): the services open the read
session or hand the change to the writer. Nothing here imports a table model or ``hub.db``
(the ``admin-no-storage`` contract in pyproject.toml).
"""

from hub.web.admin.api import router as api_router
from hub.web.admin.pages import router as pages_router
from hub.web.admin.partners import api as partner_api_router

__all__ = ["api_router", "pages_router", "partner_api_router"]
