"""Dagster resources, chosen per environment in pipelines/definitions.py."""

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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
    # How long the driver keeps retrying a transaction that failed on a transient error
    # (deadlock, lock timeout) before the step fails and Dagster's retry policy takes over.
    max_transaction_retry_seconds: float = 120.0

    _driver: Driver | None = PrivateAttr(default=None)

    def _open(self) -> Driver:
        # Server notifications (e.g. "relationship type does not exist yet" on a first load)
        # are expected here and would only flood the run logs.
        from regionomie.graph.retries import install_retry_counter

        install_retry_counter()
        return GraphDatabase.driver(
            self.uri,
            auth=(self.user, self.password),
            notifications_min_severity="OFF",
            max_transaction_retry_time=self.max_transaction_retry_seconds,
        )

    def retries_seen(self) -> int:
        """Writes retried after a transient error in this process so far."""
        from regionomie.graph.retries import install_retry_counter

        return install_retry_counter().count

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
    bucket replaces the local folder without touching them (UrlLandingZone)."""

    settle_seconds: float = 10.0

    def list_files(self, source: str) -> list[LandedFile]:
        raise NotImplementedError

    def local_path(self, source: str, name: str) -> Path:
        raise NotImplementedError

    def content_hash(self, path: str) -> str:
        """sha256 of a landed file (what the sensor's cursor remembers)."""
        raise NotImplementedError

    @contextmanager
    def local_copy(self, path: str) -> Iterator[Path]:
        """The file as a local path for the parsers, for as long as the block runs."""
        yield Path(path)

    def discard(self, path: str, source: str) -> None:
        """Take a landed (or quarantined) file out of the landing zone."""
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
            if not (path.is_symlink() or path.is_file()) or _skipped_name(path.name):
                continue
            stat = path.lstat()
            files.append(LandedFile(path=str(path), size=stat.st_size, mtime=stat.st_mtime))
        return files

    def local_path(self, source: str, name: str) -> Path:
        return self.folder(source) / name

    def content_hash(self, path: str) -> str:
        """A symlink is never followed (its target could be any private file, or endless):
        it is identified by where it points."""
        digest = hashlib.sha256()
        entry = Path(path)
        if entry.is_symlink():
            digest.update(b"symlink:" + os.fsencode(os.readlink(entry)))
            return digest.hexdigest()
        with entry.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def discard(self, path: str, source: str) -> None:
        # the folder holding the entry, never the target of a symlink
        folder = Path(os.path.abspath(path)).parent.resolve()
        if folder == self.local_path(source, Path(path).name).parent.resolve():
            Path(path).unlink(missing_ok=True)


class UrlLandingZone(LandingZone):
    """A landing zone in object storage or any fsspec filesystem (s3://bucket/landing,
    gs://..., az://..., sftp://...): REGIONOMIE_LANDING_DIR as a URL. Files are listed and
    hashed where they are, copied to a local scratch folder under their own name for the
    parsers, and removed from the bucket once landed (the archive keeps a copy)."""

    root: str

    def _folder(self, source: str):
        from upath import UPath

        return UPath(self.root) / source

    def list_files(self, source: str) -> list[LandedFile]:
        folder = self._folder(source)
        if not folder.exists():
            return []
        files = []
        for info in sorted(folder.fs.ls(folder.path, detail=True), key=lambda i: i["name"]):
            name = str(info["name"]).rstrip("/").rsplit("/", 1)[-1]
            if info.get("type") != "file" or _skipped_name(name):
                continue
            files.append(
                LandedFile(
                    path=str(folder / name),
                    size=int(info.get("size") or 0),
                    mtime=_mtime(info),
                )
            )
        return files

    def local_path(self, source: str, name: str) -> Path:
        raise NotImplementedError("a URL landing zone has no local path; use local_copy")

    def content_hash(self, path: str) -> str:
        from upath import UPath

        digest = hashlib.sha256()
        with UPath(path).open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()

    @contextmanager
    def local_copy(self, path: str) -> Iterator[Path]:
        from upath import UPath

        remote = UPath(path)
        with tempfile.TemporaryDirectory(prefix="regionomie-landing-") as scratch:
            local = Path(scratch) / remote.name  # the name carries the retrieval stamp
            remote.fs.get(remote.path, str(local))
            yield local

    def discard(self, path: str, source: str) -> None:
        from upath import UPath

        remote = UPath(path)
        if remote.exists() and str(remote.parent).rstrip("/") == str(self._folder(source)):
            remote.unlink()


def landing_zone_for(root: str) -> LandingZone:
    """REGIONOMIE_LANDING_DIR: a URL with a scheme (other than file://) is object storage."""
    if "://" in root and not root.startswith("file://"):
        return UrlLandingZone(root=root)
    return LocalLandingZone(root=root.removeprefix("file://"))


def _skipped_name(name: str) -> bool:
    """Hidden files and files still being written (.tmp/.part/.partial) are not landed."""
    return name.startswith((".", "~")) or Path(name).suffix in (".tmp", ".part", ".partial")


def _mtime(info: dict[str, Any]) -> float:
    value = info.get("mtime") or info.get("LastModified") or info.get("last_modified")
    if value is None:
        created = info.get("created")
        return float(created) if isinstance(created, int | float) else 0.0
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    return float(value)


def storage_root(base_url: str | None, instance: dg.DagsterInstance | None, leaf: str):
    """Where step outputs live: a URL (s3://bucket/prefix, gs://..., az://..., file:///...,
    or a plain path) when configured (REGIONOMIE_IO_URL), else Dagster's storage directory.
    Object storage goes through fsspec (universal-pathlib), so steps on other machines read
    what a step wrote; the local default is for one machine."""
    from upath import UPath

    if base_url:
        return UPath(base_url) / leaf
    if instance is None:
        raise ValueError("an IO manager outside a Dagster run needs REGIONOMIE_IO_URL")
    return UPath(instance.storage_directory()) / leaf


def _is_local(path) -> bool:
    return getattr(path, "protocol", "") in ("", "file", "local")


# Tables a region step reads only in part: the rows of the region's municipalities and of
# the municipalities around it (receivers within transport reach), not the whole country.
REGION_SCOPED_COLUMNS = {"establishments": "municipality_code"}
ROW_GROUP_ROWS = 50_000


class TableIOManager(dg.ConfigurableIOManagerFactory):
    """Hands tables from step to step as Parquet files under a URL (pickle for anything
    that is not a DataFrame). A region step (a partitioned run) reads a national table only
    for its region and surroundings: the file is sorted by municipality, so Parquet's row
    groups let it skip the rest of the country."""

    base_url: str = ""

    def create_io_manager(self, context: dg.InitResourceContext) -> "_TableStore":
        return _TableStore(storage_root(self.base_url, context.instance, "tables"))


class _TableStore(dg.IOManager):
    def __init__(self, root) -> None:
        self.root = root

    def _path(self, context: dg.OutputContext | dg.InputContext, suffix: str):
        key = context.asset_key if context.has_asset_key else None
        parts = key.path if key is not None else [context.step_key, context.name]
        return self.root.joinpath(*parts, f"{_partition_of(context)}{suffix}")

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        import pickle

        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        if obj is None:
            return
        table = None
        if isinstance(obj, pd.DataFrame):
            path = self._path(context, ".parquet")
            column = REGION_SCOPED_COLUMNS.get(path.parent.name)
            frame = obj
            if column in obj.columns:
                frame = obj.sort_values(column, kind="stable")  # row groups per municipality
            try:
                table = pa.Table.from_pandas(frame, preserve_index=not _plain_index(frame))
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
                table = None  # a column Arrow cannot type (mixed objects): pickle it
        if isinstance(obj, pd.DataFrame) and table is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as handle:
                pq.write_table(table, handle, row_group_size=ROW_GROUP_ROWS)
            self._remove(context, ".pkl")
        else:
            path = self._path(context, ".pkl")
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as handle:
                pickle.dump(obj, handle, protocol=pickle.HIGHEST_PROTOCOL)
            self._remove(context, ".parquet")
        context.add_output_metadata({"stored_at": dg.MetadataValue.path(str(path))})

    def _remove(self, context: dg.OutputContext, suffix: str) -> None:
        stale = self._path(context, suffix)
        if stale.exists():
            stale.unlink()

    def load_input(self, context: dg.InputContext) -> Any:
        import pickle

        import pyarrow.parquet as pq

        path = self._path(context.upstream_output, ".parquet")
        if not path.exists():
            pickled = self._path(context.upstream_output, ".pkl")
            if not pickled.exists():
                upstream = context.upstream_output
                name = (
                    upstream.asset_key.to_user_string()
                    if upstream.has_asset_key
                    else f"{upstream.step_key}.{upstream.name}"
                )
                raise FileNotFoundError(f"{path}: nothing stored for {name}; materialise it first")
            with pickled.open("rb") as handle:
                return pickle.load(handle)
        column = REGION_SCOPED_COLUMNS.get(path.parent.name)
        codes = _region_scope(context) if column else None
        with path.open("rb") as handle:
            if codes is not None and _untyped(pq.read_schema(handle), column):
                codes = None  # an empty table (open-data mode): nothing to filter, no types
            handle.seek(0)
            table = pq.read_table(
                handle, filters=[(column, "in", sorted(codes))] if codes is not None else None
            )
        frame = _as_written(table)
        if codes is not None:
            context.add_input_metadata({"rows_read": len(frame), "municipalities_read": len(codes)})
        return frame


def _untyped(schema: Any, column: str) -> bool:
    """Whether a stored column has no type Arrow can compare codes with: an all-empty object
    column is Arrow's `null` (no establishments at all, as in open-data mode)."""
    import pyarrow as pa

    index = schema.get_field_index(column)
    return index < 0 or pa.types.is_null(schema.field(index).type)


def _partition_of(context: dg.OutputContext | dg.InputContext) -> str:
    """The asset's own partition, "_" for an unpartitioned asset (also inside a partitioned
    run, where Dagster's contexts report the run's partition for it)."""
    try:
        partitions_def = context.asset_partitions_def
    except Exception:  # an output that is not an asset
        partitions_def = None
    if partitions_def is None or not context.has_asset_partitions:
        return "_"
    return context.asset_partition_key


def _as_written(table) -> Any:
    """The DataFrame as it was handed over: Arrow gives text columns back as pandas' string
    dtype with NaN; the columns that were Python objects become objects with None again, so
    a step sees the same frame whether its input came through memory or through the store."""
    frame = table.to_pandas()
    for column in (table.schema.pandas_metadata or {}).get("columns", []):
        name = column.get("name")
        if column.get("numpy_type") == "object" and name in frame.columns:
            if str(frame[name].dtype) != "object":
                values = frame[name].astype(object)
                frame[name] = values.where(values.notna(), None)
    return frame


def _plain_index(frame) -> bool:
    import pandas as pd

    index = frame.index
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _region_scope(context: dg.InputContext) -> set[str] | None:
    """The municipalities a region step needs: its own and those within transport reach
    (None outside a region run: the whole table)."""
    if not context.has_partition_key:
        return None
    from assets.partitions import REGIONS
    from regionomie.domain import reference
    from regionomie.domain.regions import surrounding_municipalities

    region = REGIONS.get(context.partition_key)
    if region is None:
        return None
    return surrounding_municipalities(region, reference.load_municipalities())


class OpportunityResultIOManager(dg.ConfigurableIOManagerFactory):
    """Stores regional_opportunities as Parquet frames (regionomie.domain.opportunities.store)
    instead of one pickle: at 60,000 establishments that pickle cost ~7 s and +1.6 GB of
    memory. Folder: <base>/opportunity_results/<asset key>/<partition>/, base a URL
    (REGIONOMIE_IO_URL; object storage through fsspec) or by default Dagster's storage
    directory (beside the default IO manager's pickles)."""

    base_dir: str | None = None  # a URL or a path; None: Dagster's storage directory

    def create_io_manager(self, context: dg.InitResourceContext) -> "_OpportunityResultStore":
        if not self.base_dir and context.instance is None:
            raise ValueError("OpportunityResultIOManager needs base_dir outside a Dagster run")
        return _OpportunityResultStore(
            storage_root(self.base_dir, context.instance, "opportunity_results")
        )


class _OpportunityResultStore(dg.IOManager):
    """Writes through to the store; in one process (regionomie run, the in-process executor)
    the exports read the result just stored from memory instead of reading it back, the way
    `regionomie opportunities` hands it on. Another process (a step worker, a later run, a
    worker on another machine) always reads the store. A remote store is written from and
    read into a local scratch folder (the frames are Parquet files either way)."""

    def __init__(self, root) -> None:
        self.root = root
        self._last: tuple[str, Any] | None = None

    def _folder(self, context: dg.OutputContext | dg.InputContext):
        return self.root.joinpath(*context.asset_key.path, _partition_of(context))

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        from regionomie.domain.opportunities.store import save_result

        self._last = None
        folder = self._folder(context)
        if _is_local(folder):
            save_result(obj, Path(folder.path))
        else:
            import tempfile

            with tempfile.TemporaryDirectory(prefix="regionomie-result-") as scratch:
                local = save_result(obj, Path(scratch) / "result")
                if folder.exists():
                    folder.fs.rm(folder.path, recursive=True)
                folder.fs.put(str(local), folder.path, recursive=True)
        self._last = (str(folder), obj)
        context.add_output_metadata({"stored_at": dg.MetadataValue.path(str(folder))})

    def load_input(self, context: dg.InputContext) -> Any:
        from regionomie.domain.opportunities.store import load_result
        from regionomie.memory import give_back_free_memory

        folder = self._folder(context)
        if self._last is not None and self._last[0] == str(folder):
            return self._last[1]
        give_back_free_memory()  # what the previous step freed, before reading a copy in
        if _is_local(folder):
            return load_result(Path(folder.path))
        import tempfile

        with tempfile.TemporaryDirectory(prefix="regionomie-result-") as scratch:
            folder.fs.get(folder.path, scratch + "/result", recursive=True)
            return load_result(Path(scratch) / "result")
