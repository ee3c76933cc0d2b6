"""A local CodeArtifact service: the API over real HTTP or in process, backed by SQLite.

It imports nothing from the rest of the reconciler; the reconciler uses it like any AWS endpoint.
"""

from reconciler.local.faults import Faults
from reconciler.local.inprocess import attach, local_client
from reconciler.local.server import BackgroundServer, LocalServer
from reconciler.local.service import LocalCodeArtifact

__all__ = ["BackgroundServer", "Faults", "LocalCodeArtifact", "LocalServer", "attach", "local_client"]
