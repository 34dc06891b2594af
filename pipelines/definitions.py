"""The composition root: the one place that builds the Dagster Definitions.

Resources are chosen per environment (REGIONOMIE_ENV = local | production); secrets come
from the environment (dagster dev loads the git-ignored .env) through dg.EnvVar.
"""

import os

import dagster as dg

from assets.graph import graph_assets
from assets.ingest import landing_assets, table_assets, waste_party_links
from assets.opportunities import OPPORTUNITY_IO_MANAGER, opportunity_assets
from assets.reference import reference_assets
from assets.resources import (
    Neo4jResource,
    OpportunityResultIOManager,
    RestrictedNeo4jResource,
    TableIOManager,
    landing_zone_for,
)
from pipelines.jobs import all_jobs, ingest_jobs
from pipelines.schedules import all_schedules
from pipelines.sensors import (
    kvk_polling_sensor,
    make_landing_sensor,
    run_failure_alert,
)
from regionomie.domain.sources import SOURCES
from regionomie.fileio import apply_umask
from regionomie.graph.restricted import StoreAddress, check_separate
from regionomie.settings import (
    ENVIRONMENTS,
    environment,
    neo4j_uri,
    production_problems,
    restricted_store,
)

# Webserver, daemon and run workers all import this module: everything they write (Dagster's
# storage and logs, staging, quarantine, exports) is owner-only by default.
apply_umask()


def resources_for(environment: str) -> dict[str, object]:
    """`local`: the project's own Neo4j and data/landing. `production`: the same code against
    an external Neo4j, a shared landing folder, webhook alerts and Postgres-backed Dagster
    storage; a missing piece stops the code location with one line naming every one."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"REGIONOMIE_ENV={environment!r}: use one of {', '.join(ENVIRONMENTS)}")
    if environment == "production":
        problems = production_problems()
        if problems:
            # one line (settings.environment_refusal); the CLI prints it without a traceback
            raise ValueError("REGIONOMIE_ENV=production needs: " + "; ".join(problems))
    neo4j = Neo4jResource(
        uri=neo4j_uri(),
        user=os.environ.get("NEO4J_USER", "neo4j"),
        password=dg.EnvVar("NEO4J_PASSWORD"),
        database=os.environ.get("NEO4J_DATABASE") or None,
    )
    landing = landing_zone_for(os.environ.get("REGIONOMIE_LANDING_DIR", ""))
    # What passes between steps: under REGIONOMIE_IO_URL (object storage through fsspec for
    # steps on several machines), by default Dagster's storage directory on this machine.
    io_url = os.environ.get("REGIONOMIE_IO_URL", "")
    return {
        "neo4j": neo4j,
        "restricted_neo4j": restricted_store_resource(neo4j),
        "landing_zone": landing,
        "io_manager": TableIOManager(base_url=io_url),
        OPPORTUNITY_IO_MANAGER: OpportunityResultIOManager(base_dir=io_url or None),
    }


def step_executor() -> dg.ExecutorDefinition:
    """Runs launched through the instance (backfills, schedules, sensors, the UI) execute
    their steps in processes, at most REGIONOMIE_MAX_CONCURRENT (2: this machine's cores) at
    a time; `regionomie run` executes in process and is not affected."""
    limit = int(os.environ.get("REGIONOMIE_MAX_CONCURRENT", "2"))
    return dg.multiprocess_executor.configured({"max_concurrent": limit})


def restricted_store_resource(default: Neo4jResource) -> RestrictedNeo4jResource:
    """The restricted store when REGIONOMIE_RESTRICTED_NEO4J_URI is set, checked to be
    neither the analysts' database nor reached as their user; a disabled one otherwise."""
    store = restricted_store()
    if store is None:
        return RestrictedNeo4jResource(enabled=False)
    uri, user, _, database = store
    check_separate(
        StoreAddress(uri, user, database), StoreAddress(default.uri, default.user, default.database)
    )
    return RestrictedNeo4jResource(
        enabled=True,
        uri=uri,
        user=user,
        password=dg.EnvVar("REGIONOMIE_RESTRICTED_NEO4J_PASSWORD"),
        database=database,
    )


def build_definitions() -> dg.Definitions:
    all_assets = [
        *landing_assets,
        *table_assets,
        waste_party_links,
        *reference_assets,
        *graph_assets,
        *opportunity_assets,
    ]
    sensors = [make_landing_sensor(source, ingest_jobs[source]) for source in SOURCES]
    sensors += [kvk_polling_sensor, run_failure_alert]
    return dg.Definitions(
        assets=all_assets,
        asset_checks=[],
        jobs=all_jobs,
        schedules=all_schedules,
        sensors=sensors,
        resources=resources_for(environment()),
        executor=step_executor(),
    )


defs = build_definitions()
