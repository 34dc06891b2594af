"""Local stand-ins for the KvK and CBS APIs (on pytest-httpserver) that behave like the real
services where issue 14 found our assumptions wrong, serving the recorded-shape fixtures.

KvkStandIn serves both API generations under one base URL (`.../api`):
  v2: GET /v2/zoeken, /v1/basisprofielen/{kvkNummer}, /v1/vestigingsprofielen/{nr}
  v3: GET /v3/zoeken, /v1/organisatie/kvknummer/{kvkNummer}, /v1/vestigingen/vestigingsnummer/{nr}
and, like Zoeken: answers 401 without the key, 400 for a postcode without huisnummer or
postbusnummer, 404 IPD5200 for an empty search, pages with pagina/resultatenPerPagina and
reports `totaal` (which may exceed what it serves): it shows at most 1,000 results of a v2
query and 100 of a v3 query (api_zoeken.yaml 2.1.0 / api-zoeken-v3.yaml 3.0.0), pages past
the cap come back empty; a result carries postcode, huisnummer, huisletter and
huisnummerToevoeging only when the search was on postcode (KvK Zoeken documentation:
"Postcode en huisnummer worden niet standaard in het zoekresultaat getoond, tenzij hier op
wordt gezocht"); it filters on straatnaam and (v3) huisnummerToevoeging.

CbsStandIn serves OData v3 (`/ODataApi/odata/{table}/{entity}`: DataProperties,
TypedDataSet, one entity per dimension) and OData v4 the way datasets.cbs.nl lays it out
(`/odata/v1/Datasets` catalogue, `/odata/v1/CBS/{table}/{entity}`: Dimensions, {Dim}Codes,
MeasureCodes, MeasureGroups, Observations with @odata.nextLink). It evaluates the $filter
forms the client sends (`startswith(Field,'X') or ...`, `Identifier eq 'X'`), so a GM filter
on 83558NED's Regiokenmerken really returns nothing, as it does at CBS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FIXTURES = Path(__file__).parent / "fixtures" / "http"


def load(rel: str) -> Any:
    return json.loads((FIXTURES / rel).read_text(encoding="utf-8"))


def _json(body: Any, status: int = 200, ctype: str = "application/json") -> Response:
    return Response(json.dumps(body), status=status, content_type=ctype)


class KvkStandIn:
    """Both KvK API generations on one server; `requests` records (path, query) of each call."""

    def __init__(
        self,
        server: HTTPServer,
        key: str,
        results: list[dict[str, Any]] | None = None,
        *,
        reported_total: Callable[[dict[str, Any]], int | None] | None = None,
    ) -> None:
        self.server, self.key = server, key
        self.results = (
            results if results is not None else load("kvk/zoeken_results_amersfoort.json")
        )
        self.reported_total = reported_total
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        server.expect_request(re.compile(r"^/api/v[23]/zoeken$")).respond_with_handler(self._search)
        server.expect_request(
            re.compile(
                r"^/api/v1/(basisprofielen|vestigingsprofielen|organisatie/kvknummer"
                r"|vestigingen/vestigingsnummer)/\d+$"
            )
        ).respond_with_handler(self._profile)

    def _record(self, request: Request) -> Response | None:
        self.requests.append((request.path, request.args.to_dict(flat=False)))
        if request.headers.get("apikey") != self.key:
            return Response(status=401)
        return None

    def _search(self, request: Request) -> Response:
        refused = self._record(request)
        if refused is not None:
            return refused
        a = request.args
        if a.get("postcode") and not (a.get("huisnummer") or a.get("postbusnummer")):
            return _json(load("kvk/error_400_postcode_zonder_huisnummer.json"), 400)
        hits = self.results
        if a.get("plaats"):
            hits = [r for r in hits if _adres(r).get("plaats", "").lower() == a["plaats"].lower()]
        if a.get("straatnaam"):
            street = a["straatnaam"].lower()
            hits = [r for r in hits if _adres(r).get("straatnaam", "").lower() == street]
        if a.get("postcode"):
            hits = [
                r
                for r in hits
                if _adres(r).get("postcode") == a["postcode"]
                and str(_adres(r).get("huisnummer")) == a.get("huisnummer")
            ]
        if a.get("huisnummerToevoeging"):
            if "/v3/" not in request.path:
                return _json({"fout": [{"omschrijving": "onbekende parameter"}]}, 400)
            extra = a["huisnummerToevoeging"]
            hits = [r for r in hits if _adres(r).get("huisnummerToevoeging") == extra]
        if a.get("kvkNummer"):
            hits = [r for r in hits if r.get("kvkNummer") == a["kvkNummer"]]
        types = a.getlist("type")
        if types:
            hits = [r for r in hits if r.get("type") in types]
        if not hits:
            return _json(load("kvk/ipd5200_not_found.json"), 404)
        page = int(a.get("pagina", "1"))
        size = int(a.get("resultatenPerPagina", "10"))
        total = self.reported_total(a) if self.reported_total else None
        shown = hits[: ZOEKEN_CAP["v3" if "/v3/" in request.path else "v2"]]
        if not a.get("postcode"):
            shown = [_without_postcode(r) for r in shown]
        body = {
            "pagina": page,
            "resultatenPerPagina": size,
            "totaal": len(hits) if total is None else total,
            "resultaten": shown[(page - 1) * size : page * size],
            "links": [{"rel": "self", "href": request.url}],
        }
        return _json(body, ctype="application/hal+json")

    def _profile(self, request: Request) -> Response:
        refused = self._record(request)
        if refused is not None:
            return refused
        number = request.path.rsplit("/", 1)[1]
        if "/basisprofielen/" in request.path:
            return _json({**load("kvk/basisprofiel_90001234.json"), "kvkNummer": number})
        if "/vestigingsprofielen/" in request.path:
            body = load("kvk/vestigingsprofiel_000050000000_geo.json")
            return _json({**body, "vestigingsnummer": number})
        if "/organisatie/" in request.path:
            body = load("kvk/organisatie_68750110.json")
            body["kvkNummer"] = body["maatschappelijkeActiviteit"]["kvkNummer"] = number
            for v in body["vestigingen"]:
                v["kvkNummer"] = number
            return _json(body)
        return _json({**load("kvk/vestigingen_000037178598.json"), "vestigingsnummer": number})


ZOEKEN_CAP = {"v2": 1000, "v3": 100}
_SEARCHED_ONLY = ("postcode", "huisnummer", "huisletter", "huisnummerToevoeging")


def _adres(result: dict[str, Any]) -> dict[str, Any]:
    return (result.get("adres") or {}).get("binnenlandsAdres") or {}


def _without_postcode(result: dict[str, Any]) -> dict[str, Any]:
    """A result as a search not on postcode shows it: no postcode nor house number."""
    adres = result.get("adres") or {}
    inner = adres.get("binnenlandsAdres")
    if not isinstance(inner, dict):
        return result
    kept = {k: v for k, v in inner.items() if k not in _SEARCHED_ONLY}
    return {**result, "adres": {**adres, "binnenlandsAdres": kept}}


_STARTSWITH = re.compile(r"^startswith\((\w+),'([^']*)'\)$")
_EQ = re.compile(r"^(\w+) eq '([^']*)'$")


def odata_filter(expression: str | None) -> Callable[[dict[str, Any]], bool]:
    """The subset of OData $filter the connectors send: clauses `startswith(F,'x')` or
    `F eq 'x'` joined by ' or '. Anything else raises ValueError (answered as HTTP 400)."""
    if not expression:
        return lambda row: True
    clauses = []
    for part in expression.split(" or "):
        part = part.strip()
        while part.startswith("(") and part.endswith(")"):
            part = part[1:-1].strip()
        m = _STARTSWITH.match(part)
        if m:
            field, prefix = m.groups()
            clauses.append(lambda r, f=field, p=prefix: str(r.get(f, "")).startswith(p))
            continue
        m = _EQ.match(part)
        if m:
            field, value = m.groups()
            clauses.append(lambda r, f=field, v=value: str(r.get(f, "")).strip() == v)
            continue
        raise ValueError(f"unsupported $filter clause {part!r}")
    return lambda row: any(c(row) for c in clauses)


V3_TABLES: dict[str, dict[str, str]] = {
    # table -> {entity: fixture file}; dimension entities are named after the dimension
    "86165NED": {
        "DataProperties": "cbs/v3_86165NED_DataProperties.json",
        "TypedDataSet": "cbs/v3_86165NED_TypedDataSet_GM0307.json",
        "WijkenEnBuurten": "cbs/v3_86165NED_WijkenEnBuurten.json",
    },
    "85984NED": {
        "DataProperties": "cbs/v3_85984NED_DataProperties.json",
        "TypedDataSet": "cbs/v3_85984NED_TypedDataSet_GM0307.json",
        "WijkenEnBuurten": "cbs/v3_85984NED_WijkenEnBuurten.json",
    },
    "85618NED": {
        "DataProperties": "cbs/v3_85618NED_DataProperties.json",
        "TypedDataSet": "cbs/v3_85618NED_TypedDataSet_GM0307.json",
        "WijkenEnBuurten": "cbs/v3_85618NED_WijkenEnBuurten.json",
    },
    "83452NED": {
        "DataProperties": "cbs/v3_83452NED_DataProperties.json",
        "TypedDataSet": "cbs/v3_83452NED_TypedDataSet.json",
        "Afvalsoort": "cbs/v3_83452NED_Afvalsoort.json",
        "RegioS": "cbs/v3_83452NED_RegioS.json",
    },
    "83558NED": {
        "DataProperties": "cbs/v3_83558NED_DataProperties.json",
        "TypedDataSet": "cbs/v3_83558NED_TypedDataSet.json",
        "Regiokenmerken": "cbs/v3_83558NED_Regiokenmerken.json",
    },
}
V4_TABLES: dict[str, tuple[str, ...]] = {
    "85984NED": ("Dimensions", "MeasureCodes", "MeasureGroups", "WijkenEnBuurtenCodes"),
    # "Gebieden in Nederland 2024" (identifier illustrative: the client finds it by title)
    "85755NED": ("Dimensions", "MeasureCodes", "MeasureGroups", "RegioSCodes"),
}
V4_OBSERVATIONS = {
    "85984NED": "cbs/v4_85984NED_Observations_GM0307.json",
    "85755NED": "cbs/v4_85755NED_Observations.json",
}


class CbsStandIn:
    """OData v3 and v4 for the fixture tables. `overrides` replaces a v3 entity's value list
    ({(table, entity): [rows]}) for a test; `requests` records (path, query)."""

    def __init__(self, server: HTTPServer, *, v4_page: int = 20) -> None:
        self.server = server
        self.v4_page = v4_page
        self.overrides: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server.expect_request(re.compile(r"^/ODataApi/odata/\w+/\w+$")).respond_with_handler(
            self._v3
        )
        server.expect_request("/odata/v1/Datasets").respond_with_handler(self._catalogue)
        server.expect_request(re.compile(r"^/odata/v1/CBS/\w+/\w+$")).respond_with_handler(self._v4)

    @property
    def v3_base(self) -> str:
        return self.server.url_for("/").rstrip("/")

    @property
    def v4_base(self) -> str:
        return self.server.url_for("/odata/v1")

    def v3_values(self, table: str, entity: str) -> list[dict[str, Any]]:
        if (table, entity) in self.overrides:
            return self.overrides[(table, entity)]
        return load(V3_TABLES[table][entity])["value"]

    def _v3(self, request: Request) -> Response:
        self.requests.append((request.path, request.args.to_dict()))
        _, table, entity = request.path.rsplit("/", 2)
        if table not in V3_TABLES or entity not in V3_TABLES[table]:
            return _json({"odata.error": {"code": "", "message": {"value": "Not found"}}}, 404)
        try:
            keep = odata_filter(request.args.get("$filter"))
        except ValueError as exc:
            return _json({"odata.error": {"code": "", "message": {"value": str(exc)}}}, 400)
        rows = [r for r in self.v3_values(table, entity) if keep(r)]
        skip = int(request.args.get("$skip", "0"))
        top = int(request.args.get("$top", str(len(rows) or 1)))
        return _json({"odata.metadata": "x", "value": rows[skip : skip + top]})

    def _catalogue(self, request: Request) -> Response:
        self.requests.append((request.path, request.args.to_dict()))
        keep = odata_filter(request.args.get("$filter"))
        entries = [e for e in load("cbs/v4_Datasets.json")["value"] if keep(e)]
        return _json({"@odata.context": "x", "value": entries})

    def _v4(self, request: Request) -> Response:
        self.requests.append((request.path, request.args.to_dict()))
        _, table, entity = request.path.rsplit("/", 2)
        if table not in V4_TABLES:
            return _json({"error": {"code": "404", "message": "Dataset not found"}}, 404)
        if entity != "Observations":
            if entity not in V4_TABLES[table]:
                return _json({"error": {"code": "404", "message": "Not found"}}, 404)
            return _json(load(f"cbs/v4_{table}_{entity}.json"))
        keep = odata_filter(request.args.get("$filter"))
        rows = [o for o in load(V4_OBSERVATIONS[table])["value"] if keep(o)]
        skip = int(request.args.get("$skip", "0"))
        body: dict[str, Any] = {"value": rows[skip : skip + self.v4_page]}
        if skip + self.v4_page < len(rows):
            query = {"$skip": skip + self.v4_page}
            if request.args.get("$filter"):
                query["$filter"] = request.args["$filter"]
            body["@odata.nextLink"] = f"{request.base_url}?{urlencode(query)}"
        return _json(body)
