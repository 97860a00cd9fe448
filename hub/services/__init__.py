"""Use cases. The only code that reads and writes the database, and the outbox with it.

Inside the services, functions take the writer's session (see ``hub.db.Writer``) and a
:class:`HubContext`. Outside them (``hub.web``, ``hub.mesh``, ``hub.sync``, ``hub.jobs``), callers
use the named use cases that own their session and take the hub's
:class:`~hub.services.store.Store`: ``submissions``, ``overview``, ``mesh_traffic``, ``received``
and ``scheduled``. They answer with plain values (dataclasses, the public schemas, domain types),
never with table rows.
"""

from hub.services.context import HubContext

__all__ = ["HubContext"]
