"""bulk_initial_load (neo4j-admin database import) writes the same graph as the
transactional loader, so a later incremental load only writes what changed."""

from __future__ import annotations

import os
import secrets
import socket

import pytest

from regionomie.graph import migrations, sample
from regionomie.graph.bulk_load import bulk_initial_load
from regionomie.graph.checksum import graph_checksum
from regionomie.graph.import_files import write_import_files
from regionomie.graph.load_runs import LoadRun

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

AS_OF = "2025-01-31"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_import_files_have_typed_headers(tmp_path):
    run = LoadRun("bulk-1", "sample", AS_OF, mode="bulk")
    args, result = write_import_files(sample.sample_frames(), run, tmp_path)
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
    expected = graph_checksum(empty_graph)
    assert transactional["set_aside"] == 0

    settings = server.ServerSettings(
        instance_dir=tmp_path / "bulk",
        bolt_port=_free_port(),
        http_port=_free_port(),
        heap="1g",
        pagecache="256m",
    )
    # never a leading "-": neo4j-admin would read it as an option
    password = "p" + secrets.token_urlsafe(16)
    run = LoadRun(run_id, "sample", AS_OF, mode="bulk")
    try:
        result, timings = bulk_initial_load(
            settings, password, sample.sample_frames(), run, work_dir=tmp_path / "csv"
        )
        assert timings["import_s"] > 0
        with GraphDatabase.driver(settings.bolt_uri, auth=("neo4j", password)) as driver:
            assert graph_checksum(driver) == expected
            # the next load of the same data writes nothing: same row hashes
            again = sample.load_sample_region(driver, "after-bulk", as_of=AS_OF)
            assert again["written"] == 0
            with pytest.raises(server.Neo4jServerError, match="is running: stop it first"):
                bulk_initial_load(
                    settings, password, sample.sample_frames(), run, work_dir=tmp_path / "csv2"
                )
    finally:
        server.stop(settings)
    assert result["Establishment"].created == len(sample.tables()["establishments"])
