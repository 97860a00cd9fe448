"""Use cases. The only code that reads and writes the database, and the outbox with it.

Inside the services, functions take the writer's session (see ``hub.db.Writer``) and a
:class:`HubContext`; the mesh handler and the sync link call the same functions. Outside them
(``hub.web``, ``hub.mesh``, ``hub.sync``, ``hub.jobs``), callers name a use case that owns its
session and give it the hub's :class:`~hub.services.store.Store` (``submissions``, ``overview``,
``mesh_traffic``, ``received``, ``scheduled``) or the running hub (the admin:
``await tasks.assign_task(hub, task_id, volunteer_id, actor=...)``, ``admin_lists.needs(hub)``,
built with ``hub.services.door``). They answer with plain values (dataclasses, the public schemas,
``hub.services.record_views``, domain types), never with table rows.
"""

from hub.services.context import HubContext

__all__ = ["HubContext"]
