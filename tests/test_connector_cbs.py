"""CBS OData v3 ($skip paging, region filter, dimension codes) and v4 (catalogue on
datasets.cbs.nl, nextLink) against the local stand-in (tests/standin.py), a region the table
does not hold as an error, and resolve_fields over two years' DataProperties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from standin import CbsStandIn
from werkzeug import Request, Response

from regionomie.connectors.cbs import (
    CbsODataClient,
    EmptySelection,
    geo_dimension_v3,
    region_filter,
    resolve_fields,
)
from regionomie.connectors.http import BadResponse, NotFound, make_session

FIXTURES = Path(__file__).parent / "fixtures" / "http" / "cbs"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def session() -> Any:
    return make_session(retries=1, backoff_factor=0, min_interval=0, read_timeout=2)


def v3_rows_handler(rows: list[dict[str, Any]], seen: list[dict[str, str]]) -> Any:
    """Serve TypedDataSet honouring $top/$skip (no server-side filtering: the fixture already
    holds only GM0307 and its districts/neighbourhoods)."""

    def handle(request: Request) -> Response:
        seen.append(dict(request.args))
        top = int(request.args["$top"])
        skip = int(request.args.get("$skip", "0"))
        body = {"odata.metadata": "x", "value": rows[skip : skip + top]}
        return Response(json.dumps(body), content_type="application/json; charset=utf-8")

    return handle


def test_resolve_fields_two_years() -> None:
    wanted = ["AantalInwoners", "k_65JaarOfOuder", "PersonenPerSoortUitkeringWW", "Gemeentenaam"]
    p2024 = load("v3_85984NED_DataProperties.json")["value"]
    p2023 = load("v3_85618NED_DataProperties.json")["value"]
    r2024 = resolve_fields(p2024, wanted)
    r2023 = resolve_fields(p2023, wanted)
    assert r2024["PersonenPerSoortUitkeringWW"] == "PersonenPerSoortUitkeringWW_89"
    assert r2023["PersonenPerSoortUitkeringWW"] == "PersonenPerSoortUitkeringWW_85"
    # the 2024 table has none of the older vacancy key; asking for it strictly says so
    with pytest.raises(KeyError, match="PercentageOnbewoond"):
        resolve_fields(p2024, ["PercentageOnbewoond"], strict=True)
    assert r2024["AantalInwoners"] == r2023["AantalInwoners"] == "AantalInwoners_5"
    assert r2024["Gemeentenaam"] == "Gemeentenaam_1"
    # every resolved key really is a key of that year's table
    keys_2023 = {p["Key"] for p in p2023}
    assert set(r2023.values()) <= keys_2023


def test_resolve_fields_exact_missing_and_ambiguous() -> None:
    props = [{"Key": "WijkenEnBuurten"}, {"Key": "Bijstand_3"}, {"Key": "Bijstand_7"}]
    assert resolve_fields(props, ["WijkenEnBuurten"]) == {"WijkenEnBuurten": "WijkenEnBuurten"}
    assert resolve_fields(props, ["Nope"]) == {}
    with pytest.raises(KeyError, match="Nope"):
        resolve_fields(props, ["Nope"], strict=True)
    with pytest.raises(ValueError, match="ambiguous"):
        resolve_fields(props, ["Bijstand"])
    # a prefix never matches a longer name: 'AantalInwoners' is not 'AantalInwonersX_4'
    assert resolve_fields([{"Key": "AantalInwonersX_4"}], ["AantalInwoners"]) == {}


def test_resolve_fields_by_unit_and_parent_when_base_names_repeat() -> None:
    """85984NED: Nederland_17 (aantal, group Geboorteland) and Nederland_20 (%, group
    Geboorteland (relatief)); the base name alone is ambiguous."""
    props = load("v3_85984NED_DataProperties.json")["value"]
    with pytest.raises(ValueError, match="ambiguous"):
        resolve_fields(props, ["Nederland"])
    assert resolve_fields(props, ["Nederland"], units={"Nederland": "count"}) == {
        "Nederland": "Nederland_17"
    }
    assert resolve_fields(props, ["Nederland"], units={"Nederland": "pct"}) == {
        "Nederland": "Nederland_20"
    }
    by_parent = resolve_fields(props, ["Nederland"], parents={"Nederland": "Geboorteland"})
    assert by_parent == {"Nederland": "Nederland_17"}


def test_region_filter_includes_districts_and_neighbourhoods() -> None:
    f = region_filter("WijkenEnBuurten", "gm0307")
    assert f == (
        "startswith(WijkenEnBuurten,'GM0307') or startswith(WijkenEnBuurten,'WK0307') "
        "or startswith(WijkenEnBuurten,'BU0307')"
    )
    assert region_filter("RegioS", "GM0307", include_subregions=False) == (
        "startswith(RegioS,'GM0307')"
    )
    with pytest.raises(ValueError):
        region_filter("RegioS", "GM0307') or (1 eq 1")


def test_geo_dimension_from_data_properties() -> None:
    assert geo_dimension_v3(load("v3_85984NED_DataProperties.json")["value"]) == "WijkenEnBuurten"
    with pytest.raises(ValueError, match="no region dimension"):
        geo_dimension_v3([{"Key": "Perioden", "Type": "TimeDimension"}], "X")


def test_v3_skip_paging_past_page_size(httpserver: HTTPServer) -> None:
    rows = load("v3_85984NED_TypedDataSet_GM0307.json")["value"]
    assert len(rows) == 13
    seen: list[dict[str, str]] = []
    httpserver.expect_request("/ODataApi/odata/85984NED/TypedDataSet").respond_with_handler(
        v3_rows_handler(rows, seen)
    )
    client = CbsODataClient(httpserver.url_for("/"), session=session(), page_size=5)
    got = list(client.typed_dataset("85984NED", filter="startswith(WijkenEnBuurten,'GM0307')"))
    assert got == rows
    assert [(q["$top"], q["$skip"]) for q in seen] == [("5", "0"), ("5", "5"), ("5", "10")]
    assert all(q["$format"] == "json" for q in seen)
    assert seen[0]["$filter"] == "startswith(WijkenEnBuurten,'GM0307')"
    assert (client.last_fetch.pages, client.last_fetch.rows) == (3, 13)


def test_v3_exact_multiple_of_page_size_asks_one_empty_page(httpserver: HTTPServer) -> None:
    rows = load("v3_85984NED_TypedDataSet_GM0307.json")["value"][:10]
    seen: list[dict[str, str]] = []
    httpserver.expect_request("/ODataApi/odata/85984NED/TypedDataSet").respond_with_handler(
        v3_rows_handler(rows, seen)
    )
    client = CbsODataClient(httpserver.url_for("/"), session=session(), page_size=5)
    assert len(list(client.typed_dataset("85984NED"))) == 10
    assert len(seen) == 3


def test_v3_bundle_shape_region_filter_and_dimension_codes(httpserver: HTTPServer) -> None:
    cbs = CbsStandIn(httpserver)
    client = CbsODataClient(cbs.v3_base, session=session(), page_size=5)
    bundle = client.v3_bundle("85984NED", region="GM0307")
    assert list(bundle) == [
        "format",
        "table_id",
        "base_url",
        "retrieved_at",
        "region",
        "data_properties",
        "dimensions",
        "rows",
    ]
    assert bundle["format"] == "cbs-odata-v3" and bundle["table_id"] == "85984NED"
    assert bundle["region"] == "GM0307"
    assert bundle["data_properties"] == load("v3_85984NED_DataProperties.json")["value"]
    assert bundle["rows"] == load("v3_85984NED_TypedDataSet_GM0307.json")["value"]
    assert [c["Key"].strip() for c in bundle["dimensions"]["WijkenEnBuurten"]][:2] == [
        "GM0307",
        "WK030701",
    ]
    assert bundle["retrieved_at"].endswith("Z")
    typed = [q for path, q in cbs.requests if path.endswith("/TypedDataSet")]
    assert "startswith(WijkenEnBuurten,'BU0307')" in typed[0]["$filter"]


def test_v3_category_dimension_codes_come_with_the_bundle(httpserver: HTTPServer) -> None:
    """83452NED: Afvalsoort is a plain Dimension; its codes and titles travel in the bundle
    so the parser can name the indicator after the waste kind."""
    cbs = CbsStandIn(httpserver)
    bundle = CbsODataClient(cbs.v3_base, session=session()).v3_bundle("83452NED", region="GM0307")
    assert {c["Key"]: c["Title"] for c in bundle["dimensions"]["Afvalsoort"]}["A025454"] == (
        "GFT-afval"
    )
    # the region, and the Nederland row it is compared with (a request of its own)
    assert {r["RegioS"].strip() for r in bundle["rows"]} == {"GM0307", "NL01"}
    typed = [q["$filter"] for path, q in cbs.requests if path.endswith("/TypedDataSet")]
    assert typed[-1] == "startswith(RegioS,'NL0')"


def test_region_not_in_table_is_an_error_not_an_empty_file(httpserver: HTTPServer) -> None:
    """83558NED's region dimension is Regiokenmerken (NL, landsdelen, provinces, size
    classes): a GM filter selects nothing, which must not pass as "no waste"."""
    cbs = CbsStandIn(httpserver)
    client = CbsODataClient(cbs.v3_base, session=session())
    with pytest.raises(EmptySelection) as err:
        client.v3_bundle("83558NED", region="GM0307")
    msg = str(err.value)
    assert "83558NED" in msg and "GM0307" in msg and "Regiokenmerken" in msg
    assert "NL01" in msg and "83452NED" in msg and "\n" not in msg
    assert not [p for p, _ in cbs.requests if p.endswith("/TypedDataSet")]  # checked first


def test_region_filter_returning_no_rows_is_an_error(httpserver: HTTPServer) -> None:
    """The dimension lists the municipality but the data has no row for it (a table whose
    data stop at provinces): 0 rows after the filter is an error too."""
    cbs = CbsStandIn(httpserver)
    cbs.overrides[("83452NED", "TypedDataSet")] = [
        r
        for r in load("v3_83452NED_TypedDataSet.json")["value"]
        if not r["RegioS"].startswith("GM0307")
    ]
    client = CbsODataClient(cbs.v3_base, session=session())
    with pytest.raises(EmptySelection, match="returned 0 rows"):
        client.v3_bundle("83452NED", region="GM0307")


def test_v3_response_without_value_is_bad_response(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/ODataApi/odata/85984NED/DataProperties").respond_with_json(
        {"odata.error": {"code": "", "message": {"lang": "nl", "value": "Fout"}}}
    )
    client = CbsODataClient(httpserver.url_for("/"), session=session())
    with pytest.raises(BadResponse, match="no 'value' list"):
        client.data_properties("85984NED")


def test_bad_table_id_refused() -> None:
    with pytest.raises(ValueError, match="85984NED"):
        CbsODataClient(session=session()).v3_url("../../etc", "TypedDataSet")


def test_v4_uses_the_catalogue_and_follows_next_link(httpserver: HTTPServer) -> None:
    cbs = CbsStandIn(httpserver, v4_page=20)
    client = CbsODataClient(v4_base_url=cbs.v4_base, session=session())
    assert client.v4_dataset_url("85984NED") == cbs.v4_base + "/CBS/85984NED"
    flt = region_filter("WijkenEnBuurten", "GM0307")
    got = list(client.observations("85984NED", filter=flt))
    expected = load("v4_85984NED_Observations_GM0307.json")["value"]
    assert got == expected and len(expected) == 65
    observations = [q for p, q in cbs.requests if p.endswith("/Observations")]
    assert [q.get("$skip") for q in observations] == [None, "20", "40", "60"]
    assert observations[0]["$filter"] == flt
    assert client.last_fetch.pages == 4
    catalogue = [q for p, q in cbs.requests if p.endswith("/Datasets")]
    assert catalogue == [{"$filter": "Identifier eq '85984NED'"}]  # asked once, then cached


def test_v4_table_missing_from_the_catalogue_is_not_found(httpserver: HTTPServer) -> None:
    cbs = CbsStandIn(httpserver)
    client = CbsODataClient(v4_base_url=cbs.v4_base, session=session())
    with pytest.raises(NotFound, match="99999NED is not in the OData v4 catalogue"):
        client.v4_dataset_url("99999NED")


def test_v4_default_base_is_datasets_cbs_nl() -> None:
    client = CbsODataClient(session=session())
    assert client.v4_base_url == "https://datasets.cbs.nl/odata/v1"
    assert not client.v4_legacy_layout
    legacy = CbsODataClient(v4_base_url="https://odata4.cbs.nl/CBS/", session=session())
    assert legacy.v4_legacy_layout and legacy.v4_url("85984NED", "Observations") == (
        "https://odata4.cbs.nl/CBS/85984NED/Observations"
    )


def test_v4_bundle_shape(httpserver: HTTPServer) -> None:
    cbs = CbsStandIn(httpserver, v4_page=20)
    client = CbsODataClient(v4_base_url=cbs.v4_base, session=session())
    bundle = client.v4_bundle("85984NED", region="GM0307")
    assert set(bundle) == {
        "format",
        "table_id",
        "base_url",
        "dataset_url",
        "retrieved_at",
        "region",
        "measure_codes",
        "measure_groups",
        "observations",
        "dimensions",
    }
    assert bundle["format"] == "cbs-odata-v4"
    assert bundle["dataset_url"] == cbs.v4_base + "/CBS/85984NED"
    assert bundle["measure_codes"] == load("v4_85984NED_MeasureCodes.json")["value"]
    assert bundle["measure_groups"] == load("v4_85984NED_MeasureGroups.json")["value"]
    assert bundle["dimensions"] == {
        "WijkenEnBuurten": load("v4_85984NED_WijkenEnBuurtenCodes.json")["value"]
    }
    assert len(bundle["observations"]) == 65
    observations = [q for p, q in cbs.requests if p.endswith("/Observations")]
    assert "startswith(WijkenEnBuurten,'WK0307')" in observations[0]["$filter"]


def test_v4_region_not_in_table_is_an_error(httpserver: HTTPServer) -> None:
    cbs = CbsStandIn(httpserver)
    client = CbsODataClient(v4_base_url=cbs.v4_base, session=session())
    with pytest.raises(EmptySelection, match="GM0308 is not in its region dimension"):
        client.v4_bundle("85984NED", region="GM0308")
