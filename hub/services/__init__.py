"""Use cases. The only code that writes the database, and the outbox with it.

Every function takes the writer's session (see ``hub.db.Writer``) and a :class:`HubContext`;
web routes, the mesh handler and the sync link call the same functions.
"""

from hub.services.context import HubContext

__all__ = ["HubContext"]
