"""HTTP connectors for public sources (KvK, CBS StatLine, PDOK) and their landing files.

No dagster or neo4j imports here: Dagster resources/sensors wrap these clients."""

from regionomie.connectors.cbs import (
    CbsODataClient,
    EmptySelection,
    region_filter,
    resolve_fields,
)
from regionomie.connectors.http import (
    AuthError,
    BadResponse,
    ConnectorError,
    ConnectorTimeout,
    NotFound,
    UpstreamError,
    make_session,
)
from regionomie.connectors.kvk import KvkClient, MissingApiKey, diff_registrations
from regionomie.connectors.pdok import PdokClient

__all__ = [
    "AuthError",
    "BadResponse",
    "CbsODataClient",
    "ConnectorError",
    "ConnectorTimeout",
    "EmptySelection",
    "KvkClient",
    "MissingApiKey",
    "NotFound",
    "PdokClient",
    "UpstreamError",
    "diff_registrations",
    "make_session",
    "region_filter",
    "resolve_fields",
]
