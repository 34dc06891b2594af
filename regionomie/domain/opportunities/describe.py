"""Describing the kept candidates: names and addresses of both parties, the pathway's texts,
the supply basis, the stream and its treatment today, the kind of case and one readable Dutch
sentence per candidate. Runs after pruning, so texts are built for the kept candidates only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from regionomie.domain.dutch_context import DutchContext


def describe_candidates(
    cand: pd.DataFrame,
    actors: pd.DataFrame,
    pathways: pd.DataFrame,
    materials: pd.DataFrame,
    supply: pd.DataFrame,
    context: DutchContext,
) -> pd.DataFrame:
    """The kept candidates (not empty) with their names, addresses, texts and explanation,
    best first; the caller picks and orders the columns."""
    candidate_id = cand["producer_id"] + "|" + cand["pathway_id"] + "|" + cand["receiver_id"]
    # Best first, ordered before the texts are added: the wide frame is never re-sorted.
    keys = pd.DataFrame({"score": cand["score"].to_numpy(), "id": candidate_id.to_numpy()})
    order = keys.sort_values(["score", "id"], ascending=[False, True]).index.to_numpy()
    cand = cand.iloc[order].assign(candidate_id=candidate_id.iloc[order])
    info = actors.set_index("establishment_id")
    producer = info.reindex(cand["producer_id"])
    receiver = info.reindex(cand["receiver_id"])
    texts = pathways.drop_duplicates("pathway_id").set_index("pathway_id")
    texts = texts[
        [
            "receiver_label",
            "use_category",
            "use_description",
            "evidence_type",
            "evidence",
            "caveats",
        ]
    ].reindex(cand["pathway_id"])
    mats = materials.drop_duplicates("material_id").set_index("material_id")
    basis = supply.drop_duplicates(["establishment_id", "material_id"]).set_index(
        ["establishment_id", "material_id"]
    )
    keys = pd.MultiIndex.from_arrays([cand["producer_id"], cand["material_id"]])
    sup = basis.reindex(keys)
    is_startup = (cand["receiver_kind"] == "sector").to_numpy()
    label = pd.Series(texts["receiver_label"].fillna("").to_numpy(), index=cand.index)
    dutch = _dutch_receiver_labels().reindex(cand["pathway_id"]).fillna("").to_numpy()
    label = label.where(pd.Series(dutch, index=cand.index) == "", dutch)  # the readers' words
    label = label.where(label != "", "NACE " + cand["receiver_nace"])
    receiver_name = pd.Series(receiver["display_name"].to_numpy(), index=cand.index)
    receiver_name = receiver_name.where(~is_startup, "Nieuw bedrijf (start-up): " + label)
    receiver_address = pd.Series(receiver["display_address"].to_numpy(), index=cand.index)
    material_name = pd.Series(
        mats["name_nl"].reindex(cand["material_id"]).to_numpy(), index=cand.index
    ).fillna(cand["material_id"])
    out = cand.assign(
        producer_name=producer["display_name"].to_numpy(),
        producer_address=producer["display_address"].to_numpy(),
        producer_nace=producer["nace_class"].to_numpy(),
        producer_municipality=producer["municipality_code"].to_numpy(),
        producer_lat=producer["lat"].astype(float).to_numpy(),
        producer_lon=producer["lon"].astype(float).to_numpy(),
        material_name=material_name,
        hazardous=mats["hazardous"]
        .reindex(cand["material_id"])
        .fillna(False)
        .astype(bool)
        .to_numpy(),
        receiver_name=receiver_name,
        receiver_address=receiver_address.where(~is_startup, "").fillna(""),
        receiver_label=label,
        use_category=texts["use_category"].to_numpy(),
        use_description=texts["use_description"].to_numpy(),
        supply_source=sup["supply_source"].to_numpy(),
        supply_basis=sup["basis"].to_numpy() if "basis" in sup else "",
        supply_stream_id=_column(sup, "supply_stream_id", ""),
        stream_tonnes=_column(sup, "stream_tonnes", np.nan).astype(float),
        supply_share=_column(sup, "supply_share", np.nan).astype(float),
        supply_attribution=_column(sup, "attribution", ""),
        current_basis=_column(sup, "current_basis", "onbekend"),
        jobs_basis=_jobs_basis(cand["receiver_nace"], context),
        case_kind=_case_kinds(cand["mechanism_id"], context),
        evidence_type=texts["evidence_type"].to_numpy(),
        evidence=texts["evidence"].to_numpy(),
        caveats=texts["caveats"].to_numpy(),
    )
    out["explanation"] = _explain(out, context)
    return out


def _column(frame: pd.DataFrame, name: str, default: object) -> np.ndarray:
    if name in frame.columns:
        return frame[name].to_numpy()
    return np.full(len(frame), default, dtype=object)


def _jobs_basis(receiver_nace: pd.Series, context: DutchContext) -> np.ndarray:
    """Per candidate where its jobs figure comes from (the receiving sector's labour ratio)."""
    codes, classes = pd.factorize(receiver_nace.astype(str))
    texts = []
    for nace in classes:
        row = context.receiver(str(nace))
        if row.tonnes_per_worker:
            texts.append(f"{row.tonnes_per_worker:g} t per werkzame persoon ({row.basis})")
        else:
            texts.append("onbekend: geen arbeidsratio voor deze sector")
    return np.asarray(texts, dtype=object)[codes]


def _case_kinds(mechanism_id: pd.Series, context: DutchContext) -> np.ndarray:
    kinds = {m.mechanism_id: m.kind for m in context.mechanisms}
    return np.asarray([kinds.get(str(m), "circular") for m in mechanism_id], dtype=object)


EXPLAIN_ROWS = 100_000  # rows per slice: the plain lists of one slice are all that is held


def _explain(out: pd.DataFrame, context: DutchContext) -> pd.Series:
    """One readable Dutch sentence per candidate naming the figures behind its score (built
    over plain lists, slice by slice: millions of rows cost seconds and bounded memory)."""
    sentences: list[str] = []
    for start in range(0, len(out), EXPLAIN_ROWS):
        part = out.iloc[start : start + EXPLAIN_ROWS]
        ladder = _ladder_texts(part, context)
        sentences += [a + b for a, b in zip(_sentences(part), ladder, strict=True)]
    return pd.Series(sentences, index=out.index, dtype="object")


def _ladder_texts(out: pd.DataFrame, context: DutchContext) -> list[str]:
    """' Vandaag: <rung>; wordt: <rung>.' and, when the use is no step up, that it is no new
    opportunity; each distinct (today, target) pair written once."""
    names = context.hierarchy.name
    pairs = pd.DataFrame(
        {"now": out["current_rung"].astype(float), "to": out["target_rung"].astype(float)}
    )
    codes, distinct = pd.factorize(pd.MultiIndex.from_frame(pairs.fillna(-1.0)))
    texts = []
    for now, to in distinct:
        now_i = None if now < 0 else int(now)
        to_i = None if to < 0 else int(to)
        text = f" Vandaag: {names(now_i)}; wordt: {names(to_i)}."
        if now_i is not None and to_i is not None and now_i <= to_i:
            text += " Geen nieuwe kans: de stroom wordt vandaag al minstens zo hoogwaardig benut."
        texts.append(text)
    return list(np.asarray(texts, dtype=object)[codes])


def _sentences(out: pd.DataFrame) -> list[str]:
    unemployment = (
        " Banen in een gemeente met bovengemiddelde werkloosheid/uitkeringsafhankelijkheid."
    )
    columns = zip(
        _texts(out["material_name"]),
        _texts(out["producer_name"]),
        _fmt(out["supply_tonnes"], 1),
        (out["supply_source"] == "lma").tolist(),
        _texts(out["receiver_name"]),
        _texts(out["use_description"]),
        _fmt(out["distance_km"], 1),
        _fmt(out["economic_value_eur"], 0),
        _fmt(out["co2_avoided_kg"], 0),
        _jobs_words(out["jobs"], out["jobs_basis"]),
        _fmt(out["score"], 3),
        _fmt(out["material_fit"], 2),
        _fmt(out["volume_fit"], 2),
        _fmt(out["social"], 2),
        (out["employment_severity"] >= 0.5).tolist(),
        (out["novelty"] < 1).tolist(),
        strict=True,
    )
    return [
        f"{mat[:1].upper()}{mat[1:]} van {prod} ({tonnes} t/jaar, "
        f"{'gemeten (LMA)' if lma else 'geschat'}) naar {rec} voor {use}: {dist} km, ca. EUR "
        f"{eur} per jaar, {co2} kg CO2e vermeden, {jobs}. Score {score} (materiaal "
        f"{fit}, volume {vol}, sociaal {soc})."
        f"{unemployment if poor else ''}{' Deze stroom bestaat al (LMA).' if known else ''}"
        for (
            mat,
            prod,
            tonnes,
            lma,
            rec,
            use,
            dist,
            eur,
            co2,
            jobs,
            score,
            fit,
            vol,
            soc,
            poor,
            known,
        ) in columns
    ]


def jobs_words(jobs: float, known: bool = True) -> str:
    """Jobs as a person would say them: whole numbers, never fractions of a job."""
    if not known:
        return "werkgelegenheid onbekend"
    whole = int(round(jobs))
    if whole == 0:
        return "minder dan één volledige baan"
    return "ca. 1 baan" if whole == 1 else f"ca. {whole} banen"


def _jobs_words(jobs: pd.Series, basis: pd.Series) -> list[str]:
    known = ~basis.astype(str).str.startswith("onbekend")
    return [jobs_words(float(j), bool(k)) for j, k in zip(jobs, known, strict=True)]


def _texts(values: pd.Series) -> list[str]:
    """The column as plain Python strings (missing as 'nan', as str() gives it)."""
    return [str(v) for v in values.to_numpy(dtype=object)]


def _fmt(values: pd.Series, decimals: int) -> list[str]:
    """Numbers as '12,345.6' text: each distinct value formatted once (rounded figures repeat
    a lot), then spread over the rows."""
    rounded = values.astype(float).round(decimals).to_numpy(dtype=np.float64)
    # Distinct by bit pattern: -0.0 and 0.0 print differently, so they stay apart.
    distinct, where = np.unique(rounded.view(np.int64), return_inverse=True)
    floats = distinct.view(np.float64).tolist()
    texts = np.array([f"{v:,.{decimals}f}" for v in floats], dtype=object)
    return texts[where.ravel()].tolist()


def _dutch_receiver_labels() -> pd.Series:
    """pathway_id -> the Dutch receiver label (data/knowledge/pathway_texts.nl.csv)."""
    from regionomie.i18n.knowledge import pathway_texts

    return pathway_texts("nl")["receiver_label"]
