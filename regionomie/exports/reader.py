"""The reader files' views, in the reader's language: Dutch (or English) sheet names and
column headers from the message catalogue, municipality names beside codes, knowledge-base
texts in the language, yes/no instead of True/False, shares as percentages, CO₂e in tonnes,
jobs as whole numbers or ranges.

Every view starts from the engine's frames (after the SoleProprietorShield, which knows the
engine's column names) and returns a `View`: a titled frame whose columns are the headers a
person reads, with the kind of each column so the XLSX writer can give numbers their format
and the CSV writer its locale's decimal mark. Parquet keeps the engine's names: it is for tools.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from regionomie.i18n import Texts, _
from regionomie.i18n.knowledge import KnowledgeTexts, pathway_texts

#: column kinds: how a value is written (and formatted in Excel)
TEXT, INT, NUMBER, TONNES, EUR, KM, SHARE, CO2T, JOBS, YESNO, COORD = (
    "text", "int", "number", "tonnes", "eur", "km", "share", "co2t", "jobs", "yesno", "coord"
)  # fmt: skip
XLSX_FORMATS: dict[str, str] = {
    INT: "#,##0",
    NUMBER: "#,##0.0",
    TONNES: "#,##0.0",
    EUR: "€ #,##0",
    KM: "#,##0.0",
    SHARE: "0%",
    CO2T: "#,##0.0",
    COORD: "0.00000",
}


@dataclass
class View:
    """One sheet or file: a title, the frame with reader headers, and each column's kind."""

    key: str
    title: str
    frame: pd.DataFrame
    kinds: dict[str, str] = field(default_factory=dict)

    def formats(self) -> dict[str, str]:
        return {c: XLSX_FORMATS[k] for c, k in self.kinds.items() if k in XLSX_FORMATS}


@dataclass(frozen=True)
class Localiser:
    """The language's texts, knowledge texts and the municipality names of the region."""

    texts: Texts
    municipality_names: dict[str, str] = field(default_factory=dict)

    @property
    def kb(self) -> KnowledgeTexts:
        return KnowledgeTexts(self.texts.lang)

    @property
    def _(self) -> Callable[..., str]:
        return self.texts.gettext

    # --- column helpers -----------------------------------------------------------------

    def municipality(self, codes: pd.Series) -> pd.Series:
        return codes.map(lambda c: self.municipality_names.get(str(c), "") if pd.notna(c) else "")

    def materials(self, ids: pd.Series, fallback: pd.Series | None = None) -> pd.Series:
        """Material names in the language; unknown ids keep the engine's name (or the id)."""
        from regionomie.i18n.knowledge import material_names

        names = ids.map(material_names(self.texts.lang))
        if fallback is not None:
            names = names.where(names.notna() & (names != ""), fallback)
        return names.where(names.notna() & (names != ""), ids).astype(object)

    def _pathway_column(self, ids: pd.Series, column: str, fallback: pd.Series) -> pd.Series:
        table = pathway_texts(self.texts.lang)[column]
        out = ids.map(table)
        return out.where(out.notna() & (out != ""), fallback).fillna("")

    def uses(self, ids: pd.Series, fallback: pd.Series) -> pd.Series:
        return self._pathway_column(ids, "use_description", fallback)

    def receiver_labels(self, ids: pd.Series, fallback: pd.Series) -> pd.Series:
        return self._pathway_column(ids, "receiver_label", fallback)

    def caveats(self, ids: pd.Series, fallback: pd.Series) -> pd.Series:
        return self._pathway_column(ids, "caveats", fallback).str.replace(";", "; ")

    def sectors(self, codes: pd.Series) -> pd.Series:
        return codes.map(lambda c: self.kb.sector(str(c)) if pd.notna(c) else "")

    def yes_no(self, values: pd.Series) -> pd.Series:
        return values.map(self.texts.yes_no)

    def measured(self, sources: pd.Series) -> pd.Series:
        measured, estimated = self._("measured (LMA)"), self._("estimated")
        return sources.map(lambda s: measured if s == "lma" else estimated)

    def receiver_kinds(self, kinds: pd.Series) -> pd.Series:
        existing, startup = self._("existing company"), self._("new company (start-up)")
        return kinds.map(lambda k: startup if k == "sector" else existing)

    def jobs(self, values: pd.Series) -> pd.Series:
        return values.map(self.texts.jobs)

    def case_names(self, frame: pd.DataFrame) -> pd.Series:
        """'<Material> → <use> (<hub municipality>)', '[start-up]' when no receiver exists.
        A case without a knowledge-base pathway (a social case) or with a social mechanism
        (circular+social: the name says what the case does for people) keeps the engine's name."""
        known = frame["pathway_id"].isin(pathway_texts("en").index)
        if "case_kind" in frame:
            known = known & (frame["case_kind"].fillna("circular").astype(str) == "circular")
        material = self.materials(frame["material_id"], frame.get("material_name"))
        use = self.uses(frame["pathway_id"], frame["use_description"])
        hub = frame["hub_municipality"].map(lambda c: self.municipality_names.get(str(c), str(c)))
        tag = " " + self._("[start-up / new receiver]")
        startup = frame["is_startup"].astype(bool) if "is_startup" in frame else False
        engine = _col(frame, "name").fillna("").astype(str).str.replace(" -> ", " → ")
        names = [
            f"{_upper_first(m)} → {_lower_first(u)} ({h}){tag if s else ''}" if k else e
            for m, u, h, s, k, e in zip(
                material, use, hub, np.broadcast_to(startup, len(frame)), known, engine,
                strict=True,
            )
        ]  # fmt: skip
        return pd.Series(names, index=frame.index, dtype=object)

    def case_kinds(self, kinds: pd.Series) -> pd.Series:
        names = {
            "circular": self._("circular"),
            "social": self._("social"),
            "circular+social": self._("circular and social"),
        }
        return kinds.map(lambda k: names.get(str(k), str(k) if pd.notna(k) else ""))

    def alternative_uses(self, texts: pd.Series) -> pd.Series:
        """The engine lists other uses by their English description; look each one up."""
        english = pathway_texts("en")
        local = pathway_texts(self.texts.lang)
        by_text = dict(zip(english["use_description"], english.index, strict=True))

        def one(value: Any) -> str:
            if not isinstance(value, str) or not value:
                return ""
            parts = [p.strip() for p in value.split(";") if p.strip()]
            names = []
            for part in parts:
                pid = by_text.get(part)
                names.append(str(local.at[pid, "use_description"]) if pid in local.index else part)
            return "; ".join(names)

        return texts.map(one)

    # --- explanation --------------------------------------------------------------------

    def explanations(self, top: pd.DataFrame, material: pd.Series, use: pd.Series) -> pd.Series:
        """One readable sentence per candidate naming the figures behind its score."""
        t = self.texts
        sentences = []
        for i, row in enumerate(top.itertuples(index=False)):
            text = t.gettext(
                "{material} from {producer} ({tonnes} per year, {basis}) to {receiver} for "
                "{use}: {distance}, about {eur} per year, {co2} avoided, jobs: {jobs}. "
                "Score {score} of 100 (material {fit}, volume {volume}, social {social}).",
                material=_upper_first(str(material.iat[i])),
                producer=row.producer_name,
                tonnes=t.tonnes(row.supply_tonnes, approx=True),
                basis=t.gettext("measured (LMA)")
                if row.supply_source == "lma"
                else t.gettext("estimated"),
                receiver=row.receiver_name,
                use=_lower_first(str(use.iat[i])),
                distance=t.km(row.distance_km),
                eur=t.eur(row.economic_value_eur, approx=True),
                co2=t.co2e_kg(row.co2_avoided_kg),
                jobs=t.jobs(row.jobs),
                score=t.score(row.score),
                fit=t.score(row.material_fit),
                volume=t.score(row.volume_fit),
                social=t.score(row.social),
            )
            if _number(getattr(row, "employment_severity", 0)) >= 0.5:
                text += " " + t.gettext(
                    "Jobs in a municipality with above-average unemployment or benefit dependence."
                )
            if _number(getattr(row, "novelty", 1), 1.0) < 1:
                text += " " + t.gettext("This flow already exists (LMA).")
            sentences.append(text)
        return pd.Series(sentences, index=top.index, dtype=object)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:] if text else text


def _build(
    columns: Sequence[tuple[str, str, pd.Series]], texts: Texts
) -> tuple[pd.DataFrame, dict[str, str]]:  # noqa: E501
    """(frame with translated headers, {header: kind}) from (msgid, kind, values) triples."""
    data: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    for msgid, kind, values in columns:
        header = texts.gettext(msgid)
        series = values.reset_index(drop=True) if isinstance(values, pd.Series) else values
        if kind == SHARE or kind in (TONNES, EUR, KM, NUMBER, CO2T, COORD):
            series = pd.to_numeric(series, errors="coerce").astype("float64")
            if kind == EUR:
                series = series.round(0)
            elif kind == SHARE:
                series = series.round(4)
            elif kind == COORD:
                series = series.round(5)
            else:
                series = series.round(1)
        elif kind == INT:
            series = pd.to_numeric(series, errors="coerce").round(0).astype("Int64")
        data[header] = series
        kinds[header] = kind
    return pd.DataFrame(data), kinds


def _tonnes_of_kg(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce") / 1000.0


def _number(value: Any, default: float = 0.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return default if np.isnan(number) else number


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


# --- the views -----------------------------------------------------------------------------


def candidates_view(top: pd.DataFrame, loc: Localiser) -> View:
    """'Top kandidaten': leverancier x materiaal x afnemer, every score component."""
    material = loc.materials(top["material_id"], _col(top, "material_name"))
    use = loc.uses(top["pathway_id"], _col(top, "use_description"))
    receiver_label = loc.receiver_labels(top["pathway_id"], _col(top, "receiver_label"))
    is_startup = top["receiver_kind"] == "sector"
    startup_name = loc.texts.gettext("New company (start-up): {sector}")
    receiver_name = top["receiver_name"].where(
        ~is_startup, receiver_label.map(lambda s: startup_name.format(sector=s))
    )
    top = top.assign(receiver_name=receiver_name)
    columns = [
        (_("Rank"), INT, pd.Series(np.arange(1, len(top) + 1), index=top.index)),
        (_("Material"), TEXT, material),
        (_("Supplier"), TEXT, top["producer_name"]),
        (_("Supplier address"), TEXT, top["producer_address"]),
        (_("Supplier municipality"), TEXT, loc.municipality(top["producer_municipality"])),
        (_("Supplier municipality code"), TEXT, top["producer_municipality"]),
        (_("Supplier sector (NACE)"), TEXT, top["producer_nace"]),
        (_("Supplier sector"), TEXT, loc.sectors(top["producer_nace"])),
        (_("Use"), TEXT, use),
        (_("Receiver"), TEXT, receiver_name),
        (_("Kind of receiver"), TEXT, loc.receiver_kinds(top["receiver_kind"])),
        (_("Receiver address"), TEXT, top["receiver_address"].fillna("")),
        (_("Receiver municipality"), TEXT, loc.municipality(top["receiver_municipality"])),
        (_("Receiver municipality code"), TEXT, top["receiver_municipality"]),
        (_("Receiver sector (NACE)"), TEXT, top["receiver_nace"]),
        (_("Receiver sector"), TEXT, receiver_label),
        (_("Supply (t/year)"), TONNES, top["supply_tonnes"]),
        (_("Measured or estimated"), TEXT, loc.measured(top["supply_source"])),
        (_("Matched (t/year)"), TONNES, top["matched_tonnes"]),
        (_("Distance (km)"), KM, top["distance_km"]),
        (_("Transport cost (€/year)"), EUR, top["transport_cost_eur"]),
        (_("Revenue (€/year)"), EUR, top["economic_value_eur"]),
        (
            _("CO₂e avoided (t/year)"),
            CO2T,
            _tonnes_of_kg(top["co2_avoided_kg"]),
        ),
        (_("Jobs (indication)"), TEXT, loc.jobs(top["jobs"])),
        (_("Food or feed use"), YESNO, loc.yes_no(top["food_or_feed"])),
        (_("Hazardous waste"), YESNO, loc.yes_no(top["hazardous"])),
        (_("Score"), SHARE, top["score"]),
        (_("Material fit"), SHARE, top["material_fit"]),
        (_("Volume fit"), SHARE, top["volume_fit"]),
        (_("Proximity"), SHARE, top["proximity"]),
        (_("Economics"), SHARE, top["economic"]),
        (_("Climate"), SHARE, top["climate"]),
        (_("Social"), SHARE, top["social"]),
        (_("Novelty"), SHARE, top["novelty"]),
        (_("Explanation"), TEXT, loc.explanations(top, material, use)),
        (_("Evidence"), TEXT, top["evidence"].fillna("")),
        (_("Points of attention"), TEXT, loc.caveats(top["pathway_id"], _col(top, "caveats"))),
        (_("Business case"), TEXT, _col(top, "case_id").fillna("")),
        (_("Coalition"), TEXT, _col(top, "coalition_id").fillna("")),
        (_("Candidate id"), TEXT, top["candidate_id"]),
    ]
    frame, kinds = _build(columns, loc.texts)
    return View("candidates", loc.texts.gettext("Top candidates"), frame, kinds)


def cases_view(cases: pd.DataFrame, loc: Localiser) -> View:
    if cases.empty:
        frame, kinds = _build([(_("Rank"), INT, pd.Series(dtype=float))], loc.texts)
        return View("cases", loc.texts.gettext("Top business cases"), frame, kinds)
    columns = [
        (_("Rank"), INT, cases["rank"]),
        (_("Business case"), TEXT, loc.case_names(cases)),
        (_("Kind of case"), TEXT, loc.case_kinds(_col(cases, "case_kind"))),
        (_("Material"), TEXT, loc.materials(cases["material_id"], cases["material_name"])),
        (_("Use"), TEXT, loc.uses(cases["pathway_id"], cases["use_description"])),
        (_("Receiver sector"), TEXT,
         loc.receiver_labels(cases["pathway_id"], cases["receiver_label"])),
        (_("Receiver sector (NACE)"), TEXT, cases["receiver_nace"]),
        (_("Hub municipality"), TEXT, loc.municipality(cases["hub_municipality"])),
        (_("Hub municipality code"), TEXT, cases["hub_municipality"]),
        (_("Start-up needed"), YESNO, loc.yes_no(cases["is_startup"])),
        (_("Suppliers"), INT, cases["n_producers"]),
        (_("Receivers"), INT, cases["n_receivers"]),
        (_("Supply (t/year)"), TONNES, cases["supply_tonnes"]),
        (_("Matched (t/year)"), TONNES, cases["matched_tonnes"]),
        (_("Share estimated"), SHARE, cases["share_estimated"]),
        (_("Revenue (€/year)"), EUR, cases["economic_value_eur"]),
        (_("CO₂e avoided (t/year)"), CO2T, _tonnes_of_kg(cases["co2_avoided_kg"])),
        (_("Jobs (indication)"), TEXT, _col(cases, "jobs_range").fillna("").astype(str).where(
            _col(cases, "jobs_range").notna(), loc.jobs(cases["jobs"]))),
        (_("Score"), SHARE, cases["case_score"]),
        (_("Other uses of this material"), TEXT, loc.alternative_uses(cases["alternative_uses"])),
        (_("Coalition"), TEXT, cases["coalition_id"].fillna("")),
        (_("Business case id"), TEXT, cases["case_id"]),
    ]  # fmt: skip
    frame, kinds = _build(columns, loc.texts)
    return View("cases", loc.texts.gettext("Top business cases"), frame, kinds)


#: challenge id -> its reader name (msgid); the engine's label is Dutch only
CHALLENGE_NAMES: dict[str, str] = {
    "unemployment": _("Unemployment (WW benefits per inhabitant)"),
    "social_assistance": _("Social assistance (benefits per inhabitant)"),
    "disability_benefits": _("Work disability (benefits per inhabitant)"),
    "ageing": _("Ageing (share aged 65 and over)"),
    "loneliness": _("Living alone (one-person households as a share of households)"),
    "household_waste": _("Household waste (kg per inhabitant)"),
    "low_income": _("Low incomes (share of households on a low income)"),
    "low_average_income": _("Low average income per inhabitant"),
    "vacancy": _("Vacancy (share of empty dwellings)"),
}


#: the knowledge base's kinds of evidence -> their reader name (msgid)
EVIDENCE_TYPES: dict[str, str] = {
    "documented_exchange": _("documented exchange"),
    "industry_practice": _("industry practice"),
    "literature": _("literature"),
}


def evidence_text(text: str, texts: Texts) -> str:
    """'documented_exchange: Mussatto 2006 …' with the kind of evidence in the language."""
    kind, sep, rest = str(text or "").partition(":")
    if sep and kind.strip() in EVIDENCE_TYPES:
        return f"{texts.gettext(EVIDENCE_TYPES[kind.strip()])}: {rest.strip()}"
    return str(text or "")


def challenge_name(challenge_id: str, fallback: str, texts: Texts) -> str:
    msgid = CHALLENGE_NAMES.get(str(challenge_id))
    return texts.gettext(msgid) if msgid else fallback


def challenges_view(challenges: pd.DataFrame, loc: Localiser) -> View:
    t = loc.texts
    if challenges.empty:
        frame, kinds = _build([(_("Municipality"), TEXT, pd.Series(dtype=object))], t)
        return View("challenges", t.gettext("Challenges"), frame, kinds)
    unit = _col(challenges, "unit").fillna("share")
    is_share = unit == "share"
    value = pd.to_numeric(challenges["value"], errors="coerce")
    national = pd.to_numeric(_col(challenges, "national_value"), errors="coerce")
    unit_text = unit.map(
        {
            "share": t.gettext("share (%)"),
            "kg_per_inhabitant": t.gettext("kg per inhabitant"),
            "eur_1000_per_inhabitant": t.gettext("€ 1,000 per inhabitant"),
        }
    ).fillna("")
    worse = _col(challenges, "higher_is_worse").map(
        lambda w: t.gettext("higher") if w is True or w == "True" else t.gettext("lower")
    )
    columns = [
        (_("Municipality"), TEXT, loc.municipality(challenges["municipality_code"])),
        (_("Municipality code"), TEXT, challenges["municipality_code"]),
        (_("Challenge"), TEXT, pd.Series(
            [challenge_name(c, lbl, t) for c, lbl in zip(
                challenges["challenge_id"], challenges["label"], strict=True)],
            index=challenges.index)),
        (_("Value (share)"), SHARE, value.where(is_share)),
        (_("Value (other unit)"), NUMBER, value.where(~is_share)),
        (_("Unit"), TEXT, unit_text),
        (_("The Netherlands (share)"), SHARE, national.where(is_share)),
        (_("The Netherlands (other unit)"), NUMBER, national.where(~is_share)),
        (_("Worse when"), TEXT, worse),
        (_("Gap to the Netherlands"), SHARE, _col(challenges, "gap")),
        (_("Severity"), SHARE, challenges["severity"]),
        (_("Percentile among municipalities (1 = worst)"), SHARE, challenges["percentile"]),
        (_("Period"), TEXT, challenges["period"]),
        (_("Challenge id"), TEXT, challenges["challenge_id"]),
    ]  # fmt: skip
    frame, kinds = _build(columns, t)
    return View("challenges", t.gettext("Challenges"), frame, kinds)


def partners_view(partners: pd.DataFrame, loc: Localiser) -> View:
    t = loc.texts
    roles = {"leverancier": t.gettext("supplier"), "afnemer": t.gettext("receiver")}
    role = (
        partners["role"]
        .fillna("")
        .map(lambda r: "; ".join(roles.get(x, x) for x in r.split(";") if x))
        if len(partners)
        else pd.Series(dtype=object)
    )
    columns = [
        (_("Name"), TEXT, _col(partners, "name")),
        (_("Address"), TEXT, _col(partners, "address")),
        (_("Role"), TEXT, role),
        (_("Sector (NACE)"), TEXT, _col(partners, "nace_class")),
        (_("Sector"), TEXT, loc.sectors(_col(partners, "nace_class"))),
        (_("Municipality"), TEXT, loc.municipality(_col(partners, "municipality_code"))),
        (_("Municipality code"), TEXT, _col(partners, "municipality_code")),
        (_("Materials"), TEXT, _col(partners, "materials").fillna("").str.replace(";", "; ")),
        (_("Candidates"), INT, _col(partners, "n_candidates")),
        (_("Best score"), SHARE, _col(partners, "best_score")),
        (_("Establishment id"), TEXT, _col(partners, "establishment_id")),
    ]
    frame, kinds = _build(columns, t)
    return View("partners", t.gettext("Partners"), frame, kinds)


def _per_producer(cand: pd.DataFrame, loc: Localiser) -> pd.DataFrame:
    """One row per supplier: its materials with tonnes (largest first, as text), total supply,
    whether any of it was measured, its best three options across materials (as text) and
    the distance to its nearest receiver. Bounded by the number of suppliers, so a region of
    60,000 establishments stays a sheet Excel opens quickly. One pass over sorted plain lists
    (a pandas aggregation per supplier cost seconds)."""
    t = loc.texts
    if cand.empty:
        return pd.DataFrame(columns=["producer_id", "materials", "tonnes", "measured",
                                     "options", "best_score", "nearest_km"])  # fmt: skip
    supply = cand[["producer_id", "material_id", "material_name", "supply_tonnes",
                   "supply_source"]].drop_duplicates(["producer_id", "material_id"])  # fmt: skip
    names = loc.materials(supply["material_id"], _col(supply, "material_name")).tolist()
    tonnes = pd.to_numeric(supply["supply_tonnes"], errors="coerce").fillna(0.0).tolist()
    per: dict[str, list] = {}
    sources = supply["supply_source"].tolist()
    for pid, name, amount, source in zip(
        supply["producer_id"].tolist(), names, tonnes, sources, strict=True
    ):
        entry = per.setdefault(pid, [[], 0.0, False])
        entry[0].append((-amount, name))
        entry[1] += amount
        entry[2] = entry[2] or source == "lma"
    # `cand` comes best first (score, then id): a supplier's first three rows are its best
    rank = cand["producer_id"].groupby(cand["producer_id"].to_numpy(), sort=False).cumcount()
    best = cand[(rank < 3).to_numpy()]
    material = loc.materials(best["material_id"], _col(best, "material_name")).tolist()
    use = loc.uses(best["pathway_id"], _col(best, "use_description")).tolist()
    label = loc.receiver_labels(best["pathway_id"], _col(best, "receiver_label")).tolist()
    startup = t.gettext("New company (start-up): {sector}")
    option = t.gettext("{material} → {use}: {receiver} ({distance}, about {eur} per year)")
    options: dict[str, list[str]] = {}
    top: dict[str, float] = {}
    for pid, m, u, lab, kind, rec, dist, eur, score in zip(
        best["producer_id"].tolist(), material, use, label, best["receiver_kind"].tolist(),
        best["receiver_name"].tolist(), best["distance_km"].tolist(),
        best["economic_value_eur"].tolist(), best["score"].tolist(), strict=True,
    ):  # fmt: skip
        receiver = startup.format(sector=lab) if kind == "sector" else rec
        items = options.setdefault(pid, [])
        items.append(f"{len(items) + 1}. " + option.format(
            material=m, use=_lower_first(str(u)), receiver=receiver, distance=t.km(dist),
            eur=t.eur(eur, approx=True)))  # fmt: skip
        top[pid] = max(top.get(pid, float("-inf")), float(score))
    nearest = (
        cand[cand["receiver_kind"] == "establishment"]
        .groupby("producer_id", sort=True)["distance_km"]
        .min()
    )
    place = ["producer_id", "producer_name", "producer_address", "producer_municipality",
             "producer_nace", "producer_lat", "producer_lon"]  # fmt: skip
    first = cand[place].drop_duplicates("producer_id").set_index("producer_id")
    ids = sorted(per)
    out = pd.DataFrame(
        {
            "producer_id": ids,
            "materials": [
                "; ".join(f"{n} {t.tonnes(-a, approx=True)}" for a, n in sorted(per[i][0]))
                for i in ids
            ],  # fmt: skip
            "tonnes": [per[i][1] for i in ids],
            "measured": [per[i][2] for i in ids],
            "options": [" | ".join(options.get(i, [])) for i in ids],
            "best_score": [top.get(i) for i in ids],
        }
    ).set_index("producer_id")
    out = out.join(first)
    out["nearest_km"] = nearest.reindex(out.index)
    out["_municipality"] = loc.municipality(out["producer_municipality"])
    out = out.reset_index().sort_values(
        ["_municipality", "producer_name", "producer_id"], kind="stable"
    )
    return out.reset_index(drop=True)


def per_producer(cand: pd.DataFrame, loc: Localiser) -> pd.DataFrame:
    """One row per supplier (see _per_producer); `cand` must be sorted best first."""
    return _per_producer(cand, loc)


def producer_options_view(rows: pd.DataFrame, loc: Localiser) -> View:
    """'Wat kan ik met mijn reststroom?': every supplier (all kept candidates, not only the
    ranked top) with its materials and its three best options; `rows` from per_producer."""
    t = loc.texts
    columns = [
        (_("Supplier"), TEXT, rows["producer_name"]),
        (_("Supplier address"), TEXT, rows["producer_address"]),
        (_("Supplier municipality"), TEXT, rows["_municipality"]),
        (_("Materials (t/year)"), TEXT, rows["materials"]),
        (_("Supply (t/year)"), TONNES, rows["tonnes"]),
        (_("Measured or estimated"), TEXT, loc.measured(rows["measured"].map(
            lambda m: "lma" if m else "estimate"))),
        (_("Best options"), TEXT, rows["options"]),
        (_("Best score"), SHARE, rows["best_score"]),
        (_("Supplier id"), TEXT, rows["producer_id"]),
    ]  # fmt: skip
    frame, kinds = _build(columns, t)
    return View("producer_options", t.gettext("What can I do with my waste?"), frame, kinds)


def nearby_supply_view(rows: pd.DataFrame, loc: Localiser) -> View:
    """'Wie in de buurt levert X?': every supplier with its coordinates (sole proprietors at
    the centre of their 500 m cell), municipality, sector, materials with tonnes and the
    distance to its nearest receiver: filter the materials, sort on municipality or compare
    the coordinates with your own location."""
    t = loc.texts
    rows = rows.sort_values(
        ["_municipality", "producer_lat", "producer_lon", "producer_id"], kind="stable"
    )
    columns = [
        (_("Supplier"), TEXT, rows["producer_name"]),
        (_("Supplier address"), TEXT, rows["producer_address"]),
        (_("Supplier municipality"), TEXT, rows["_municipality"]),
        (_("Supplier municipality code"), TEXT, rows["producer_municipality"]),
        (_("Supplier sector"), TEXT, loc.sectors(rows["producer_nace"])),
        (_("Materials (t/year)"), TEXT, rows["materials"]),
        (_("Latitude (WGS84)"), COORD, rows["producer_lat"]),
        (_("Longitude (WGS84)"), COORD, rows["producer_lon"]),
        (_("Distance to nearest receiver (km)"), KM, rows["nearest_km"]),
        (_("Supplier id"), TEXT, rows["producer_id"]),
    ]
    frame, kinds = _build(columns, t)
    return View("nearby", t.gettext("Who nearby supplies X?"), frame, kinds)


def cascades_view(cascades: pd.DataFrame, loc: Localiser) -> View:
    t = loc.texts
    columns = [
        (_("Chain"), TEXT, chain_texts(cascades, loc)),
        (_("Steps"), INT, cascades["steps"]),
        (_("Partners"), TEXT, cascades["actors"].astype(str).str.replace(" -> ", " → ")),
        (_("Tonnes, first step (t/year)"), TONNES, cascades["tonnes_first_step"]),
        (_("Revenue (€/year)"), EUR, cascades["economic_value_eur"]),
        (
            _("CO₂e avoided (t/year)"),
            CO2T,
            _tonnes_of_kg(cascades["co2_avoided_kg"]),
        ),
        (_("Score"), SHARE, cascades["cascade_score"]),
        (_("Chain id"), TEXT, cascades["cascade_id"]),
    ]
    frame, kinds = _build(columns, t)
    return View("cascades", t.gettext("Cascades"), frame, kinds)


def chain_texts(cascades: pd.DataFrame, loc: Localiser) -> pd.Series:
    """'koffiedik (substraat voor oesterzwammen) → champost (…)' per chain, from its pathway
    ids; a chain of pathways the knowledge base does not know keeps the engine's text."""
    english = _pathway_materials()
    out = []
    for ids, fallback in zip(cascades["pathway_ids"], _col(cascades, "chain"), strict=True):
        parts = str(ids or "").split(";")
        if not ids or not all(pid in english for pid in parts):
            out.append(str(fallback or "").replace(" => ", " → ").replace(" -> ", " → "))
            continue
        out.append(
            " → ".join(
                f"{loc.kb.material(english[pid])} ({_lower_first(loc.kb.use(pid))})"
                for pid in parts
            )
        )
    return pd.Series(out, index=cascades.index, dtype=object)


@cache
def _pathway_materials() -> dict[str, str]:
    from regionomie.i18n.knowledge import _family
    from regionomie.paths import KNOWLEDGE_DIR

    frame = _family(KNOWLEDGE_DIR, "pathways")
    return dict(zip(frame["pathway_id"], frame["material_id"], strict=True))


def coalitions_view(coalitions: pd.DataFrame, loc: Localiser) -> View:
    t = loc.texts
    municipalities = (
        coalitions["municipalities"]
        .fillna("")
        .map(
            lambda codes: "; ".join(
                loc.municipality_names.get(c, c) for c in str(codes).split(";") if c
            )
        )
    )
    columns = [
        (_("Coalition"), TEXT, coalitions["coalition_id"]),
        (_("Actors"), INT, coalitions["n_actors"]),
        (_("Suppliers"), INT, coalitions["n_producers"]),
        (_("Receivers"), INT, coalitions["n_receivers"]),
        (_("Candidates"), INT, coalitions["n_candidates"]),
        (_("Materials"), TEXT, coalitions["materials"].fillna("").str.replace(";", "; ")),
        (_("Municipalities"), TEXT, municipalities),
        (_("Matched (t/year)"), TONNES, coalitions["matched_tonnes"]),
        (_("Mean score"), SHARE, coalitions["mean_score"]),
        (_("Lead actor"), TEXT, coalitions["lead_actor"]),
    ]
    frame, kinds = _build(columns, t)
    return View("coalitions", t.gettext("Coalitions"), frame, kinds)


def localised_notices(notices: list[str], loc: Localiser, sample: bool = False) -> list[str]:
    """The notices a reader must see first, in the language: the engine's synthetic-data
    notice (Dutch) becomes the catalogue's text; `sample` adds it when the caller knows."""
    from regionomie.domain import sources

    synthetic = getattr(sources, "SYNTHETIC_NOTICE", None)
    text = loc.texts.gettext(
        "Note: these results were computed on a synthetic sample (invented companies, waste "
        "streams and figures in the shape of the real sources). They say nothing about real "
        "companies or municipalities."
    )
    out = [text if n == synthetic else n for n in notices]
    if sample and text not in out:
        out.insert(0, text)
    return out


def readme_view(
    region_label: str, date: dt.date, n_candidates: int, n_in_sheet: int, loc: Localiser,
    notices: Sequence[str] = (), notes: Sequence[str] = (),
) -> View:  # fmt: skip
    t = loc.texts
    lines = [
        (t.gettext("Region"), region_label),
        (t.gettext("Reference date"), t.date(date)),
        (
            t.gettext("Candidates"),
            t.gettext(
                "{total} in all; in this file, the CSV and the GeoJSON: the {shown} best (per "
                "business case and per municipality), highest score first",
                total=t.number(n_candidates),
                shown=t.number(n_in_sheet),
            ),
        ),
        (
            t.gettext("Full list"),
            t.gettext("opportunities.parquet (every candidate, every column)"),
        ),
        (t.gettext("Top business cases"),
         t.gettext("candidates bundled per material and use, ranked")),
        (t.gettext("Top candidates"),
         t.gettext("supplier x material x receiver, with every score component")),
        (t.gettext("What can I do with my waste?"),
         t.gettext("every supplier with its materials and its three best options")),
        (t.gettext("Who nearby supplies X?"),
         t.gettext("every supplier with its materials, coordinates (WGS84) and the distance to "
                   "the nearest receiver: filter on the material, sort on the municipality or "
                   "compare the coordinates with your own location")),
        (t.gettext("Challenges"),
         t.gettext("CBS indicators per municipality, compared with the Netherlands")),
        (t.gettext("Partners"), t.gettext("establishments involved; sole proprietors only under a "
                                          "pseudonym and at the centre of a 500 m square")),
        (t.gettext("Score"), t.gettext(
            "weighted mean of material fit, volume fit, proximity, economics, climate, social "
            "value and novelty, 0 to 100 %")),
        (t.gettext("Transport"), t.gettext(
            "distance = straight line x 1.3; costs and CO₂e per tonne-kilometre are "
            "assumptions (configurable)")),
        (t.gettext("Jobs"), t.gettext(
            "an indication from jobs per 1,000 tonnes in the knowledge base: a whole number or "
            "a range, never a promise")),
    ]  # fmt: skip
    lines += [(t.gettext("Remark"), note) for note in notes]
    lines = [(t.gettext("Note"), notice) for notice in notices] + lines
    frame = pd.DataFrame(lines, columns=[t.gettext("Topic"), t.gettext("Explanation")])
    return View("readme", t.gettext("Explanation"), frame, {})
