"""Personal data and Neo4j: the restricted store, for operators with a lawful basis, kept apart
from the analysts' default graph; and removing from the default graph any node still keyed by
a personal number.

Why apart: Neo4j Community has no per-label access control, so a label in the default graph
would be readable by every analyst. The restricted store is another database (Neo4j
Enterprise, with a user only it grants) or another server, reached with its own credentials
(REGIONOMIE_RESTRICTED_NEO4J_URI, _USER, _PASSWORD, _DATABASE). Unset: personal fields are
kept in no graph at all. Its nodes (model.yaml: the labels marked `restricted`) are keyed by
the same pseudonym as the default graph's Establishment and Organisation nodes, so an operator
can look a pseudonym up; the default graph never holds the way back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from neo4j import Driver

from regionomie.domain.privacy import SoleProprietorShield
from regionomie.graph import loader
from regionomie.graph.model import MODEL, GraphModel
from regionomie.graph.personal import restricted_frames

SOURCE = "restricted"


@dataclass(frozen=True)
class StoreAddress:
    """Where a graph lives and who connects (no password: it is never compared or shown)."""

    uri: str
    user: str
    database: str | None


class RestrictedStoreError(ValueError):
    """The restricted store is configured so that analysts could read it; one line."""


def check_separate(restricted: StoreAddress, default: StoreAddress) -> None:
    """The restricted store must not be the analysts' graph: another server, or on the same
    server another database reached by another user."""
    if restricted.uri.rstrip("/") != default.uri.rstrip("/"):
        return
    if (restricted.database or "neo4j") == (default.database or "neo4j"):
        raise RestrictedStoreError(
            "REGIONOMIE_RESTRICTED_NEO4J_URI points at the default graph's database: personal "
            "fields would be readable by every analyst (use another server, or another "
            "database with REGIONOMIE_RESTRICTED_NEO4J_DATABASE and its own user)"
        )
    if restricted.user == default.user:
        raise RestrictedStoreError(
            "the restricted store uses the default graph's user: give it its own credentials "
            "(REGIONOMIE_RESTRICTED_NEO4J_USER / _PASSWORD)"
        )


def ensure_schema(driver: Driver, database: str | None = None, model: GraphModel = MODEL) -> None:
    """A unique key per restricted label (idempotent; labels and keys from model.yaml)."""
    for spec in model.nodes.values():
        if spec.restricted:
            name = f"{spec.label.lower()}_{spec.key.lower()}"
            driver.execute_query(
                f"CREATE CONSTRAINT {name} IF NOT EXISTS "
                f"FOR (n:`{spec.label}`) REQUIRE n.`{spec.key}` IS UNIQUE",
                database_=database,
            )


def load_personal_fields(
    driver: Driver,
    establishments: pd.DataFrame,
    organisations: pd.DataFrame | None,
    shield: SoleProprietorShield,
    *,
    run_id: str,
    database: str | None = None,
    as_of: str | None = None,
) -> dict[str, Any]:
    """Write the personal fields of the register's sole proprietors to the restricted store;
    an actor no longer personal or gone from the register is deleted there (nothing personal
    is kept longer than the register holds it)."""
    ensure_schema(driver, database)
    frames = restricted_frames(establishments, organisations, shield)
    counts = loader.load_frames(
        driver,
        frames,
        run_id=run_id,
        source=SOURCE,
        database=database,
        as_of=as_of,
        restricted=True,
    )
    deleted = 0
    for label, frame in frames.nodes.items():  # the labels whose table was given
        spec = MODEL.node(label)
        keep = frame["key"].tolist()
        records, _, _ = driver.execute_query(
            f"MATCH (n:`{label}`) WHERE NOT n.`{spec.key}` IN $keep "
            "DETACH DELETE n RETURN count(*) AS n",
            keep=keep,
            database_=database,
        )
        deleted += records[0]["n"]
    counts["deleted"] = deleted
    return counts


def forget_raw_personal_nodes(
    driver: Driver,
    shield: SoleProprietorShield,
    database: str | None = None,
    batch_size: int = 10_000,
) -> int:
    """Delete default-graph Establishment and Organisation nodes still keyed by a number that
    is personal now (loaded when its legal form was not, e.g. before a rule change): the
    load just created them under their pseudonym. Returns how many went."""
    ids = sorted(shield.personal_ids)
    deleted = 0
    for label, key in (("Establishment", "vestigingsnummer"), ("Organisation", "kvkNummer")):
        spec = MODEL.node(label)
        assert spec.key == key  # the query below is written for these keys
        for lo in range(0, len(ids), batch_size):
            records, _, _ = driver.execute_query(
                f"MATCH (n:`{label}`) WHERE n.`{key}` IN $ids DETACH DELETE n RETURN count(*) AS n",
                ids=ids[lo : lo + batch_size],
                database_=database,
            )
            deleted += records[0]["n"]
    return deleted
