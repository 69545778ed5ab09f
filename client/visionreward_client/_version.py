"""The client's version and the API version it speaks.

Rule: a client ``MAJOR.MINOR.PATCH`` works with a server whose API version (its OpenAPI schema's
``info.version``, ``GET /api/schema/``) has the same ``MAJOR.MINOR``; ``PATCH`` counts the
client's own fixes. :meth:`visionreward_client.Client.check_compatible` applies it.
"""

__version__ = "0.1.0"
API_VERSION = "0.1"  # the MAJOR.MINOR of the server API this client was written against


def compatible(server_api_version: str) -> bool:
    """Whether a server reporting ``server_api_version`` (e.g. ``"0.1.0"``) speaks this client's API."""
    return ".".join(server_api_version.strip().split(".")[:2]) == API_VERSION
