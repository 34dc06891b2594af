"""Dagster resources, chosen per environment in pipelines/definitions.py."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
from neo4j import Driver, GraphDatabase
from pydantic import PrivateAttr

from regionomie.paths import landing_dir


@dataclass(frozen=True)
class LandedFile:
    path: str
    size: int
    mtime: float


class Neo4jResource(dg.ConfigurableResource):
    """A Neo4j driver opened for one run and closed at its end (driver 6 never closes on GC)."""

    uri: str = "bolt://127.0.0.1:7687"
    user: str = "neo4j"
    password: str
    database: str | None = None

    _driver: Driver | None = PrivateAttr(default=None)

    def _open(self) -> Driver:
        # Server notifications (e.g. "relationship type does not exist yet" on a first load)
        # are expected here and would only flood the run logs.
        return GraphDatabase.driver(
            self.uri, auth=(self.user, self.password), notifications_min_severity="OFF"
        )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._driver = self._open()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._driver is not None:
            self._driver.close()
            self._driver = None

    @property
    def driver(self) -> Driver:
        if self._driver is None:  # used outside a run (e.g. a sensor): open lazily
            self._driver = self._open()
        return self._driver

    def query(self, cypher: str, **parameters: Any) -> list[dict[str, Any]]:
        records, _, _ = self.driver.execute_query(
            cypher, parameters_=parameters, database_=self.database
        )
        return [r.data() for r in records]


class RestrictedNeo4jResource(Neo4jResource):
    """The restricted store for sole proprietors' personal fields (regionomie.graph.
    restricted): another database or server with its own credentials. Disabled when
    REGIONOMIE_RESTRICTED_NEO4J_URI is not set: personal fields are then kept in no graph."""

    enabled: bool = False
    password: str = ""


class LandingZone(dg.ConfigurableResource):
    """Where source files arrive. Sensors and assets only talk to this interface, so a cloud
    bucket can replace the local folder later without touching them."""

    settle_seconds: float = 10.0

    def list_files(self, source: str) -> list[LandedFile]:
        raise NotImplementedError

    def local_path(self, source: str, name: str) -> Path:
        raise NotImplementedError


class LocalLandingZone(LandingZone):
    """data/landing/<source>/ on the local filesystem (REGIONOMIE_LANDING_DIR overrides)."""

    root: str = ""

    def folder(self, source: str) -> Path:
        return Path(self.root or landing_dir()) / source

    def list_files(self, source: str) -> list[LandedFile]:
        folder = self.folder(source)
        if not folder.exists():
            return []
        files = []
        for path in sorted(folder.iterdir()):
            # symlinks are listed (never followed) so the landing run refuses and reports them
            if (
                not (path.is_symlink() or path.is_file())
                or path.name.startswith((".", "~"))
                or path.suffix
                in (
                    ".tmp",
                    ".part",
                    ".partial",
                )
            ):
                continue
            stat = path.lstat()
            files.append(LandedFile(path=str(path), size=stat.st_size, mtime=stat.st_mtime))
        return files

    def local_path(self, source: str, name: str) -> Path:
        return self.folder(source) / name


class OpportunityResultIOManager(dg.ConfigurableIOManagerFactory):
    """Stores regional_opportunities as Parquet frames (regionomie.domain.opportunities.store)
    instead of one pickle: at 60,000 establishments that pickle cost ~7 s and +1.6 GB of
    memory. Folder: <base_dir>/opportunity_results/<asset key>/<partition>/, base_dir by
    default Dagster's storage directory (beside the default IO manager's pickles)."""

    base_dir: str | None = None

    def create_io_manager(self, context: dg.InitResourceContext) -> "_OpportunityResultStore":
        if self.base_dir:
            base = self.base_dir
        elif context.instance is not None:
            base = context.instance.storage_directory()
        else:
            raise ValueError("OpportunityResultIOManager needs base_dir outside a Dagster run")
        return _OpportunityResultStore(Path(base) / "opportunity_results")


class _OpportunityResultStore(dg.IOManager):
    """Writes through to disk; in one process (regionomie run, the in-process executor) the
    exports read the result just stored from memory instead of reading it back, the way
    `regionomie opportunities` hands it on. Another process (a step worker, a later run)
    always reads the folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._last: tuple[Path, Any] | None = None

    def _folder(self, context: dg.OutputContext | dg.InputContext) -> Path:
        partition = context.asset_partition_key if context.has_asset_partitions else "_"
        return self.root.joinpath(*context.asset_key.path, partition)

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        from regionomie.domain.opportunities.store import save_result

        self._last = None
        folder = save_result(obj, self._folder(context))
        self._last = (folder, obj)
        context.add_output_metadata({"stored_at": dg.MetadataValue.path(str(folder))})

    def load_input(self, context: dg.InputContext) -> Any:
        from regionomie.domain.opportunities.store import load_result
        from regionomie.memory import give_back_free_memory

        folder = self._folder(context)
        if self._last is not None and self._last[0] == folder:
            return self._last[1]
        give_back_free_memory()  # what the previous step freed, before reading a copy in
        return load_result(folder)
