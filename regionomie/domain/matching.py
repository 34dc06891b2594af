"""Link the parties of LMA waste records (ontdoener, ontvanger, ...) to KvK establishments.

Why: LMA names parties by free-text name and address, not by KvK number. Following the
geoFluxus practice we match on address first and fall back to the name within the same
postcode area, so a waste stream gets a sector (via the establishment's NACE class).

Rules, in order, per (afvalstroomnummer, role) that has an address:
1. "address": same postcode and house number. One establishment there -> confidence 1.0.
   Several (a business centre) -> the house-number addition, then the name decides;
   confidence = 0.5 + 0.45 * name similarity/100 (at most 0.95; 0.5 when the party has no
   name).
2. "name": name similarity (rapidfuzz token_set_ratio on normalised names, legal-form words
   dropped) >= NAME_THRESHOLD among establishments in the same postcode, else the same PC4
   area, else (parties without a postcode only) the same city; confidence = similarity/100.
3. "none": kept with vestigingsnummer None and confidence 0.0 (never dropped).

Vectorised: candidate pairs come from merges on blocking keys; similarities are computed
with rapidfuzz.process.cpdist over the pair arrays; no Python loop over establishments.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from regionomie.domain.schemas import WASTE_PARTY_LINKS, WASTE_PARTY_ROLES

PAIR_BUDGET = 2_000_000  # candidate pairs scored per slice (memory bound)
PARALLEL_CELLS = 20_000  # score matrices at least this big use every core
NAME_THRESHOLD = 85.0  # token_set_ratio; below this, a name match is too often a neighbour
_LEGAL_WORDS = re.compile(
    r"\b(B\.?\s?V\.?|N\.?\s?V\.?|V\.?\s?O\.?\s?F\.?|C\.?\s?V\.?|HOLDING|STICHTING|EENMANSZAAK)(?=\s|$)"
)
_NON_ALNUM = re.compile(r"[^0-9A-Z]+")


def normalise_name(values: pd.Series) -> pd.Series:
    """Upper case, legal-form words and punctuation removed, whitespace collapsed."""
    s = values.fillna("").astype(str).str.upper()
    s = s.str.replace(_LEGAL_WORDS, " ", regex=True)
    s = s.str.replace(_NON_ALNUM, " ", regex=True).str.strip()
    return s.str.replace(r"\s+", " ", regex=True)


def _split_house_number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """'12a' / '12 A' / '12-2' -> ('12', 'A' / '2'); leading digits are the number."""
    s = values.fillna("").astype(str).str.strip().str.upper()
    s = s.str.replace(r"\.0$", "", regex=True)
    parts = s.str.extract(r"^(\d+)\s*[-/ ]?\s*(.*)$")
    number = parts[0].fillna("").str.lstrip("0")
    addition = parts[1].fillna("").str.replace(r"[^0-9A-Z]", "", regex=True)
    return number, addition


def _postcode(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.upper().str.replace(r"\s+", "", regex=True)


def waste_parties(waste_records: pd.DataFrame) -> pd.DataFrame:
    """One row per (afvalstroomnummer, role) that carries an address (postcode, street or
    city); the first record of a stream wins when months disagree."""
    frames = []
    for role in WASTE_PARTY_ROLES:
        cols = {f"{role}_{f}": f for f in ("name", "street", "house_number", "postcode", "city")}
        present = [c for c in cols if c in waste_records.columns]
        if not present:
            continue
        part = waste_records[["afvalstroomnummer", *present]].rename(columns=cols)
        for f in cols.values():
            if f not in part.columns:
                part[f] = None
        part = part.assign(role=role)
        frames.append(part)
    columns = ["afvalstroomnummer", "role", "name", "street", "house_number", "postcode", "city"]
    if not frames:
        return pd.DataFrame(columns=columns)
    parties = pd.concat(frames, ignore_index=True)[columns]
    has_addr = (
        parties["postcode"].fillna("").astype(str).str.strip().ne("")
        | parties["street"].fillna("").astype(str).str.strip().ne("")
        | parties["city"].fillna("").astype(str).str.strip().ne("")
    )
    parties = parties[has_addr]
    return parties.drop_duplicates(["afvalstroomnummer", "role"], keep="first").reset_index(
        drop=True
    )


def _scores(a: pd.Series, b: pd.Series) -> np.ndarray:
    if len(a) == 0:
        return np.zeros(0, dtype=float)
    return np.asarray(
        process.cpdist(a.tolist(), b.tolist(), scorer=fuzz.token_set_ratio, workers=-1),
        dtype=float,
    )


def _best_name_in_blocks(
    todo: pd.DataFrame, right: pd.DataFrame, key: str
) -> tuple[np.ndarray, np.ndarray]:
    """Per `todo` row (key, nm): the establishment of the same `key` block whose name scores
    best (ties: the lowest vestigingsnummer; `right` is in that order) if it reaches
    NAME_THRESHOLD, as (vestigingsnummer or None, confidence or NaN). One score matrix per
    block (rapidfuzz cdist, in C) instead of a merged table of string pairs; a block's matrix
    is cut into row slices of at most PAIR_BUDGET cells, so memory stays bounded."""
    found_vest = np.full(len(todo), None, dtype=object)
    found_conf = np.full(len(todo), np.nan)
    names = todo["nm"].to_numpy(dtype=object)
    right_names = right["nm"].to_numpy(dtype=object)
    right_vest = right["vestigingsnummer"].to_numpy(dtype=object)
    blocks = right.groupby(key, sort=False).indices
    for block, rows in todo.groupby(key, sort=False).indices.items():
        cols = blocks.get(block)
        if cols is None:
            continue
        choices = right_names[cols]
        step = max(1, PAIR_BUDGET // len(cols))
        for lo in range(0, len(rows), step):
            part = rows[lo : lo + step]
            scores = process.cdist(
                names[part],
                choices,
                scorer=fuzz.token_set_ratio,
                score_cutoff=NAME_THRESHOLD,
                workers=-1 if len(part) * len(cols) >= PARALLEL_CELLS else 1,
            )
            best = scores.argmax(axis=1)
            top = scores[np.arange(len(part)), best].astype(float)
            hit = top >= NAME_THRESHOLD
            found_vest[part[hit]] = right_vest[cols[best[hit]]]
            found_conf[part[hit]] = np.round(top[hit] / 100.0, 3)
    return found_vest, found_conf


def link_waste_parties(waste_records: pd.DataFrame, establishments: pd.DataFrame) -> pd.DataFrame:
    """WASTE_PARTY_LINKS rows for every (afvalstroomnummer, role) with an address; unmatched
    parties are kept with match_method 'none'."""
    parties = waste_parties(waste_records)
    p = parties.copy()
    p["pc"] = _postcode(p["postcode"])
    p["hn"], p["hn_add"] = _split_house_number(p["house_number"])
    p["nm"] = normalise_name(p["name"])
    p["pc4"] = p["pc"].str[:4]
    p["cty"] = p["city"].fillna("").astype(str).str.upper().str.strip()
    p["pid"] = np.arange(len(p))

    e = pd.DataFrame(
        {
            "vestigingsnummer": establishments["vestigingsnummer"].astype(str),
            "pc": _postcode(establishments["postcode"]),
            "nm": normalise_name(establishments["trade_name"]),
            "cty": establishments["city"].fillna("").astype(str).str.upper().str.strip(),
        }
    )
    e_hn, e_add = _split_house_number(establishments["house_number"])
    extra = establishments.get("house_number_addition")
    if extra is not None:
        e_add = (e_add + extra.fillna("").astype(str).str.upper()).str.replace(
            r"[^0-9A-Z]", "", regex=True
        )
    e["hn"], e["hn_add"], e["pc4"] = e_hn, e_add, e["pc"].str[:4]
    e = e.sort_values("vestigingsnummer", kind="stable").reset_index(drop=True)

    vest = np.full(len(p), None, dtype=object)
    method = np.full(len(p), "none", dtype=object)
    conf = np.zeros(len(p), dtype=float)

    # 1. address
    a = p[(p["pc"] != "") & (p["hn"] != "")][["pid", "pc", "hn", "hn_add", "nm"]].merge(
        e[["vestigingsnummer", "pc", "hn", "hn_add", "nm"]],
        on=["pc", "hn"],
        suffixes=("", "_e"),
    )
    if len(a):
        a["n_cand"] = a.groupby("pid")["vestigingsnummer"].transform("size")
        a["add_eq"] = (a["hn_add"] == a["hn_add_e"]).astype(int)
        # Names decide only between several establishments at one address.
        scored = ((a["nm"] != "") & (a["n_cand"] > 1)).to_numpy()
        a["score"] = 0.0
        a.loc[scored, "score"] = _scores(a["nm"][scored], a["nm_e"][scored])
        a = a.sort_values(
            ["pid", "add_eq", "score", "vestigingsnummer"],
            ascending=[True, False, False, True],
            kind="stable",
        )
        best = a.drop_duplicates("pid", keep="first")
        single = best["n_cand"] == 1
        c = np.where(
            single,
            1.0,
            np.where(best["nm"] != "", 0.5 + 0.45 * best["score"] / 100.0, 0.5),
        )
        idx = best["pid"].to_numpy()
        vest[idx] = best["vestigingsnummer"].to_numpy()
        method[idx] = "address"
        conf[idx] = np.round(c, 3)

    # 2. name within postcode, then PC4; the city only for parties without a postcode
    for key in ("pc", "pc4", "cty"):
        parties_left = p[(method == "none") & (p["nm"] != "") & (p[key] != "")]
        if key == "cty":
            parties_left = parties_left[parties_left["pc"] == ""]
        if parties_left.empty:
            continue
        # The best match depends on (key, name) only: score each distinct pair once (a
        # party with many waste streams is one search, not one per stream).
        distinct = parties_left[[key, "nm"]].drop_duplicates().reset_index(drop=True)
        todo = distinct.assign(pid=np.arange(len(distinct)))
        right = e.loc[e[key] != "", ["vestigingsnummer", key, "nm"]]
        found_vest, found_conf = _best_name_in_blocks(todo, right, key)
        matched = todo.assign(_vest=found_vest, _conf=found_conf)[~np.isnan(found_conf)]
        back = parties_left[["pid", key, "nm"]].merge(matched, on=[key, "nm"], suffixes=("", "_d"))
        idx = back["pid"].to_numpy()
        vest[idx] = back["_vest"].to_numpy()
        method[idx] = "name"
        conf[idx] = back["_conf"].to_numpy()

    out = pd.DataFrame(
        {
            "afvalstroomnummer": p["afvalstroomnummer"].to_numpy(),
            "role": p["role"].to_numpy(),
            "postcode": p["pc"].where(p["pc"] != "", None).to_numpy(),
            "house_number": p["house_number"].to_numpy(),
            "vestigingsnummer": vest,
            "match_method": method,
            "confidence": conf,
        },
        columns=list(WASTE_PARTY_LINKS.columns),
    )
    return out.reset_index(drop=True)
