"""Who produces how much of which material, per establishment and year, without counting any
tonne twice.

Observed beats estimated. A waste stream reported to LMA (an afvalstroomnummer linked to its
producing establishment as ontdoener or herkomst) is attributed to materials by
attribution.py: its description, a cited composition, the producer's class, else it stays
unclassified; its shares add up to one, so the supply of a region never exceeds what LMA
reports. Tonnes per year are averaged over the years reported, one extract type per
stream-year (the larger), so ontvangst and afgifte of one delivery are not summed. Where a
producer reports no stream under any of a material's EURAL codes, the material is estimated
from its class's yield per worker (producer_yields.csv). A material that does not occur in the
Netherlands is never supply here.

Every supply row says which stream it is (`supply_stream_id`: the afvalstroomnummer(s), or a
stable key of the estimate), the stream's whole tonnes and the share attributed, what happens
to the stream today (`current_rung` on the waste hierarchy: the LMA processing code, else the
material's usual Dutch treatment) and whether its tonnage is more than its producer plausibly
produces (`volume_flag`, against the class's yield or its waste intensity per worker).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regionomie.domain.dutch_context import DutchContext, context_for
from regionomie.domain.opportunities.attribution import (
    UNCLASSIFIED,
    StreamAttributor,
    attribute_streams,
    attributor_for,
)
from regionomie.domain.opportunities.common import (
    KnowledgeLike,
    digits,
    kb_frames,
    match_nace,
    split_codes,
)
from regionomie.domain.opportunities.config import ScoringConfig

SUPPLY_COLUMNS: tuple[str, ...] = (
    "establishment_id",
    "material_id",
    "tonnes_per_year",
    "supply_source",  # "lma" | "estimate"
    "basis",  # human-readable: how the figure was obtained
    "supply_stream_id",  # afvalstroomnummer(s) joined by ";", or "schatting:<est>:<material>"
    "stream_tonnes",  # the whole stream(s), before attribution to materials
    "supply_share",  # tonnes_per_year / stream_tonnes
    "attribution",  # omschrijving | samenstelling | sector | familie | algemeen | schatting
    "current_rung",  # today's rung on the waste hierarchy (1 best .. 7), NaN when unknown
    "current_basis",  # LMA processing code and name, or the assumption
    "plausible_max_tonnes",  # what the producer plausibly produces (NaN: no ceiling known)
    "volume_flag",  # True: above the plausible maximum (reported, not ranked first)
)
STREAM_COLUMNS: tuple[str, ...] = (
    "afvalstroomnummer",
    "establishment_id",  # the linked producer ('' when the ontdoener is not in the register)
    "producer_nace",
    "eural_code",
    "waste_name",
    "processing_code",
    "tonnes_per_year",
    "years",
    "material_id",
    "share",
    "attributed_tonnes",
    "how",
    "basis",
)
PRODUCER_ROLES: tuple[str, ...] = ("ontdoener", "herkomst")
RECEIVER_ROLES: tuple[str, ...] = ("ontvanger", "verwerker", "eerste_afnemer")
PLAUSIBLE_YIELD_FACTOR = 10.0  # a producer may report up to 10x its class's typical yield


def empty_supply() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in SUPPLY_COLUMNS})


def empty_streams() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in STREAM_COLUMNS})


def _linked_streams(links: pd.DataFrame | None, roles: tuple[str, ...]) -> pd.DataFrame:
    """afvalstroomnummer -> best-confidence linked establishment for the given roles."""
    if links is None or links.empty:
        return pd.DataFrame({"afvalstroomnummer": [], "establishment_id": []}, dtype=str)
    sub = links[links["role"].isin(roles) & links["vestigingsnummer"].notna()].copy()
    sub = sub[sub["vestigingsnummer"].astype(str) != ""]
    sub["role_rank"] = sub["role"].map({r: i for i, r in enumerate(roles)})
    sub["confidence"] = pd.to_numeric(sub.get("confidence", 1.0), errors="coerce").fillna(0.0)
    sub = sub.sort_values(
        ["afvalstroomnummer", "role_rank", "confidence", "vestigingsnummer"],
        ascending=[True, True, False, True],
    )
    best = sub.groupby("afvalstroomnummer", sort=True).head(1)
    return pd.DataFrame(
        {
            "afvalstroomnummer": best["afvalstroomnummer"].astype(str),
            "establishment_id": best["vestigingsnummer"].astype(str),
        }
    )


def _heaviest(recs: pd.DataFrame, column: str) -> pd.Series:
    """Per stream, the value of `column` that carries the most weight (ties: smallest)."""
    weights = recs.groupby(["afvalstroomnummer", column], sort=True)["weight_kg"].sum()
    weights = weights.reset_index().sort_values(
        ["afvalstroomnummer", "weight_kg", column], ascending=[True, False, True]
    )
    return weights.drop_duplicates("afvalstroomnummer").set_index("afvalstroomnummer")[column]


def stream_tonnes(waste_records: pd.DataFrame) -> pd.DataFrame:
    """One row per stream: mean tonnes per reported year (the larger extract type per year),
    the years reported, its EURAL code, description and processing code (the heaviest)."""
    cols = ["afvalstroomnummer", "extract_type", "eural_code", "period_year", "weight_kg"]
    extra = [c for c in ("waste_name", "processing_code") if c in waste_records.columns]
    recs = waste_records[cols + extra].copy()
    recs["afvalstroomnummer"] = recs["afvalstroomnummer"].astype(str)
    recs["eural_code"] = digits(recs["eural_code"]).str.zfill(6)
    recs["weight_kg"] = pd.to_numeric(recs["weight_kg"], errors="coerce").fillna(0.0)
    for column in ("waste_name", "processing_code"):
        if column not in recs:
            recs[column] = ""
        recs[column] = recs[column].fillna("").astype(str).str.strip()
    per_year = recs.groupby(["afvalstroomnummer", "period_year", "extract_type"], sort=True)[
        "weight_kg"
    ].sum()
    per_year = per_year.groupby(level=[0, 1]).max()
    per_stream = per_year.groupby(level=0).agg(["mean", "count"])
    out = pd.DataFrame(
        {
            "afvalstroomnummer": per_stream.index.astype(str),
            "tonnes_per_year": (per_stream["mean"] / 1000.0).to_numpy(),
            "years": per_stream["count"].to_numpy(),
        }
    )
    for column in ("eural_code", "waste_name", "processing_code"):
        out[column] = out["afvalstroomnummer"].map(_heaviest(recs, column)).fillna("")
    return out


def _nace_by_establishment(establishments: pd.DataFrame) -> pd.Series:
    est = establishments.drop_duplicates("vestigingsnummer")
    return pd.Series(
        digits(est["nace_class"]).str.slice(0, 4).to_numpy(),
        index=est["vestigingsnummer"].astype(str).to_numpy(),
    )


def attributed_streams(
    waste_records: pd.DataFrame | None,
    links: pd.DataFrame | None,
    establishments: pd.DataFrame,
    attributor: StreamAttributor,
) -> pd.DataFrame:
    """Every reported stream (linked to a producer or not) x its materials (STREAM_COLUMNS):
    the region's waste in full, attributed; sum(attributed_tonnes) == sum(tonnes_per_year)."""
    if waste_records is None or waste_records.empty:
        return empty_streams()
    streams = stream_tonnes(waste_records)
    producers = _linked_streams(links, PRODUCER_ROLES).set_index("afvalstroomnummer")
    streams["establishment_id"] = (
        streams["afvalstroomnummer"].map(producers["establishment_id"]).fillna("")
    )
    nace = _nace_by_establishment(establishments)
    streams["producer_nace"] = streams["establishment_id"].map(nace).fillna("")
    shares = attribute_streams(streams, attributor)
    out = streams.merge(shares, on="afvalstroomnummer", how="inner")
    out["attributed_tonnes"] = out["tonnes_per_year"] * out["share"]
    return (
        out[list(STREAM_COLUMNS)]
        .sort_values(["afvalstroomnummer", "material_id"])
        .reset_index(drop=True)
    )


def _join_ids(values: pd.Series) -> str:
    return ";".join(sorted(set(values)))


def usual_rungs(
    material_ids: pd.Series, materials: pd.DataFrame, context: DutchContext
) -> tuple[pd.Series, np.ndarray]:
    """Today's rung of a material when nothing says how this stream is treated: the material's
    usual Dutch treatment (material_origins.csv), else its category's (waste_hierarchy.yaml);
    with the basis of each."""
    category = materials.drop_duplicates("material_id").set_index("material_id")["category"]
    own = material_ids.map(lambda m: context.origin(m).current_rung)
    by_category = material_ids.map(category).map(context.hierarchy.category_current)
    basis = np.where(
        own.notna(),
        "gangbare verwerking in Nederland (material_origins.csv)",
        "aanname: gangbare verwerking van deze materiaalcategorie (waste_hierarchy.yaml)",
    )
    return own.fillna(by_category).astype(float), basis


def observed_supply(
    streams: pd.DataFrame, context: DutchContext, materials: pd.DataFrame
) -> pd.DataFrame:
    """Supply rows (source "lma") from attributed streams linked to a producing establishment;
    unclassified tonnes stay in `streams` (reported), not in supply. Today's rung comes from the
    heaviest stream's LMA processing code; a code that says nothing about the treatment (A01
    bewaren, A02 overslag) falls back to the material's usual treatment."""
    linked = streams[(streams["establishment_id"] != "") & (streams["material_id"] != UNCLASSIFIED)]
    if linked.empty:
        return empty_supply()
    lma = context.hierarchy.lma
    linked = linked.assign(
        rung=linked["processing_code"].map(lambda c: lma.get(str(c))).astype(float),
    )
    # today's rung: that of the heaviest stream of the establishment x material
    heaviest = linked.sort_values(
        ["establishment_id", "material_id", "attributed_tonnes", "afvalstroomnummer"],
        ascending=[True, True, False, True],
    ).drop_duplicates(["establishment_id", "material_id"])
    grouped = linked.groupby(["establishment_id", "material_id"], sort=True).agg(
        tonnes_per_year=("attributed_tonnes", "sum"),
        stream_tonnes=("tonnes_per_year", "sum"),
        supply_stream_id=("afvalstroomnummer", _join_ids),
        streams=("afvalstroomnummer", "nunique"),
        years=("years", "max"),
        attribution=("how", "first"),
        attribution_basis=("basis", "first"),
    )
    grouped = grouped.reset_index()
    first = heaviest.set_index(["establishment_id", "material_id"])
    keys = pd.MultiIndex.from_frame(grouped[["establishment_id", "material_id"]])
    grouped["current_rung"] = first["rung"].reindex(keys).to_numpy()
    code = first["processing_code"].reindex(keys).fillna("").astype(str).to_numpy()
    names = context.hierarchy.lma_names
    grouped["current_basis"] = [
        f"LMA-verwerkingsmethode {c} ({names.get(c, 'onbekende code')})" if c else "onbekend"
        for c in code
    ]
    unknown = grouped["current_rung"].isna().to_numpy()
    if unknown.any():
        usual, basis = usual_rungs(grouped.loc[unknown, "material_id"], materials, context)
        grouped.loc[unknown, "current_rung"] = usual.to_numpy()
        grouped.loc[unknown, "current_basis"] = (
            grouped.loc[unknown, "current_basis"] + "; " + pd.Series(basis, index=usual.index)
        )
    grouped["supply_source"] = "lma"
    grouped["supply_share"] = grouped["tonnes_per_year"] / grouped["stream_tonnes"].where(
        grouped["stream_tonnes"] > 0
    )
    grouped["basis"] = (
        "LMA-meldingen: "
        + grouped["streams"].astype(str)
        + " afvalstroom(en), gemiddeld over "
        + grouped["years"].astype(str)
        + " jaar; "
        + grouped["attribution_basis"]
    )
    return grouped


def estimated_supply(
    establishments: pd.DataFrame,
    kb: KnowledgeLike,
    context: DutchContext,
    reported_codes: pd.DataFrame | None = None,
    config: ScoringConfig | None = None,
) -> pd.DataFrame:
    """Supply rows (source "estimate"): kb.yields (t per worker per year) x workers
    (config.default_employees when unknown); 4-digit yield rows win over 2-digit ones. Skipped
    where the establishment reports a stream under one of the material's EURAL codes (LMA
    covers it) or where the material does not occur in the Netherlands."""
    config = config or ScoringConfig()
    materials, _, yields = kb_frames(kb)
    yields = yields.dropna(subset=["tonnes_per_employee_per_year"])
    yields = yields.assign(producer_nace=split_codes(yields["producer_nace"])).explode(
        "producer_nace"
    )
    yields = yields.dropna(subset=["producer_nace"])
    yields = yields[yields["material_id"].map(lambda m: context.origin(m).occurs_in_nl)]
    est = pd.DataFrame(
        {
            "establishment_id": establishments["vestigingsnummer"].astype(str),
            "nace_class": digits(establishments["nace_class"]).str.slice(0, 4),
            "employees": pd.to_numeric(establishments.get("employees"), errors="coerce"),
        }
    )
    if "active" in establishments:
        active = establishments["active"].fillna(True).astype(bool)
        est = est[active.to_numpy()]
    matched = match_nace(est, "nace_class", yields, "producer_nace")
    if matched.empty:
        return empty_supply()
    matched = matched.sort_values(
        ["establishment_id", "material_id", "nace_match_digits"], ascending=[True, True, False]
    )
    matched = matched.groupby(["establishment_id", "material_id"], sort=True).head(1)
    if reported_codes is not None and len(reported_codes):
        covered = _covered_by_lma(matched, materials, reported_codes)
        matched = matched[~covered]
    known = matched["employees"].notna() & (matched["employees"] > 0)
    employees = matched["employees"].where(known, float(config.default_employees))
    matched = matched.assign(tonnes_per_year=employees * matched["tonnes_per_employee_per_year"])
    emp_text = np.where(
        known,
        employees.round(0).astype("int64").astype(str) + " werkzame personen",
        "werkzame personen onbekend, " + str(config.default_employees) + " aangenomen",
    )
    matched["supply_source"] = "estimate"
    matched["basis"] = (
        matched["tonnes_per_employee_per_year"].round(3).astype(str)
        + " t per werkzame persoon per jaar x "
        + pd.Series(emp_text, index=matched.index)
        + " (bron: "
        + matched["source"].fillna("").astype(str)
        + ")"
    )
    matched["supply_stream_id"] = (
        "schatting:" + matched["establishment_id"] + ":" + matched["material_id"]
    )
    matched["stream_tonnes"] = matched["tonnes_per_year"]
    matched["supply_share"] = 1.0
    matched["attribution"] = "schatting"
    matched["current_rung"], matched["current_basis"] = usual_rungs(
        matched["material_id"], materials, context
    )
    return matched[[c for c in SUPPLY_COLUMNS if c in matched.columns]].reset_index(drop=True)


def _covered_by_lma(
    matched: pd.DataFrame, materials: pd.DataFrame, reported_codes: pd.DataFrame
) -> np.ndarray:
    """True where the establishment reports a stream under one of the material's codes."""
    codes = materials[["material_id"]].assign(eural_code=split_codes(materials["eural_codes"]))
    codes = codes.explode("eural_code").dropna(subset=["eural_code"])
    pairs = reported_codes.merge(codes, on="eural_code")[["establishment_id", "material_id"]]
    done = pd.MultiIndex.from_frame(pairs.drop_duplicates())
    keys = pd.MultiIndex.from_arrays([matched["establishment_id"], matched["material_id"]])
    return keys.isin(done)


def _plausibility(
    supply: pd.DataFrame, establishments: pd.DataFrame, kb: KnowledgeLike, context: DutchContext
) -> pd.DataFrame:
    """The most a producer plausibly produces of the material: PLAUSIBLE_YIELD_FACTOR x its
    class's yield x workers, else the class's waste intensity x workers; flags what is above."""
    _, _, yields = kb_frames(kb)
    est = establishments.drop_duplicates("vestigingsnummer")
    workers = pd.Series(
        pd.to_numeric(est.get("employees"), errors="coerce").to_numpy(),
        index=est["vestigingsnummer"].astype(str).to_numpy(),
    )
    nace = _nace_by_establishment(establishments)
    yield_of = {
        (str(m), str(p)): float(t)
        for m, p, t in zip(
            yields["material_id"],
            yields["producer_nace"],
            yields["tonnes_per_employee_per_year"],
            strict=True,
        )
        if t == t
    }
    ceilings: list[float] = []
    for est_id, material_id in zip(supply["establishment_id"], supply["material_id"], strict=True):
        people = workers.get(est_id, np.nan)
        people = float(people) if people == people and people > 0 else 1.0
        cls = str(nace.get(est_id, ""))
        per_worker = yield_of.get((material_id, cls))
        if per_worker is not None:
            ceilings.append(PLAUSIBLE_YIELD_FACTOR * per_worker * people)
            continue
        intensity = context.max_tonnes_per_worker(cls)
        ceilings.append(intensity[0] * people if intensity else np.nan)
    out = supply.assign(plausible_max_tonnes=np.round(ceilings, 3))
    over = out["tonnes_per_year"].astype(float) > out["plausible_max_tonnes"]
    return out.assign(volume_flag=over.fillna(False).astype(bool))


def estimate_supply(
    establishments: pd.DataFrame,
    kb: KnowledgeLike,
    waste_records: pd.DataFrame | None = None,
    links: pd.DataFrame | None = None,
    config: ScoringConfig | None = None,
    context: DutchContext | None = None,
) -> pd.DataFrame:
    """Producer establishment x material x tonnes/year (SUPPLY_COLUMNS) from the register and
    the LMA receipts: attributed_streams, then supply_from_streams."""
    context = context or context_for(kb)
    streams = attributed_streams(waste_records, links, establishments, attributor_for(kb, context))
    return supply_from_streams(establishments, kb, context, streams, config)


def supply_from_streams(
    establishments: pd.DataFrame,
    kb: KnowledgeLike,
    context: DutchContext,
    streams: pd.DataFrame | None = None,
    config: ScoringConfig | None = None,
) -> pd.DataFrame:
    """Producer establishment x material x tonnes/year (SUPPLY_COLUMNS); LMA observations,
    attributed without double counting, replace estimates of the same EURAL codes."""
    streams = streams if streams is not None else empty_streams()
    materials, _, _ = kb_frames(kb)
    observed = observed_supply(streams, context, materials)
    reported = streams.loc[streams["establishment_id"] != "", ["establishment_id", "eural_code"]]
    estimated = estimated_supply(establishments, kb, context, reported.drop_duplicates(), config)
    base = [c for c in SUPPLY_COLUMNS if c not in ("plausible_max_tonnes", "volume_flag")]
    frames = [f[base] for f in (observed, estimated) if not f.empty]
    if not frames:
        return empty_supply()
    supply = pd.concat(frames, ignore_index=True)
    supply["tonnes_per_year"] = supply["tonnes_per_year"].astype(float)
    supply = supply[supply["tonnes_per_year"] > 0]
    supply = _plausibility(supply, establishments, kb, context)
    return supply.sort_values(["establishment_id", "material_id"]).reset_index(drop=True)[
        list(SUPPLY_COLUMNS)
    ]


def observed_flows(waste_records: pd.DataFrame | None, links: pd.DataFrame | None) -> pd.DataFrame:
    """Producer -> receiver establishment pairs already exchanging waste (per LMA), per EURAL
    code, with the tonnes delivered."""
    columns = ["producer_id", "receiver_id", "eural_code", "tonnes_total"]
    if waste_records is None or waste_records.empty or links is None or links.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    producers = _linked_streams(links, PRODUCER_ROLES).rename(
        columns={"establishment_id": "producer_id"}
    )
    receivers = _linked_streams(links, RECEIVER_ROLES).rename(
        columns={"establishment_id": "receiver_id"}
    )
    pairs = producers.merge(receivers, on="afvalstroomnummer")
    recs = waste_records[["afvalstroomnummer", "eural_code", "weight_kg"]].copy()
    recs["afvalstroomnummer"] = recs["afvalstroomnummer"].astype(str)
    recs["eural_code"] = digits(recs["eural_code"]).str.zfill(6)
    recs["weight_kg"] = pd.to_numeric(recs["weight_kg"], errors="coerce").fillna(0.0)
    flows = pairs.merge(recs, on="afvalstroomnummer")
    out = flows.groupby(["producer_id", "receiver_id", "eural_code"], sort=True)["weight_kg"].sum()
    out = (out / 1000.0).rename("tonnes_total").reset_index()
    return out[columns]


def observed_exchanges(
    waste_records: pd.DataFrame | None,
    links: pd.DataFrame | None,
    establishments: pd.DataFrame,
) -> list[tuple[str, str, str, str]]:
    """Distinct producer -> receiver streams per EURAL code seen in LMA, as documented
    exchanges for the receiver prior: (key, donor class, EURAL code, receiving class)."""
    if waste_records is None or waste_records.empty or links is None or links.empty:
        return []
    producers = _linked_streams(links, PRODUCER_ROLES).rename(
        columns={"establishment_id": "producer_id"}
    )
    receivers = _linked_streams(links, RECEIVER_ROLES).rename(
        columns={"establishment_id": "receiver_id"}
    )
    pairs = producers.merge(receivers, on="afvalstroomnummer")
    recs = waste_records[["afvalstroomnummer", "eural_code"]].copy()
    recs["afvalstroomnummer"] = recs["afvalstroomnummer"].astype(str)
    recs["eural_code"] = digits(recs["eural_code"]).str.zfill(6)
    flows = pairs.merge(recs, on="afvalstroomnummer").drop_duplicates(
        ["producer_id", "receiver_id", "eural_code"]
    )
    nace = establishments.drop_duplicates("vestigingsnummer").set_index(
        establishments.drop_duplicates("vestigingsnummer")["vestigingsnummer"].astype(str)
    )["nace_class"]
    flows["donor"] = flows["producer_id"].map(nace)
    flows["receiver"] = flows["receiver_id"].map(nace)
    flows = flows.dropna(subset=["donor", "receiver"]).sort_values(
        ["producer_id", "receiver_id", "eural_code"]
    )
    return [
        (f"{p}>{r}:{c}", str(d), str(c), str(rc))
        for p, r, c, d, rc in zip(
            flows["producer_id"],
            flows["receiver_id"],
            flows["eural_code"],
            flows["donor"],
            flows["receiver"],
            strict=True,
        )
    ]
