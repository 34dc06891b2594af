"""Issue 23, "real sources, round 2": each test follows a publisher's document (named in the
fixture READMEs) and fails on the code before this round."""

from __future__ import annotations

from pathlib import Path

import pytest

from regionomie.domain.parsers import parse_file

FILES = Path(__file__).parent / "fixtures" / "files"

# ---- 1. KvK legal forms: the Basisprofiel enumeration, uitgebreideRechtsvorm, "i.o." --------

SHOWN_BY_KVK = {  # test KvK numbers of the KvK test environment, per its legal-form list
    "68750110",  # BeslotenVennootschap / Besloten Vennootschap
    "90001354",  # BesloteVennootschap (KvK's own spelling) / ... met gewone structuur
    "68727720",  # NaamlozeVennootschap
    "69599068",  # Stichting
    "90000749",  # "Vereniging van Eigenaars" spaced in both fields
    "55344526",  # Cooperatie / Coöperatie U.A.
    "90002490",  # OnderlingeWaarborgMaatschappij
}
MASKED_BY_KVK = {
    "69599084",  # Eenmanszaak
    "69599076",  # VennootschapOnderFirma
    "90001745",  # Maatschap
    "90003942",  # CommanditaireVennootschap
    "90009001",  # BeslotenVennootschap / Besloten Vennootschap in oprichting
    "90009002",  # Stichting / Stichting i.o.
}


def test_basisprofiel_enumeration_and_extended_form_decide_who_is_personal() -> None:
    res = parse_file(
        FILES / "kvk" / "basisprofielen_rechtsvormen.jsonl",
        "kvk",
        retrieved_at="2025-06-01T00:00:00Z",
    )
    orgs = res["organisations"].rows.set_index("kvk_nummer")
    est = res["establishments"].rows.set_index("kvk_nummer")
    assert set(orgs.index) == SHOWN_BY_KVK | MASKED_BY_KVK
    for kvk in SHOWN_BY_KVK:
        assert not bool(orgs.at[kvk, "is_sole_proprietor"]), kvk
        assert not bool(est.at[kvk, "is_sole_proprietor"]), kvk
    for kvk in MASKED_BY_KVK:
        assert bool(orgs.at[kvk, "is_sole_proprietor"]), kvk
        assert bool(est.at[kvk, "is_sole_proprietor"]), kvk
    # readers see the spaced text, not the enumeration
    assert orgs.at["68750110", "legal_form"] == "Besloten Vennootschap"
    assert orgs.at["90001354", "legal_form"] == "Besloten Vennootschap met gewone structuur"


@pytest.mark.parametrize(
    ("form", "personal"),
    [
        ("BeslotenVennootschap", False),
        ("BesloteVennootschap", False),
        ("NaamlozeVennootschap", False),
        ("VerenigingVanEigenaars", False),
        ("PubliekrechtelijkeRechtspersoon", False),
        ("OverigePrivaatrechtelijkeRechtspersoon", False),
        ("Eenmanszaak", True),
        ("VennootschapOnderFirma", True),
        ("CommanditaireVennootschap", True),
        ("BV i.o.", True),
        ("B.V. i.o.", True),
        ("Besloten Vennootschap in oprichting", True),
        ("BeslotenVennootschapInOprichting", True),
        ("Stichting i.o.", True),
        ("Onbekend", True),
        ("", True),
    ],
)
def test_legal_form_spellings(form: str, personal: bool) -> None:
    from regionomie.domain.privacy import name_is_personal

    assert name_is_personal(form) is personal


def test_two_fields_fail_closed_only_on_the_truly_unknown() -> None:
    from regionomie.domain.privacy import legal_forms_are_personal

    assert not legal_forms_are_personal("BeslotenVennootschap", "Besloten Vennootschap")
    assert not legal_forms_are_personal("BeslotenVennootschap", None)
    assert not legal_forms_are_personal("BeslotenVennootschap", "Een nieuwe omschrijving")
    assert legal_forms_are_personal("BeslotenVennootschap", "Besloten Vennootschap i.o.")
    assert legal_forms_are_personal("Iets", "Onbekend")
    assert legal_forms_are_personal(None, None)


# ---- 2. A place search lands usably; the v3 page fixture carries no postcodes ---------------

HTTP = Path(__file__).parent / "fixtures" / "http"
KEY = "l7xx-round2-test-key-000000000000"
FAST = ["--retries", "1", "--min-interval", "0", "--timeout", "2"]


def _fetch(argv: list[str]) -> int:
    import argparse

    from regionomie.commands import fetch

    parser = argparse.ArgumentParser(prog="regionomie")
    fetch.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["fetch", *argv])
    return int(args.func(args))


@pytest.fixture
def kvk_env(httpserver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    landing = tmp_path / "landing"
    monkeypatch.setenv("REGIONOMIE_LANDING_DIR", str(landing))
    monkeypatch.setenv("REGIONOMIE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("KVK_API_BASE_URL", httpserver.url_for("/api"))
    monkeypatch.setenv("KVK_API_KEY", KEY)
    return landing


def _landed(folder: Path) -> Path:
    files = [p for p in folder.iterdir() if not p.name.startswith(".")]
    assert len(files) == 1, files
    return files[0]


def test_readme_place_search_lands_a_file_the_gate_accepts(
    httpserver, kvk_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fetch kvk --plaats X` (the README's first example): Zoeken returns no postcodes for a
    place search, and the file must still pass `validate` (exit 0), saying why."""
    from standin import KvkStandIn

    from regionomie.commands.validate import main as validate

    KvkStandIn(httpserver, KEY)
    assert _fetch(["kvk", "--plaats", "Amersfoort", *FAST]) == 0
    err = capsys.readouterr().err
    path = _landed(kvk_env / "kvk")
    assert "postcode" not in path.read_text("utf-8")  # as the real service: none shown
    assert validate([str(path), "--source", "kvk", "--no-docs"]) == 0  # old: postcode_null_rate
    out = capsys.readouterr().out
    assert "postcode_null_rate" not in out
    assert "carry no postcode" in err and "--profiles" in err


def test_place_search_with_profiles_places_every_establishment(httpserver, kvk_env: Path) -> None:
    from standin import KvkStandIn

    KvkStandIn(httpserver, KEY)
    assert _fetch(["kvk", "--plaats", "Amersfoort", "--profiles", *FAST]) == 0
    est = parse_file(_landed(kvk_env / "kvk"), "kvk")["establishments"].rows
    assert len(est) and est["postcode"].notna().all()
    assert set(est["source"]) == {"kvk-api"}


def test_v3_place_search_page_has_no_postcodes_and_passes_the_gate() -> None:
    from regionomie.quality.validate import validate_table

    page = HTTP / "kvk" / "zoeken_v3_page_amersfoort.json"
    est = parse_file(page, "kvk", retrieved_at="2026-01-05T00:00:00Z")["establishments"].rows
    # 7 establishments (one result is a rechtspersoon without vestigingsnummer)
    assert len(est) == 7 and est["postcode"].isna().all() and est["city"].notna().all()
    assert set(est["source"]) == {"kvk-zoeken"}
    out = validate_table("establishments", est, build_docs=False)
    assert out.passed, out.dataset_failures
    # a profile row without postcode still counts
    est.loc[est.index[0], "source"] = "kvk-api"
    est = est.iloc[[0]]
    out = validate_table("establishments", est, build_docs=False)
    assert "100% missing (1 of 1 rows)" in dict(out.dataset_failures)["postcode_null_rate"]


# ---- 3. Per-generation caps, narrowing, the v3 test host -----------------------------------


def _many(n: int, streets: int) -> list[dict]:
    return [
        {
            "kvkNummer": f"{90000000 + i}",
            "vestigingsnummer": f"{i:012d}",
            "naam": f"Zaak {i}",
            "type": "hoofdvestiging",
            "actief": "Ja",
            "adres": {
                "binnenlandsAdres": {
                    "type": "bezoekadres",
                    "straatnaam": f"Straat {i % streets}",
                    "huisnummer": i + 1,
                    "postcode": "3811AB",
                    "plaats": "Amersfoort",
                }
            },
        }
        for i in range(n)
    ]


def test_v3_search_stops_at_100_results() -> None:
    from regionomie.connectors.kvk import MAX_RESULTS, KvkClient

    assert MAX_RESULTS == {"v2": 1000, "v3": 100}
    assert KvkClient("https://api.kvk.nl/api", KEY, generation="v3").max_results == 100
    assert KvkClient("https://api.kvk.nl/api", KEY, generation="v2").max_results == 1000


def test_v3_place_search_over_the_cap_is_narrowed_by_type_and_street(httpserver) -> None:
    from standin import KvkStandIn

    from regionomie.connectors.http import make_session
    from regionomie.connectors.kvk import KvkClient

    results = _many(150, streets=3)  # 150 hoofdvestigingen on 3 streets of 50
    kvk = KvkStandIn(httpserver, KEY, results)
    client = KvkClient(
        httpserver.url_for("/api"), KEY, make_session(retries=0, min_interval=0), generation="v3"
    )
    got = list(client.search(plaats="Amersfoort", narrow=True))
    stats = client.last_search
    assert sorted(r["vestigingsnummer"] for r in got) == sorted(
        r["vestigingsnummer"] for r in results
    )
    assert stats.narrowed_by == "type, straatnaam" and not stats.capped
    assert all(int(q["pagina"][0]) == 1 for _, q in kvk.requests)  # never past the cap of 100
    assert {q["straatnaam"][0] for _, q in kvk.requests if "straatnaam" in q} == {
        "Straat 0",
        "Straat 1",
        "Straat 2",
    }


def test_v3_street_still_over_the_cap_is_reported(httpserver) -> None:
    from standin import KvkStandIn

    from regionomie.connectors.http import make_session
    from regionomie.connectors.kvk import KvkClient

    KvkStandIn(httpserver, KEY, _many(250, streets=1))
    client = KvkClient(
        httpserver.url_for("/api"), KEY, make_session(retries=0, min_interval=0), generation="v3"
    )
    got = list(client.search(plaats="Amersfoort", narrow=True))
    assert len(got) == 100
    assert client.last_search.capped
    assert client.last_search.capped_parts == ["hoofdvestiging Straat 0"]


def test_v3_test_environment_is_the_preprod_host(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from regionomie.commands import fetch
    from regionomie.connectors import kvk

    assert kvk.TEST_BASE_URLS["v3"] == "https://api.preprod.kvk.nl/api"
    seen: dict[str, str] = {}

    class Probe(kvk.KvkClient):
        def __init__(self, base_url, *a, **k) -> None:  # noqa: ANN001, ANN002, ANN003
            seen["base"] = base_url
            raise ValueError("stop")

    monkeypatch.setattr(fetch, "KvkClient", Probe)
    monkeypatch.setenv("REGIONOMIE_LANDING_DIR", str(tmp_path))
    assert _fetch(["kvk", "--kvk-nummer", "42264003", "--test-env", "--generation", "v3"]) == 2
    assert seen["base"] == "https://api.preprod.kvk.nl/api"
    assert _fetch(["kvk", "--kvk-nummer", "68750110", "--test-env"]) == 2
    assert seen["base"] == "https://api.kvk.nl/test/api"


# ---- 6. Address details, decimals, null-rate messages ---------------------------------------


def test_huisletter_and_toevoeging_are_both_kept(tmp_path: Path) -> None:
    import json

    doc = {
        "vestigingsnummer": "000037178598",
        "kvkNummer": "68750110",
        "eersteHandelsnaam": "Test BV Donald",
        "adressen": [
            {
                "type": "bezoekadres",
                "straatnaam": "Utrechtseweg",
                "huisnummer": 10,
                "huisletter": "A",
                "huisnummerToevoeging": "2",
                "postcode": "3811NB",
                "plaats": "Amersfoort",
            }
        ],
    }
    path = tmp_path / "vestigingsprofiel.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    row = parse_file(path, "kvk", retrieved_at="2025-06-01T00:00:00Z")["establishments"].rows
    assert row["house_number_addition"].iat[0] == "A-2"


def test_v3_search_on_huisnummertoevoeging(httpserver) -> None:
    from standin import KvkStandIn

    from regionomie.connectors.http import make_session
    from regionomie.connectors.kvk import KvkClient

    results = _many(2, streets=1)
    results[1]["adres"]["binnenlandsAdres"].update(huisnummer=1, huisnummerToevoeging="bis")
    kvk = KvkStandIn(httpserver, KEY, results)
    session = make_session(retries=0, min_interval=0)
    v3 = KvkClient(httpserver.url_for("/api"), KEY, session, generation="v3")
    got = list(v3.search(postcode="3811AB", huisnummer=1, huisnummertoevoeging="bis"))
    assert [r["vestigingsnummer"] for r in got] == ["000000000001"]
    assert kvk.requests[-1][1]["huisnummerToevoeging"] == ["bis"]
    v2 = KvkClient(httpserver.url_for("/api"), KEY, session, generation="v2")
    with pytest.raises(ValueError, match="v2 has no huisnummerToevoeging"):
        list(v2.search(postcode="3811AB", huisnummer=1, huisnummertoevoeging="bis"))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,234.5", 1234.5),  # English thousands comma, decimal point
        ("1.234,5", 1234.5),  # Dutch
        ("1234,5", 1234.5),
        ("1234.5", 1234.5),
        ("1,234,567", 1234567.0),
        ("12,5", 12.5),
    ],
)
def test_parse_decimal_reads_both_formats(text: str, value: float) -> None:
    import pandas as pd

    from regionomie.domain.parsers.common import parse_decimal

    assert parse_decimal(pd.Series([text, "1.234,5"])).iat[0] == pytest.approx(value)


def test_parse_decimal_refuses_what_it_cannot_read() -> None:
    import pandas as pd

    from regionomie.domain.parsers.common import parse_decimal

    assert parse_decimal(pd.Series(["1.23,4.5"])).isna().all()


def test_null_rate_message_prints_the_missing_share() -> None:
    import pandas as pd
    import test_quality_fixtures as fixtures

    from regionomie.quality.validate import validate_table

    df: pd.DataFrame = fixtures.establishments(10)
    df.loc[0:2, ["lat", "lon"]] = None
    out = validate_table("establishments", df, context=fixtures.context(), build_docs=False)
    message = dict(out.warnings)["lat_null_rate"]
    assert "30% missing (3 of 10 rows)" in message and "0.7" not in message


# ---- 5. v4 text measures are labels, not indicators ------------------------------------------


def test_v4_text_measure_is_not_an_empty_indicator(httpserver, tmp_path: Path) -> None:
    import json

    from standin import CbsStandIn

    from regionomie.connectors.cbs import CbsODataClient
    from regionomie.connectors.http import make_session

    cbs = CbsStandIn(httpserver)
    client = CbsODataClient(v4_base_url=cbs.v4_base, session=make_session(retries=0))
    bundle = client.v4_bundle("85984NED", region="GM0307")
    assert any(c.get("DataType") == "String" for c in bundle["measure_codes"])
    path = tmp_path / "cbs_85984NED_GM0307.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    res = parse_file(path, "municipal")["municipal_indicators"]
    rows = res.rows
    assert "gemeentenaam" not in set(rows["indicator"])
    assert rows.loc[rows["source_table"] == "85984NED", "value"].notna().all()
    assert len(res.rejected) == 0
    assert any("text measures" in note for note in res.notes)


# ---- 4. Kerncijfers: per indicator the most recent table that has it ------------------------


def _kerncijfers(httpserver, tmp_path: Path, tables: list[str]):
    import json

    import pandas as pd
    from standin import CbsStandIn

    from regionomie.connectors.cbs import CbsODataClient
    from regionomie.connectors.http import make_session

    cbs = CbsStandIn(httpserver)
    client = CbsODataClient(base_url=cbs.v3_base, session=make_session(retries=0))
    frames = []
    for table in tables:
        path = tmp_path / f"cbs_{table}_GM0307.json"
        path.write_text(json.dumps(client.v3_bundle(table, region="GM0307")), encoding="utf-8")
        frames.append(parse_file(path, "municipal")["municipal_indicators"].rows)
    return pd.concat(frames, ignore_index=True)


def test_newest_kerncijfers_release_with_an_older_table_passes_the_gate(
    httpserver, tmp_path: Path
) -> None:
    from regionomie.domain.challenges import derive_challenges
    from regionomie.quality.validate import validate_table

    rows = _kerncijfers(httpserver, tmp_path, ["86165NED", "85984NED"])
    out = validate_table("municipal_indicators", rows, build_docs=False)
    assert out.passed, out.dataset_failures  # old: challenge_indicators_resolved 86165NED
    from regionomie.domain.cbs_indicators import describe_indicator_sources

    found = derive_challenges(out.valid, ["GM0307"]).set_index("challenge_id")
    assert found.at["ageing", "period"] == "2025"  # 86165NED has it
    assert found.at["unemployment", "period"] == "2024"  # only 85984NED has WW
    assert found.at["low_average_income", "period"] == "2024"
    # WW of 2024 over inhabitants of 2024, not over the 2025 count
    ww = out.valid[(out.valid["region_code"] == "GM0307") & (out.valid["period"] == "2024")]
    by = ww.set_index("indicator")["value"]
    assert found.at["unemployment", "value"] == pytest.approx(by["ww_benefits"] / by["inhabitants"])
    sources = describe_indicator_sources(out.valid)
    assert sources[0].startswith("86165NED (2025): ") and "inhabitants" in sources[0]
    assert sources[1].startswith("85984NED (2024): ") and "ww_benefits" in sources[1]
    assert "inhabitants" not in sources[1].split(": ")[1].split(", ")


def test_first_release_alone_still_blocks_and_says_what_to_land(httpserver, tmp_path: Path) -> None:
    from regionomie.quality.validate import validate_table

    rows = _kerncijfers(httpserver, tmp_path, ["86165NED"])
    out = validate_table("municipal_indicators", rows, build_docs=False)
    message = dict(out.dataset_failures)["challenge_indicators_resolved"]
    assert "86165NED 2025" in message and "unemployment" in message
    assert "earlier year's table" in message and "ageing" not in message


# ---- 8. Open-data mode: CBS, PDOK and the KvK open dataset only --------------------------

SAMPLE_MUNICIPAL = Path(__file__).resolve().parents[1] / "data" / "sample" / "municipal"


@pytest.fixture
def open_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var, sub in (
        ("REGIONOMIE_STATE_DIR", "state"),
        ("REGIONOMIE_ARCHIVE_DIR", "archive"),
        ("REGIONOMIE_EXPORTS_DIR", "exports"),
    ):
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.setenv("REGIONOMIE_PSEUDONYM_KEY", "open-data-test-key-0123456789")
    return tmp_path


def _land(tmp: Path, source: str, files: list[Path]) -> None:
    import shutil

    from regionomie.domain.parsers.landing import land_file

    for f in files:
        target = tmp / "landing" / source / f.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, target)
        land_file(target, source)


def test_open_data_only_run_produces_what_it_can(open_state: Path) -> None:
    import pandas as pd

    from regionomie import flow
    from regionomie.domain.knowledge import load_knowledge_base

    _land(open_state, "municipal", sorted(SAMPLE_MUNICIPAL.iterdir()))
    bulk = FILES / "kvk" / "basis_bedrijfsgegevens_regio_amersfoort.csv"
    _land(open_state, "kvk", [bulk])
    tables = flow.current_tables()  # the old code stops here: establishments not_empty
    assert len(tables["establishments"]) == 0 and len(tables["sector_density"]) > 0
    assert flow.open_data_mode(tables)
    run = flow.run_region(
        "regio-amersfoort", tables, load_knowledge_base(), date="2026-12-07",
        config=flow.FlowConfig.load(),
    )  # fmt: skip
    folder = run.paths["manifest"].parent
    assert len(run.result.challenges) > 0  # challenges from CBS
    # the reader's CSV: Dutch Excel's ';' like every other export of a Dutch region
    density = pd.read_csv(folder / "open_data_sector_density.csv", dtype=str, sep=";")
    assert set(density["postcode_region"]) == {"37", "38", "39"}  # not 97: outside
    assert (density["coverage"] == "BV and NV only").all()
    assert density["basis"].str.startswith("open data").all()
    supply = pd.read_csv(folder / "open_data_estimated_supply.csv", dtype=str, sep=";")
    coffee = supply[(supply["material_id"] == "spent_coffee_grounds")]
    assert len(coffee) and coffee["basis"].str.contains("ondergrens").all()
    assert "open_data_sector_density.csv" in (folder / "manifest.json").read_text("utf-8")
    # the social cases that need no establishment list (issue 20's engine): farms counted by
    # the open dataset in the region's postcode regions, a care farm where challenges call
    cases = pd.read_csv(folder / "business_cases.csv", dtype=str, sep=";")
    assert set(cases["Soort case"]) == {"sociaal"}
    assert "social:zorgboerderij" in set(cases["Business-case-id"])
    assert set(run.result.cases["case_kind"]) == {"social"}
    cards = (folder / "business_case_cards.json").read_text("utf-8")
    assert "BV/NV-vestigingen" in cards and "(open data)" in cards
    assert "Open-datamodus" in (folder / "report.html").read_text("utf-8")


def test_open_data_mode_runs_through_the_main_job(neo4j_server, empty_graph, tmp_path, monkeypatch):
    """The same open sources through Dagster (`regionomie run`'s job): every step succeeds,
    the tables pass between steps through the IO manager even with no establishment at all,
    and the exports hold the open-data files and the care-farm case."""
    import shutil

    import dagster as dg
    import pandas as pd

    from pipelines.definitions import build_definitions
    from pipelines.main import run_main_job, step_failures

    data = tmp_path / "data"
    for source in ("kvk", "municipal", "waste"):
        (data / source).mkdir(parents=True)
    shutil.copy(FILES / "kvk" / "basis_bedrijfsgegevens_regio_amersfoort.csv", data / "kvk")
    for path in sorted(SAMPLE_MUNICIPAL.iterdir()):
        shutil.copy(path, data / "municipal")
    for key, value in {
        "NEO4J_URI": neo4j_server.uri,
        "NEO4J_PASSWORD": neo4j_server.password,
        "REGIONOMIE_STATE_DIR": str(tmp_path / "state"),
        "REGIONOMIE_EXPORTS_DIR": str(tmp_path / "exports"),
        "REGIONOMIE_ENV_FILE": str(tmp_path / "absent.env"),
    }.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "dagster_home").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "dagster_home")) as instance:
        result = run_main_job(
            build_definitions(), data, "regio-amersfoort", instance, "2026-12-07", quiet=True
        )
    assert result.success, step_failures(result)
    folder = tmp_path / "exports" / "regio-amersfoort" / "2026-12-07"
    assert (folder / "open_data_sector_density.csv").is_file()
    cases = pd.read_csv(folder / "business_cases.csv", dtype=str, sep=";")
    assert "social:zorgboerderij" in set(cases["Business-case-id"])


def test_a_landed_file_that_gives_no_rows_is_not_absent(open_state: Path) -> None:
    import pandas as pd

    from regionomie import flow
    from regionomie.domain.staging import staged_files

    empty = open_state / "establishments_20250101T000000.csv"
    empty.write_text(
        "vestigingsnummer;kvk_nummer;trade_name;legal_form;sbi_main;sbi_version;postcode;city\n",
        encoding="utf-8",
    )
    _land(open_state, "kvk", [empty])
    _land(open_state, "municipal", sorted(SAMPLE_MUNICIPAL.iterdir()))
    assert staged_files("establishments")
    with pytest.raises(flow.FlowError, match="not_empty"):
        flow.current_tables()
    assert not flow.source_absent("municipal_indicators", pd.DataFrame())  # never optional


# ---- 7. regionomie doctor --region R --------------------------------------------------------


def _open_folder(tmp: Path, with_cbs: bool = True) -> Path:
    import shutil

    folder = tmp / "data"
    for sub in ("kvk", "municipal", "waste"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    shutil.copy(FILES / "kvk" / "basis_bedrijfsgegevens_regio_amersfoort.csv", folder / "kvk")
    if with_cbs:
        for f in SAMPLE_MUNICIPAL.iterdir():
            shutil.copy(f, folder / "municipal")
    return folder


def test_doctor_on_open_sources_only_says_open_data_mode(
    open_state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from regionomie.commands.doctor import main

    code = main(["--region", "regio-amersfoort", "--data", str(_open_folder(open_state))])
    out, err = capsys.readouterr()
    assert code == 1, out + err  # warnings: the run succeeds, some outputs missing
    assert "Traceback" not in out + err
    assert "Verdict: open-data mode" in out
    assert "KvK register" in out and "LMA waste reports" in out
    assert "85984NED (2024)" in out and "postcode regions of the region: 37, 38, 39" in out
    assert len(out.splitlines()) <= 30  # one screen


def test_doctor_without_cbs_is_an_error(open_state: Path, capsys) -> None:
    from regionomie.commands.doctor import main

    folder = _open_folder(open_state, with_cbs=False)
    assert main(["--region", "regio-amersfoort", "--data", str(folder)]) == 2
    out = capsys.readouterr().out
    assert "ERROR   CBS indicators" in out and "Verdict: the run will stop" in out


def test_doctor_on_the_sample_is_a_full_run(capsys: pytest.CaptureFixture[str]) -> None:
    from regionomie.commands.doctor import main

    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    code = main(["--region", "regio-amersfoort", "--data", str(sample)])
    out = capsys.readouterr().out
    assert "Verdict: full run" in out and code in (0, 1), out
    assert "ERROR" not in out


def test_doctor_usage_and_failures_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from regionomie import doctor
    from regionomie.commands.doctor import EXIT_USAGE, main

    assert main(["--region", "nergens"]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert "unknown region" in err and "\n" not in err

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("staging unreadable")

    monkeypatch.setattr(doctor, "diagnose", broken)
    assert main(["--region", "regio-amersfoort"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "regionomie doctor: error: RuntimeError: staging unreadable"
