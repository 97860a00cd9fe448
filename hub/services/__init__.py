"""Use cases. The only code that writes the database, and the outbox with it.

Every function of a session takes the writer's session (see ``hub.db.Writer``) and a
:class:`HubContext`; the mesh handler and the sync link call the same functions.

Callers outside the services (today the admin pages and API) name a use case instead and
give it the running hub: ``await tasks.assign_task(hub, task_id, volunteer_id, actor=...)``,
``admin_lists.needs(hub)``. The use case opens its own session or hands its work to the
writer (``hub.services.door``) and gives back plain values (``hub.services.record_views``).
"""

from hub.services.context import HubContext

__all__ = ["HubContext"]
