"""What passes between steps goes through IO managers that take a URL (a local path by
default, object storage through fsspec): tables as Parquet, read by a region step only for
the region and its surroundings; the opportunity result as Parquet frames. Exercised with
Dagster's own contexts, on a local folder given as a URL and on fsspec's in-memory store."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from assets.partitions import region_partitions
from assets.resources import TableIOManager
from regionomie.domain import reference
from regionomie.domain.regions import get_region, surrounding_municipalities


def _table() -> pd.DataFrame:
    municipalities = reference.load_municipalities()["municipality_code"]
    rows = len(municipalities) * 3
    return pd.DataFrame(
        {
            "vestigingsnummer": [f"{i:012d}" for i in range(rows)],
            "municipality_code": list(municipalities) * 3,
            "employees": [float(i % 7) if i % 5 else None for i in range(rows)],
            # parsers hand over text as Python objects with None, not pandas' string dtype
            "end_date": pd.Series(
                [None if i % 4 else "2024-01-01" for i in range(rows)], dtype=object
            ),
        }
    ).sample(frac=1.0, random_state=3)  # unsorted, as a parser hands it over


def _contexts(partition: str | None):
    key = dg.AssetKey("establishments")
    output = dg.build_output_context(asset_key=key)
    if partition is None:
        return output, dg.build_input_context(asset_key=key, upstream_output=output)
    return output, dg.build_input_context(
        asset_key=key,
        upstream_output=output,
        partition_key=partition,
        asset_partitions_def=region_partitions,
    )


@pytest.mark.parametrize("kind", ["file-url", "memory"])
def test_tables_round_trip_and_region_steps_read_their_surroundings(tmp_path: Path, kind: str):
    url = f"file://{tmp_path}/io" if kind == "file-url" else f"memory://regionomie-{tmp_path.name}"
    manager = TableIOManager(base_url=url).create_io_manager(dg.build_init_resource_context())
    frame = _table()
    output, whole = _contexts(None)
    manager.handle_output(output, frame)
    if kind == "file-url":
        assert (tmp_path / "io" / "tables" / "establishments" / "_.parquet").is_file()
    back = manager.load_input(whole)
    expected = frame.sort_values("municipality_code", kind="stable")
    pd.testing.assert_frame_equal(back, expected, check_exact=True)
    assert back["end_date"].dtype == object and back["end_date"].isna().sum() > 0
    assert all(v is None or isinstance(v, str) for v in back["end_date"])

    _, scoped = _contexts("corop-delfzijl-en-omgeving")
    part = manager.load_input(scoped)
    region = get_region("corop-delfzijl-en-omgeving")
    around = surrounding_municipalities(region, reference.load_municipalities())
    assert set(part["municipality_code"]) == around
    assert set(region.municipality_codes) < around and len(around) < 342
    assert len(part) == 3 * len(around)


def test_a_region_step_reads_an_empty_establishments_table(tmp_path: Path):
    """Open-data mode has no establishments at all: the stored table has untyped (null)
    columns, and a region step still gets it back, empty, instead of an Arrow type error."""
    manager = TableIOManager(base_url=str(tmp_path)).create_io_manager(
        dg.build_init_resource_context()
    )
    empty = pd.DataFrame(
        {c: pd.Series([], dtype=object) for c in ("vestigingsnummer", "municipality_code")}
    )
    output, scoped = _contexts("regio-amersfoort")
    manager.handle_output(output, empty)
    back = manager.load_input(scoped)
    assert len(back) == 0 and list(back.columns) == list(empty.columns)


def test_objects_that_are_not_tables_are_pickled(tmp_path: Path):
    manager = TableIOManager(base_url=str(tmp_path)).create_io_manager(
        dg.build_init_resource_context()
    )
    key = dg.AssetKey("knowledge")
    output = dg.build_output_context(asset_key=key)
    manager.handle_output(output, {"a": [1, 2]})
    assert manager.load_input(dg.build_input_context(asset_key=key, upstream_output=output)) == {
        "a": [1, 2]
    }
    missing = dg.build_output_context(asset_key=dg.AssetKey("never_written"))
    with pytest.raises(FileNotFoundError, match="materialise it first"):
        manager.load_input(dg.build_input_context(upstream_output=missing))


def test_a_landing_zone_in_object_storage_is_sensed_landed_and_emptied(tmp_path, monkeypatch):
    """REGIONOMIE_LANDING_DIR as a URL (fsspec's in-memory store standing in for a bucket):
    the sensor sees the new file by its content hash, the landing asset parses a local copy
    under the file's own name into staging, and the file leaves the bucket."""
    import uuid

    import fsspec

    from assets.ingest import landing_assets
    from assets.resources import UrlLandingZone, landing_zone_for
    from pipelines.definitions import defs
    from regionomie.paths import SAMPLE_DIR

    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(tmp_path / "state"))
    root = f"memory://landing-{uuid.uuid4().hex}"
    zone = landing_zone_for(root)
    assert isinstance(zone, UrlLandingZone)
    zone = UrlLandingZone(root=root, settle_seconds=0)
    source = next((SAMPLE_DIR / "kvk").glob("establishments_*.csv"))
    fs = fsspec.filesystem("memory")
    remote = f"{root}/kvk/{source.name}"
    fs.pipe(remote.removeprefix("memory://"), source.read_bytes())
    fs.pipe(f"{root}/kvk/.hidden.csv".removeprefix("memory://"), b"x")

    files = zone.list_files("kvk")
    assert [f.path for f in files] == [remote] and files[0].size == source.stat().st_size
    sensor = defs.get_sensor_def("kvk_landing_sensor")
    tick = sensor(
        dg.build_sensor_context(
            instance=dg.DagsterInstance.ephemeral(), resources={"landing_zone": zone}
        )
    )
    assert len(tick.run_requests) == 1
    request = tick.run_requests[0]
    assert request.run_config["ops"]["kvk_landing"]["config"]["files"] == [remote]

    landing = next(a for a in landing_assets if a.key == dg.AssetKey("kvk_landing"))
    result = dg.materialize(
        [landing],
        resources={"landing_zone": zone},
        run_config=request.run_config,
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    metadata = result.asset_materializations_for_node("kvk_landing")[0].metadata
    assert metadata["files_landed"].value == 1
    assert metadata["rows_in"].value == 3000 + 2762  # establishments + their organisations
    assert list((tmp_path / "state" / "staging" / "establishments").glob("*.parquet"))
    assert zone.list_files("kvk") == []  # landed files leave the bucket
