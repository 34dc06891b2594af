"""Export writers: every file of one region and date, through one entry point, write_exports:
the ranked candidates, business cases, cards, challenges, partners, cascades and coalitions as
Parquet, CSV, Excel (tabular.py), GeoJSON and JSON (geojson.py) and a self-contained HTML
report (report.py), published all at once with a manifest and a `latest` pointer (publish.py).

Idempotence: the same inputs give byte-identical files. Rows are sorted, floats rounded, JSON
keys sorted, the xlsx zip entries and document properties carry the passed date (never the
wall clock), and nothing else time-dependent is written.

Privacy: writers only read display columns (`*_name` produced by the engine, pseudonymised for
sole proprietors) - never `trade_name`. Every writer passes its data through
`SoleProprietorShield` (regionomie.domain.privacy): a sole proprietor's establishment and KvK
numbers become keyed pseudonyms and its location the centre of a 500 m cell.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regionomie.domain.anonymity import Generalisation, generalise_actors
from regionomie.domain.opportunities.common import add_display_columns
from regionomie.domain.privacy import SoleProprietorShield
from regionomie.exports.geojson import flows_geojson, points_geojson, write_json
from regionomie.exports.publish import (
    MANIFEST,
    publish,
    recover,
    start_build,
    update_latest,
    write_manifest,
)
from regionomie.exports.tabular import (
    SafetyCounts,
    clean_frame,
    write_csv,
    write_parquet,
    write_xlsx,
)
from regionomie.fileio import is_storage_full, make_dirs
from regionomie.i18n import Texts, check_language
from regionomie.paths import exports_dir

TOP_PER_CASE = 50  # candidates per business case in the CSV/XLSX/GeoJSON
TOP_PER_MUNICIPALITY = 100  # best candidates per producer municipality in the same files


class ExportError(RuntimeError):
    """An export could not be completed; nothing partial was published."""


def partners_table(candidates: pd.DataFrame, establishments: pd.DataFrame) -> pd.DataFrame:
    """Every actor in the candidates with role, pseudonymised name, address, sector, volumes."""
    actors = add_display_columns(establishments).drop_duplicates("establishment_id")
    actors = actors.set_index("establishment_id")
    prod = candidates.groupby("producer_id", sort=True).agg(
        materials=("material_name", lambda s: ";".join(sorted(set(map(str, s))))),
        n_candidates=("candidate_id", "count"),
        best_score=("score", "max"),
    )
    prod["role"] = "leverancier"
    rec_only = candidates[candidates["receiver_kind"] == "establishment"]
    rec = rec_only.groupby("receiver_id", sort=True).agg(
        materials=("material_name", lambda s: ";".join(sorted(set(map(str, s))))),
        n_candidates=("candidate_id", "count"),
        best_score=("score", "max"),
    )
    rec["role"] = "afnemer"
    both = pd.concat([prod, rec])
    both.index.name = "establishment_id"
    both = both.reset_index()
    both = both.groupby("establishment_id", sort=True).agg(
        role=("role", lambda s: ";".join(sorted(set(s)))),
        materials=("materials", lambda s: ";".join(sorted(set(";".join(s).split(";"))))),
        n_candidates=("n_candidates", "sum"),
        best_score=("best_score", "max"),
    )
    both = both.join(
        actors[
            [
                "display_name",
                "display_address",
                "nace_class",
                "sector_label",
                "municipality_code",
                "lat",
                "lon",
            ]
        ],
        how="left",
    )
    both = both.reset_index().rename(columns={"display_name": "name", "display_address": "address"})
    cols = [
        "establishment_id",
        "name",
        "address",
        "role",
        "nace_class",
        "sector_label",
        "municipality_code",
        "materials",
        "n_candidates",
        "best_score",
        "lat",
        "lon",
    ]
    return both[cols].sort_values("establishment_id").reset_index(drop=True)


def ranked_top(
    candidates: pd.DataFrame,
    top_per_case: int = TOP_PER_CASE,
    top_per_municipality: int = TOP_PER_MUNICIPALITY,
) -> pd.DataFrame:
    """The candidates a person reads: the best `top_per_case` of every business case and the
    best `top_per_municipality` per producer municipality, best first, every column kept.
    `candidates` must be sorted best first."""
    if candidates.empty:
        return candidates
    picked = np.zeros(len(candidates), dtype=bool)
    if "case_id" in candidates:
        in_case = candidates["case_id"].notna() & (candidates["case_id"].astype(str) != "")
        rank = candidates[in_case].groupby("case_id", sort=False).cumcount()
        picked[np.flatnonzero(in_case.to_numpy())[(rank < top_per_case).to_numpy()]] = True
    municipality = candidates["producer_municipality"].fillna("")
    picked |= (
        municipality.groupby(municipality, sort=False).cumcount() < top_per_municipality
    ).to_numpy()
    return candidates[picked].reset_index(drop=True)


def write_exports(
    region: str,
    candidates: pd.DataFrame,
    business_cases: pd.DataFrame,
    cards: list[dict[str, Any]],
    challenges: pd.DataFrame,
    establishments: pd.DataFrame,
    out_root: Path | None = None,
    date: dt.date | str | None = None,
    cascades: pd.DataFrame | None = None,
    coalitions: pd.DataFrame | None = None,
    municipalities: pd.DataFrame | None = None,
    region_label: str | None = None,
    pseudonym_key: bytes | None = None,
    top_per_case: int = TOP_PER_CASE,
    top_per_municipality: int = TOP_PER_MUNICIPALITY,
    lang: str | None = None,
    sample: bool = False,
    extras: Sequence[tuple[str, str, pd.DataFrame]] = (),
    anonymity_k: int | None = None,
    notices: list[str] | None = None,
    notes: list[str] | None = None,
) -> dict[str, Path]:
    """Write every export of one region into out_root/<region>/<YYYY-MM-DD>/ and update
    `latest`. Returns {kind: path}. `date` is required (regionomie.flow.export_date gives
    today in Europe/Amsterdam) and is the only date written into files. pseudonym_key
    defaults to regionomie.settings.pseudonym_key(). `lang`: the readers' language ('nl',
    the default, or 'en'); `sample`: the data is the shipped synthetic sample (said on top of
    the report, the workbook and the cards). `notices` (e.g. that the data are synthetic)
    stand at the top of the report, the XLSX and every card; `notes` (why there are no social
    cases) beside the cases in the report and in the explanation sheet.

    `extras` are further tables as (kind, sheet title, frame): each is written as
    `<kind>.csv` and as a sheet of the workbook (open-data mode: sector density and
    sector-level supply estimates). pseudonym_key is salted per REGIONOMIE_EXPORT_SALT;
    anonymity_k defaults to REGIONOMIE_ANONYMITY_K.

    Raises ExportError (one line) when the files cannot be written, e.g. a full disk; the
    previous export and `latest` are then left exactly as they were."""
    out_root = Path(out_root) if out_root is not None else exports_dir()
    if date is None:
        raise ValueError("write_exports: an export date is required (see flow.export_date)")
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    lang = check_language(lang)
    if pseudonym_key is None:  # REGIONOMIE_EXPORT_SALT may unlink this export from others
        from regionomie.settings import export_salt
        from regionomie.settings import pseudonym_key as configured_key

        pseudonym_key = configured_key(export_salt(region, date.isoformat()))
    shield = SoleProprietorShield.from_establishments(establishments, pseudonym_key)
    anonymity = _generalise(establishments, anonymity_k, municipalities, region_label or region)
    region_dir = out_root / region
    _make_dir(out_root)
    _make_dir(region_dir)
    recover(region_dir)
    final = region_dir / date.isoformat()
    build = start_build(region_dir, date)
    try:
        names = _write_all(
            build,
            region=region,
            date=date,
            shield=shield,
            anonymity=anonymity,
            candidates=candidates,
            business_cases=business_cases,
            cards=cards,
            challenges=challenges,
            establishments=establishments,
            cascades=cascades,
            coalitions=coalitions,
            municipalities=municipalities,
            region_label=region_label,
            top_per_case=top_per_case,
            top_per_municipality=top_per_municipality,
            pruning=candidates.attrs.get("pruning"),
            lang=lang,
            sample=sample,
            extras=extras,
            notices=list(notices or ()),
            notes=list(notes or ()),
        )
        publish(build, final)
    except BaseException as exc:
        shutil.rmtree(build, ignore_errors=True)
        if isinstance(exc, OSError):
            why = "disk full" if is_storage_full(exc) else "cannot write"
            reason = exc.strerror or str(exc).splitlines()[0][:160] or type(exc).__name__
            raise ExportError(
                f"exports of {region} for {date.isoformat()}: {why} under {region_dir} "
                f"({reason}); nothing was published, latest is unchanged"
            ) from exc
        raise
    paths = {kind: final / name for kind, name in names.items()}
    paths["latest"] = update_latest(region_dir)
    return paths


def _generalise(
    establishments: pd.DataFrame,
    k: int | None,
    municipalities: pd.DataFrame | None,
    region_label: str,
) -> Generalisation:
    """The k-anonymity step (regionomie.domain.anonymity), once per export: what every
    pseudonymous actor is shown with."""
    if k is None:
        from regionomie.settings import anonymity_k

        k = anonymity_k()
    names = (
        dict(zip(municipalities["municipality_code"], municipalities["name"], strict=True))
        if municipalities is not None and len(municipalities)
        else None
    )
    return generalise_actors(
        establishments, k, region_municipalities=names, region_label=region_label
    )


def _make_dir(path: Path) -> None:
    """Create a missing folder (project permissions); an existing one is left as it is."""
    if not path.exists():
        make_dirs(path)


def _personal_actors(cand: pd.DataFrame, anonymity: Generalisation) -> set[str]:
    """The pseudonymous actors the export holds: personal producers and receivers."""
    ids: set[str] = set()
    for column in ("producer_id", "receiver_id"):
        if column in cand.columns:
            ids.update(str(v) for v in pd.unique(cand[column].dropna()))
    return {i for i in ids if i in anonymity.actors}


def _best_first(cand: pd.DataFrame) -> bool:
    """Whether the rows are already by score desc, then candidate_id (checked in one pass)."""
    if len(cand) < 2:
        return True
    score = cand["score"].to_numpy(dtype="float64")
    ids = cand["candidate_id"].to_numpy(dtype=object)
    if np.isnan(score).any():
        return False
    same = score[:-1] == score[1:]
    try:
        return bool(((score[:-1] > score[1:]) | (same & (ids[:-1] < ids[1:]))).all())
    except TypeError:  # a missing id: let the sort decide
        return False


def _write_all(
    folder: Path,
    *,
    region: str,
    date: dt.date,
    shield: SoleProprietorShield,
    anonymity: Generalisation,
    candidates: pd.DataFrame,
    business_cases: pd.DataFrame,
    cards: list[dict[str, Any]],
    challenges: pd.DataFrame,
    establishments: pd.DataFrame,
    cascades: pd.DataFrame | None,
    coalitions: pd.DataFrame | None,
    municipalities: pd.DataFrame | None,
    region_label: str | None,
    top_per_case: int,
    top_per_municipality: int,
    pruning: dict[str, int] | None,
    lang: str = "nl",
    sample: bool = False,
    extras: Sequence[tuple[str, str, pd.DataFrame]] = (),
    notices: list[str] | None = None,
    notes: list[str] | None = None,
) -> dict[str, str]:
    """Every export file into `folder`, manifest last. Returns {kind: file name}.
    Tools get the engine's columns (Parquet); people get views in their language (CSV, XLSX,
    GeoJSON, cards, report)."""
    from regionomie.exports import reader
    from regionomie.exports.report import localise_cards, render_report

    counts = SafetyCounts()
    cand = clean_frame(candidates)
    if not _best_first(cand):  # the engine hands them ranked; anything else is sorted here
        cand = cand.sort_values(["score", "candidate_id"], ascending=[False, True])
        cand = cand.reset_index(drop=True)
    top = ranked_top(cand, top_per_case, top_per_municipality)
    cases = clean_frame(business_cases)
    chall = clean_frame(challenges)
    if not chall.empty:
        chall = chall.sort_values(["municipality_code", "challenge_id"]).reset_index(drop=True)
    partners = partners_table(top, establishments) if not top.empty else pd.DataFrame()
    # k-anonymity: pseudonymous actors shown only with a sector and area k others share
    exported = _personal_actors(cand, anonymity)
    cand, top, cases, partners = map(anonymity.apply_frame, (cand, top, cases, partners))
    cards = anonymity.apply_json(cards)
    cascades, coalitions = map(anonymity.apply_frame, (cascades, coalitions))
    names: dict[str, str] = {}
    if municipalities is not None and not municipalities.empty:
        names = dict(
            zip(
                municipalities["municipality_code"].astype(str),
                municipalities["name"].astype(str),
                strict=False,
            )
        )
    loc = reader.Localiser(Texts(lang), names)
    notices = reader.localised_notices(list(notices or ()), loc, sample)
    notes = list(notes or ())
    # The shield first, on the engine's column names (it knows which coordinates belong to
    # whom); the views rename the columns afterwards.
    safe_top = shield.protect_frame(top)
    safe_partners = shield.protect_frame(partners) if len(partners) else partners
    written: dict[str, str] = {}
    sep, decimal = (";", ",") if lang == "nl" else (",", ".")

    def put(kind: str, name: str, write: Callable[[Path], object]) -> None:
        write(folder / name)
        written[kind] = name

    def csv(view: reader.View) -> Callable[[Path], object]:
        return lambda p: write_csv(
            view.frame, p, shield=shield, counts=counts, sep=sep, decimal=decimal
        )

    candidates_view = reader.candidates_view(safe_top, loc) if len(top) else None
    cases_view = reader.cases_view(cases, loc)
    # Every candidate, for tools; the ranked top, for people.
    put("parquet", "opportunities.parquet", lambda p: write_parquet(cand, p, shield=shield))
    if candidates_view is not None:
        put("csv", "opportunities.csv", csv(candidates_view))
    else:
        put("csv", "opportunities.csv", lambda p: write_csv(top, p, shield=shield, counts=counts))
    put("business_cases_csv", "business_cases.csv", csv(cases_view))
    local_cards = localise_cards(shield.protect_json(cards), cases, loc)
    if notices:
        local_cards = [{"notices": notices, **card} for card in local_cards]
    put(
        "cards_json",
        "business_case_cards.json",
        lambda p: write_json(
            {"language": lang, "notices": notices, "cards": local_cards}, p, shield=shield
        ),
    )
    views: list[reader.View] = [cases_view]
    if candidates_view is not None:
        views.append(candidates_view)
    if len(cand):
        # one row per supplier, from every kept candidate; shielded once it is that small
        producers = shield.protect_frame(reader.per_producer(cand, loc))
        views.append(reader.producer_options_view(producers, loc))
        views.append(reader.nearby_supply_view(producers, loc))
    views.append(reader.challenges_view(chall, loc))
    if len(partners):
        views.append(reader.partners_view(safe_partners, loc))
    if cascades is not None and not cascades.empty:
        views.append(reader.cascades_view(shield.protect_frame(clean_frame(cascades)), loc))
    if coalitions is not None and not coalitions.empty:
        views.append(reader.coalitions_view(clean_frame(coalitions), loc))
    for kind, title, frame in extras:
        extra = clean_frame(frame)
        put(
            kind,
            f"{kind}.csv",
            lambda p, f=extra: write_csv(
                f, p, shield=shield, counts=counts, sep=sep, decimal=decimal
            ),
        )
        views.append(reader.View(kind, title, extra, {}))
    views.append(
        reader.readme_view(region_label or region, date, len(cand), len(top), loc, notices, notes)
    )
    if notices:  # what a reader must know first: the explanation sheet opens the workbook
        views.insert(0, views.pop())
    sheets = [(v.title, v.frame, v.formats()) for v in views]
    put(
        "xlsx",
        "opportunities.xlsx",
        lambda p: write_xlsx(sheets, p, date, shield=shield, counts=counts),
    )
    flows = (
        flows_geojson(safe_top, loc) if len(top) else {"type": "FeatureCollection", "features": []}
    )
    points = (
        points_geojson(safe_partners, _supply_per_producer(safe_top), loc)
        if len(partners)
        else {"type": "FeatureCollection", "features": []}
    )
    put(
        "geojson_flows",
        "opportunities_flows.geojson",
        lambda p: write_json(flows, p, shield=shield),
    )
    put(
        "geojson_points",
        "opportunities_points.geojson",
        lambda p: write_json(points, p, shield=shield),
    )
    sizes = {name: (folder / name).stat().st_size for name in sorted(written.values())}
    report = render_report(
        region=region,
        region_label=region_label or region,
        date=date,
        candidates=safe_top,
        cases=shield.protect_frame(cases),
        cards=local_cards,
        challenges=chall,
        municipalities=municipalities,
        cascades=shield.protect_frame(cascades) if cascades is not None else None,
        n_candidates=len(cand),
        file_sizes=sizes,
        pruning=pruning,
        loc=loc,
        notices=notices,
        notes=notes,
    )
    put("html", "report.html", lambda p: p.write_text(report, encoding="utf-8"))
    write_manifest(folder, region, date, counts, shield, anonymity=anonymity.report(exported))
    written["manifest"] = MANIFEST
    return written


def _supply_per_producer(top: pd.DataFrame) -> pd.DataFrame:
    """producer_id -> tonnes per year over its materials, and whether any was measured."""
    per = top.drop_duplicates(["producer_id", "material_id"])
    return (
        per.assign(measured=per["supply_source"] == "lma")
        .groupby("producer_id", sort=True)
        .agg(tonnes=("supply_tonnes", "sum"), measured=("measured", "any"))
        .reset_index()
    )
