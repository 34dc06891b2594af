"""Dagster resources, chosen per environment in pipelines/definitions.py."""

from __future__ import annotations

from typing import Any

import dagster as dg
from neo4j import Driver, GraphDatabase
from pydantic import PrivateAttr


class Neo4jResource(dg.ConfigurableResource):
    """A Neo4j driver opened for one run and closed at its end (driver 6 never closes on GC)."""

    uri: str = "bolt://127.0.0.1:7687"
    user: str = "neo4j"
    password: str
    database: str | None = None

    _driver: Driver | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._driver = GraphDatabase.driver(self.uri, auth=(self.user, self.password))

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._driver is not None:
            self._driver.close()
            self._driver = None

    @property
    def driver(self) -> Driver:
        if self._driver is None:  # used outside a run (e.g. a sensor): open lazily
            self._driver = GraphDatabase.driver(self.uri, auth=(self.user, self.password))
        return self._driver

    def query(self, cypher: str, **parameters: Any) -> list[dict[str, Any]]:
        records, _, _ = self.driver.execute_query(
            cypher, parameters_=parameters, database_=self.database
        )
        return [r.data() for r in records]
