"""bulk_initial_load (neo4j-admin database import) writes the same graph as the
transactional loader, so a later incremental load only writes what changed."""

from __future__ import annotations

import os
import secrets
import socket

import pytest

from regionomie.graph import frames as gf
from regionomie.graph import loader, migrations, sample

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

AS_OF = "2025-01-31"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sample_frames() -> gf.GraphFrames:
    t = sample.tables()
    return gf.merge_frames(
        gf.municipality_frames(t["municipalities"]),
        gf.material_frames(t["eural"]),
        gf.sector_frames(t["sbi2008"], t["sbi2025"]),
        gf.organisation_frames(t["organisations"]),
        gf.establishment_frames(t["establishments"]),
        gf.production_frame(t["waste_records"], t["waste_party_links"]),
        gf.flow_frame(t["waste_records"], t["waste_party_links"]),
        gf.challenge_frames(t["challenges"]),
    )


def test_import_files_have_typed_headers(tmp_path):
    run = loader.LoadRun("bulk-1", "sample", AS_OF, mode="bulk")
    args, result = loader.write_import_files(sample_frames(), run, tmp_path)
    assert any(a.startswith("--nodes=Establishment=") for a in args)
    header = (tmp_path / "nodes_Establishment.csv").read_text().splitlines()[0].split(",")
    assert header[0] == "vestigingsnummer:ID(Establishment)"
    assert "employees:long" in header and "active:boolean" in header
    assert "location:point{crs:WGS-84}" in header and "row_hash:long" in header
    assert result["Establishment"].created == len(sample.tables()["establishments"])


@pytest.mark.skipif(bool(os.environ.get("NEO4J_TEST_URI")), reason="needs the project's server")
def test_bulk_import_equals_transactional_load(empty_graph, tmp_path):
    from neo4j import GraphDatabase

    from regionomie import neo4j_server as server

    migrations.migrate(empty_graph)
    run_id = "same-run"
    transactional = sample.load_sample_region(empty_graph, run_id, as_of=AS_OF)
    expected = loader.graph_checksum(empty_graph)
    assert transactional.total("set_aside") == 0

    settings = server.ServerSettings(
        instance_dir=tmp_path / "bulk",
        bolt_port=_free_port(),
        http_port=_free_port(),
        heap="1g",
        pagecache="256m",
    )
    # never a leading "-": neo4j-admin would read it as an option
    password = "p" + secrets.token_urlsafe(16)
    run = loader.LoadRun(run_id, "sample", AS_OF, mode="bulk")
    try:
        result, timings = loader.bulk_initial_load(
            settings, password, sample_frames(), run, work_dir=tmp_path / "csv"
        )
        assert timings["import_s"] > 0
        with GraphDatabase.driver(settings.bolt_uri, auth=("neo4j", password)) as driver:
            assert loader.graph_checksum(driver) == expected
            # the next load of the same data writes nothing: same row hashes
            again = sample.load_sample_region(driver, "after-bulk", as_of=AS_OF)
            assert again.total("written") == 0
            with pytest.raises(server.Neo4jServerError, match="is running: stop it first"):
                loader.bulk_initial_load(
                    settings, password, sample_frames(), run, work_dir=tmp_path / "csv2"
                )
    finally:
        server.stop(settings)
    assert result["Establishment"].created == len(sample.tables()["establishments"])
