"""Python client for the VisionReward annotation platform's REST API (see docs/client.md).

>>> from visionreward_client import Client
>>> vr = Client("http://127.0.0.1:8000", token="vrp_...")
>>> version, job = vr.export("demo")  # doctest: +SKIP
>>> vr.wait(job)  # doctest: +SKIP
>>> vr.download(version, "datasets/")  # doctest: +SKIP
"""

from ._version import API_VERSION, __version__, compatible
from .client import Client, dataset_name, resolve_project, verify_files
from .errors import (
    ApiError,
    AuthenticationError,
    ConfigError,
    Conflict,
    JobFailed,
    JobTimeout,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    TransportError,
    ValidationError,
    VRError,
)
from .models import DatasetVersion, Download, Job, PredictionIn, Project, User, WeightSet

__all__ = [
    "API_VERSION",
    "ApiError",
    "AuthenticationError",
    "Client",
    "ConfigError",
    "Conflict",
    "DatasetVersion",
    "Download",
    "Job",
    "JobFailed",
    "JobTimeout",
    "NotFound",
    "PermissionDenied",
    "PredictionIn",
    "Project",
    "RateLimited",
    "ServerError",
    "TransportError",
    "User",
    "VRError",
    "ValidationError",
    "WeightSet",
    "__version__",
    "compatible",
    "dataset_name",
    "resolve_project",
    "verify_files",
]
