"""Cookie names the app needs before the admin routers are built (``hub.web.deferred``)."""

SESSION_COOKIE = "bb_admin"  # the coordinator's session
