"""Definitions, sensors and schedules through Dagster's real APIs and CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from assets.resources import LocalLandingZone
from pipelines.definitions import defs
from regionomie.domain.landing_cursor import decide_new_files
from regionomie.paths import REPO_ROOT

OLD = time.time() - 3600


def _drop(folder: Path, name: str, content: str, mtime: float | None = OLD) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(content, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _tick(source: str, root: Path, cursor: str | None, instance: dg.DagsterInstance):
    sensor = defs.get_sensor_def(f"{source}_landing_sensor")
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"landing_zone": LocalLandingZone(root=str(root))},
    )
    result = sensor(context)
    return result


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"kvk_landing", "establishments", "graph_schema", "opportunity_exports"} <= keys


def test_every_cli_command_module_exists():
    from regionomie import cli

    parser = cli.build_parser()
    commands = set(parser._subparsers._group_actions[0].choices)  # noqa: SLF001
    assert {
        "neo4j",
        "graph",
        "run",
        "ingest",
        "fetch",
        "validate",
        "suggest-receivers",
        "opportunities",
    } <= commands


def test_downstream_assets_wait_for_blocking_checks():
    graph = defs.resolve_asset_graph()
    for key in ("graph_establishments", "regional_opportunities", "opportunity_exports"):
        condition = graph.get(dg.AssetKey(key)).automation_condition
        assert condition is not None
        labels = {child.get_label() for child in condition.children}
        assert "all_deps_blocking_checks_passed" in labels


def test_new_file_gives_one_run_and_same_file_none(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    _drop(tmp_path / "waste", "lma_2024.csv", "a;b\n1;2\n")
    first = _tick("waste", tmp_path, None, instance)
    assert len(first.run_requests) == 1
    request = first.run_requests[0]
    assert request.run_config["ops"]["waste_landing"]["config"]["files"] == [
        str(tmp_path / "waste" / "lma_2024.csv")
    ]
    assert request.tags["regionomie/source_file"] == "lma_2024.csv"
    again = _tick("waste", tmp_path, first.cursor, instance)
    assert again.run_requests == [] or again.run_requests is None


def test_identical_file_under_new_name_is_not_run_twice(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    _drop(tmp_path / "kvk", "a.jsonl", "{}\n")
    first = _tick("kvk", tmp_path, None, instance)
    _drop(tmp_path / "kvk", "copy-of-a.jsonl", "{}\n")
    second = _tick("kvk", tmp_path, first.cursor, instance)
    assert not second.run_requests


def test_two_files_give_two_runs_with_distinct_keys(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    _drop(tmp_path / "municipal", "one.json", '{"a": 1}')
    _drop(tmp_path / "municipal", "two.json", '{"a": 2}')
    result = _tick("municipal", tmp_path, None, instance)
    assert len(result.run_requests) == 2
    assert len({r.run_key for r in result.run_requests}) == 2


def test_half_written_file_is_not_picked_up(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    _drop(tmp_path / "waste", "big.csv", "a;b\n1;", mtime=None)  # modified just now
    result = _tick("waste", tmp_path, None, instance)
    assert not result.run_requests
    assert "still being written" in result.skip_reason.skip_message
    # unchanged at the next tick -> settled -> picked up
    later = _tick("waste", tmp_path, result.cursor, instance)
    assert len(later.run_requests) == 1


def test_cursor_survives_a_restart(tmp_path):
    _drop(tmp_path / "waste", "x.csv", "a\n1\n")
    first = _tick("waste", tmp_path, None, dg.DagsterInstance.ephemeral())
    stored = json.loads(first.cursor)
    assert stored["hashes"]
    # a new process: fresh instance, cursor read back from storage as a string
    again = _tick("waste", tmp_path, json.dumps(stored), dg.DagsterInstance.ephemeral())
    assert not again.run_requests


def test_changed_content_is_a_new_run(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    path = _drop(tmp_path / "waste", "x.csv", "a\n1\n")
    first = _tick("waste", tmp_path, None, instance)
    path.write_text("a\n2\n", encoding="utf-8")
    os.utime(path, (OLD + 10, OLD + 10))
    second = _tick("waste", tmp_path, first.cursor, instance)
    assert len(second.run_requests) == 1


def test_cursor_decision_is_pure_and_ignores_empty_files():
    decision = decide_new_files(
        files=[("/x/empty.csv", 0, 0.0)], cursor={}, hash_file=lambda p: "h", now=100.0
    )
    assert decision.new == [] and decision.waiting == ["/x/empty.csv"]


def test_weekly_exports_schedule_requests_every_region():
    schedule = defs.get_schedule_def("weekly_region_exports")
    assert schedule.execution_timezone == "Europe/Amsterdam"
    when = datetime(2026, 11, 30, 6, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    context = dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=defs.get_repository_def()
    )
    requests = list(schedule.evaluate_tick(context).run_requests)
    partitions = {r.partition_key for r in requests}
    assert {"regio-amersfoort", "regio-meppel"} <= partitions
    corop = {p for p in partitions if p.startswith("corop-")}
    assert len(corop) == 40 and len(partitions) == 43  # custom + COROP: the country once
    assert all(r.run_key.endswith("2026-11-30") for r in requests)


def test_daily_refresh_schedule_is_in_amsterdam_time():
    schedule = defs.get_schedule_def("daily_graph_refresh")
    assert (schedule.cron_schedule, schedule.execution_timezone) == (
        "0 5 * * *",
        "Europe/Amsterdam",
    )


PERSONAL = ("Pieter Privé-Jansen", "Hostilestraat 3", "000900000003", "52.150710")


def _alert(**tags: str):
    from regionomie.alerts import RunAlert

    return RunAlert.of(
        "r1",
        "ingest_waste_job",
        ["waste_records"],
        ["ValueError"],
        {"regionomie/region": "regio-amersfoort", **tags},
    )


def test_failed_run_alert_reaches_webhook(httpserver, tmp_path):
    from regionomie.alerts import send_alert

    httpserver.expect_request("/hook", method="POST").respond_with_json({"ok": True})
    alert = _alert(**{"regionomie/accept_volume_change": "Pieter Privé-Jansen zei het"})
    assert send_alert(alert, tmp_path / "alerts.log", httpserver.url_for("/hook"))
    body = json.loads(httpserver.log[0][0].data)
    assert (body["run_id"], body["failed_steps"], body["error_types"]) == (
        "r1",
        ["waste_records"],
        ["ValueError"],
    )
    assert body["tags"] == {"regionomie/region": "regio-amersfoort"}  # hand-written tags stay
    line = json.loads((tmp_path / "alerts.log").read_text().splitlines()[0])
    assert line["title"].endswith("ingest_waste_job")
    assert "Pieter" not in (tmp_path / "alerts.log").read_text()


def test_failed_webhook_is_reported_not_raised(httpserver, tmp_path):
    from regionomie.alerts import send_alert

    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    assert send_alert(_alert(), tmp_path / "a.log", httpserver.url_for("/hook")) is False
    assert (tmp_path / "a.log").exists()


def test_alert_webhook_never_follows_a_redirect(httpserver, tmp_path):
    from regionomie.alerts import send_alert

    httpserver.expect_request("/hook").respond_with_data(
        "", status=307, headers={"Location": httpserver.url_for("/elsewhere")}
    )
    httpserver.expect_request("/elsewhere").respond_with_json({"ok": True})
    assert send_alert(_alert(), tmp_path / "a.log", httpserver.url_for("/hook")) is False
    assert [r.path for r, _ in httpserver.log] == ["/hook"]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hooks.example.org/T0/B0/x", True),
        ("http://127.0.0.1:8123/hook", True),
        ("http://localhost:8123/hook", True),
        ("http://[::1]:8123/hook", True),
        ("http://hooks.example.org/T0/B0/x", False),
        ("http://10.0.0.5/hook", False),
        ("ftp://hooks.example.org/x", False),
        ("hooks.example.org/x", False),
    ],
)
def test_alert_webhook_must_be_https_outside_this_machine(url, allowed, tmp_path, monkeypatch):
    from regionomie import alerts

    assert (alerts.webhook_problem(url) is None) == allowed
    posted = []
    monkeypatch.setattr(alerts.requests, "post", lambda *a, **k: posted.append(a))
    if not allowed:
        assert alerts.send_alert(_alert(), tmp_path / "a.log", url) is False
        assert posted == []


def test_alert_file_is_owner_only_whatever_the_umask(tmp_path):
    from regionomie.alerts import send_alert

    old = os.umask(0)
    try:
        send_alert(_alert(), tmp_path / "state" / "alerts.log")
        loose = tmp_path / "loose.log"
        loose.write_text("")
        loose.chmod(0o666)
        send_alert(_alert(), loose)
    finally:
        os.umask(old)
    assert (tmp_path / "state" / "alerts.log").stat().st_mode & 0o777 == 0o600
    assert loose.stat().st_mode & 0o777 == 0o600
    link = tmp_path / "link.log"
    link.symlink_to(tmp_path / "elsewhere.log")
    with pytest.raises(OSError):
        send_alert(_alert(), link)
    assert not (tmp_path / "elsewhere.log").exists()


def test_run_failure_alert_holds_no_data_values(httpserver, tmp_path, monkeypatch):
    """A step fails with a message quoting a sole proprietor's row: the alert the real
    run-failure sensor writes (file and webhook) names the step and the error type only."""
    from pipelines.sensors import run_failure_alert

    @dg.op
    def land_establishments():
        raise ValueError(f"bad row: {'; '.join(PERSONAL)}")

    @dg.job
    def ingest_kvk_job():
        land_establishments()

    instance = dg.DagsterInstance.ephemeral()
    result = ingest_kvk_job.execute_in_process(
        instance=instance, raise_on_error=False, tags={"regionomie/region": "regio-amersfoort"}
    )
    assert not result.success
    failure = next(
        e.dagster_event
        for e in instance.all_logs(result.run_id)
        if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.RUN_FAILURE
    )
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
    ).for_run_failure()
    httpserver.expect_request("/hook", method="POST").respond_with_json({"ok": True})
    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("REGIONOMIE_ALERT_WEBHOOK_URL", httpserver.url_for("/hook"))
    run_failure_alert(context)
    written = (tmp_path / "state" / "alerts.log").read_text(encoding="utf-8")
    sent = httpserver.log[0][0].data.decode("utf-8")
    for text in (written, sent):
        assert "land_establishments" in text and "ValueError" in text
        assert [v for v in PERSONAL if v in text] == []
        assert "bad row" not in text


def _dagster_cli(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "NEO4J_PASSWORD": "unused-in-cli"}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), *args, "-w", "workspace.yaml"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.mark.slow
def test_dagster_cli_lists_sensors_and_schedules(tmp_path):
    sensors = _dagster_cli("sensor", "list", tmp_path=tmp_path)
    assert sensors.returncode == 0, sensors.stderr[-2000:]
    for name in (
        "kvk_landing_sensor",
        "waste_landing_sensor",
        "municipal_landing_sensor",
        "run_failure_alert",
    ):
        assert name in sensors.stdout
    schedules = _dagster_cli("schedule", "list", tmp_path=tmp_path)
    assert schedules.returncode == 0, schedules.stderr[-2000:]
    assert "weekly_region_exports" in schedules.stdout
    assert "daily_graph_refresh" in schedules.stdout
    preview = _dagster_cli("sensor", "preview", "waste_landing_sensor", tmp_path=tmp_path)
    assert preview.returncode == 0, preview.stderr[-2000:]


def _serve_zoeken(httpserver, results):
    httpserver.clear()
    httpserver.expect_request("/v2/zoeken").respond_with_json(
        {"pagina": 1, "resultatenPerPagina": 100, "totaal": len(results), "resultaten": results}
    )


def test_kvk_polling_sensor_loads_only_new_and_changed(httpserver, monkeypatch, tmp_path):
    fixture = REPO_ROOT / "tests" / "fixtures" / "http" / "kvk" / "zoeken_results_amersfoort.json"
    results = json.loads(fixture.read_text(encoding="utf-8"))
    assert len(results) >= 2
    monkeypatch.setenv("KVK_API_KEY", "test-key-not-a-secret")
    monkeypatch.setenv("KVK_API_BASE_URL", httpserver.url_for("").rstrip("/"))
    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("REGIONOMIE_KVK_POLL_REGION", "regio-groningen")
    sensor = defs.get_sensor_def("kvk_polling_sensor")
    instance = dg.DagsterInstance.ephemeral()

    _serve_zoeken(httpserver, results)
    first = sensor(dg.build_sensor_context(instance=instance))
    assert len(first.run_requests) == 1
    assert first.run_requests[0].tags["regionomie/new"] == str(len(results))
    written = first.run_requests[0].run_config["ops"]["kvk_landing"]["config"]["files"][0]
    assert json.loads(Path(written).read_text().splitlines()[0])["resultaten"] == results

    same = sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert not same.run_requests

    changed = [dict(results[0], actief="Nee"), *results[2:]]  # one ended, one gone
    _serve_zoeken(httpserver, changed)
    third = sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert len(third.run_requests) == 1
    tags = third.run_requests[0].tags
    assert (tags["regionomie/new"], tags["regionomie/changed"], tags["regionomie/ended"]) == (
        "0",
        "1",
        "1",
    )
    assert httpserver.log[0][0].headers["apikey"] == "test-key-not-a-secret"


def test_kvk_polling_is_off_without_a_key(monkeypatch):
    monkeypatch.delenv("KVK_API_KEY", raising=False)
    result = defs.get_sensor_def("kvk_polling_sensor")(
        dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral())
    )
    assert "KVK_API_KEY" in str(result)


def test_broken_file_is_quarantined_and_does_not_block_the_next(tmp_path, monkeypatch):
    from assets.ingest import landing_assets
    from regionomie.paths import SAMPLE_DIR

    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("REGIONOMIE_ARCHIVE_DIR", str(tmp_path / "archive"))
    landing = tmp_path / "landing" / "waste"
    broken = _drop(landing, "a_broken.csv", "<html><body>502 Bad Gateway</body></html>")
    good = landing / "b_good.csv"
    good.write_text(
        "\n".join(next((SAMPLE_DIR / "waste").glob("*.csv")).read_text("utf-8").splitlines()[:6])
        + "\n",
        encoding="utf-8",
    )
    waste_landing = next(a for a in landing_assets if a.key.to_user_string() == "waste_landing")
    result = dg.materialize(
        [waste_landing],
        resources={"landing_zone": LocalLandingZone(root=str(tmp_path / "landing"))},
        run_config={"ops": {"waste_landing": {"config": {"files": [str(broken), str(good)]}}}},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    meta = result.asset_materializations_for_node("waste_landing")[0].metadata
    assert (meta["files_landed"].value, meta["files_rejected"].value) == (1, 1)
    assert meta["rows_in"].value == meta["parsed"].value + meta["set_aside"].value == 5
    assert "a_broken.csv" in meta["rejected_files"].value[0]["file"]
    assert list((tmp_path / "state" / "quarantine" / "_files" / "waste").glob("*a_broken*"))
    assert not broken.exists() and not good.exists(), "both leave the landing zone"


def test_volume_change_is_refused_then_accepted_with_a_reason(tmp_path, monkeypatch):
    """A load far outside the previous volume fails its blocking check with a message that
    names the way out; the run tag accepts it and the check keeps who and why."""
    from assets.ingest import landing_assets, table_assets
    from assets.quality_gate import ACCEPT_VOLUME_TAG, ACCEPTED_BY_TAG, QUALITY_CHECK
    from regionomie.paths import SAMPLE_DIR

    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("REGIONOMIE_ARCHIVE_DIR", str(tmp_path / "archive"))
    lines = next((SAMPLE_DIR / "waste").glob("*.csv")).read_text("utf-8").splitlines()
    instance = dg.DagsterInstance.ephemeral()
    selected = [
        next(a for a in landing_assets if a.key.to_user_string() == "waste_landing"),
        next(a for a in table_assets if a.key.to_user_string() == "waste_records"),
    ]

    def load(name: str, rows: int, tags: dict[str, str] | None = None) -> dg.AssetCheckEvaluation:
        path = tmp_path / "landing" / "waste" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines[: rows + 1]) + "\n", encoding="utf-8")
        result = dg.materialize(
            selected,
            resources={"landing_zone": LocalLandingZone(root=str(tmp_path / "landing"))},
            run_config={"ops": {"waste_landing": {"config": {"files": [str(path)]}}}},
            instance=instance,
            tags=tags,
            raise_on_error=False,
        )
        (evaluation,) = [
            e for e in result.get_asset_check_evaluations() if e.check_name == QUALITY_CHECK
        ]
        return evaluation

    assert load("first.csv", 10).passed  # a first load needs no override
    refused = load("second.csv", 200)
    assert not refused.passed
    assert "--accept-volume-change" in str(refused.description)
    accepted = load("third.csv", 400, {ACCEPT_VOLUME_TAG: "region grew", ACCEPTED_BY_TAG: "ana"})
    assert accepted.passed
    record = accepted.metadata["volume_change_accepted"].value
    assert record["reason"] == "region grew" and record["by"] == "ana"
    assert record["rows"] > record["previous_rows"]


def test_production_needs_what_an_operator_needs(tmp_path, monkeypatch):
    """REGIONOMIE_ENV=production differs from local: without an external Neo4j, a landing
    folder, an https alert webhook and Postgres-backed Dagster storage it refuses to start,
    naming every missing piece in one line; with them it builds against the external URI."""
    from pipelines.definitions import resources_for

    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("REGIONOMIE_ENV_FILE", str(tmp_path / "absent.env"))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name in ("NEO4J_URI", "NEO4J_PASSWORD", "REGIONOMIE_ALERT_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("REGIONOMIE_LANDING_DIR", raising=False)
    with pytest.raises(ValueError) as refused:
        resources_for("production")
    message = str(refused.value)
    assert "\n" not in message
    for needed in ("NEO4J_URI", "NEO4J_PASSWORD", "REGIONOMIE_LANDING_DIR", "WEBHOOK", "Postgres"):
        assert needed in message
    assert resources_for("local")["neo4j"].uri.startswith("bolt://127.0.0.1:")

    (home / "dagster.yaml").write_text(
        (REPO_ROOT / "deploy" / "dagster.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.setenv("NEO4J_URI", "neo4j+s://graph.example.org:7687")
    monkeypatch.setenv("NEO4J_PASSWORD", "a-long-production-secret")
    monkeypatch.setenv("REGIONOMIE_LANDING_DIR", str(tmp_path / "share"))
    monkeypatch.setenv("REGIONOMIE_ALERT_WEBHOOK_URL", "https://alerts.example.org/hook")
    resources = resources_for("production")
    assert resources["neo4j"].uri == "neo4j+s://graph.example.org:7687"
    with pytest.raises(ValueError, match="REGIONOMIE_ENV='ci'"):
        resources_for("ci")
