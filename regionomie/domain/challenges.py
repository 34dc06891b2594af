"""Municipal social and environmental challenges derived from CBS indicators.

Why: business cases are ranked partly by how much they help where help is needed (jobs where
unemployment and benefit dependence are high, community uses where many elderly live alone).

Formulas (one row per municipality x challenge, latest period available per municipality):

* value       = numerator / denominator when the challenge is a share (e.g. WW benefit
                recipients / inhabitants), else the indicator value itself (already a rate).
* national_value = the same formula on CBS's Nederland row (code NL00 in Kerncijfers wijken
                en buurten, NL01 in RegioS tables), fetched with the indicators.
* national_median = median of `value` over every municipality present in the input.
* reference   = national_value when present, else national_median (`reference_basis` says
                which: "Nederland" or "mediaan gemeenten").
* gap         = how much worse than the reference, relative: (value - reference) / reference
                when a higher value is worse, (reference - value) / reference when lower is.
* severity    = clip(gap / scale, 0, 1): 0 = at or better than the Netherlands, 1 = worse by
                the challenge's `scale` or more (e.g. 0.5: half again as many WW benefits as
                the national share). Severity compares with the Netherlands, not with the
                region's own municipalities, so a region of well-off municipalities has no
                severe challenge just because one of them is the least well-off.
* percentile  = (rank(value) - 1) / (n - 1) over all municipalities present, average ranks
                for ties, oriented so that 1 = the worst-off (0.5 when only one is present);
                shown beside the national comparison, never used as severity.

Indicator names come from the CBS connector; each challenge accepts a few aliases so the
rules survive small renames (the first alias found wins).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

CHALLENGE_COLUMNS: tuple[str, ...] = (
    "municipality_code",
    "challenge_id",
    "label",
    "indicator",
    "period",
    "value",
    "national_value",
    "national_median",
    "reference_basis",
    "gap",
    "percentile",
    "severity",
    "higher_is_worse",
    "unit",
)

NATIONAL_CODE = "NL01"
#: CBS codes of the Nederland row: NL00 in Kerncijfers wijken en buurten, NL01 in RegioS tables
NATIONAL_CODES: frozenset[str] = frozenset({"NL00", "NL01"})


@dataclass(frozen=True)
class ChallengeRule:
    """One way to compute a challenge: numerator (aliases) over denominator (aliases) or None."""

    numerator: tuple[str, ...]
    denominator: tuple[str, ...] | None = None
    scale: float = 1.0


@dataclass(frozen=True)
class ChallengeDefinition:
    """One municipal challenge. `scale`: the relative gap to the Netherlands that counts as
    fully severe (a choice per indicator, documented here: benefits vary by a factor of two
    between municipalities, average income by a fifth). `unit` says how `value` reads."""

    challenge_id: str
    label: str
    rules: tuple[ChallengeRule, ...]
    higher_is_worse: bool = True
    scale: float = 0.5
    unit: str = "share"  # share (0..1) | kg_per_inhabitant | eur_1000_per_inhabitant


_INHABITANTS = ("inhabitants", "population", "aantal_inwoners")
_HOUSEHOLDS = ("households", "total_households", "aantal_huishoudens")

CHALLENGES: tuple[ChallengeDefinition, ...] = (
    ChallengeDefinition(
        "unemployment",
        "Werkloosheid (WW-uitkeringen per inwoner)",
        (
            ChallengeRule(("ww_benefits", "persons_ww_benefits", "ww"), _INHABITANTS),
            ChallengeRule(("unemployment_rate", "unemployment_pct"), None, 0.01),
        ),
    ),
    ChallengeDefinition(
        "social_assistance",
        "Bijstandsafhankelijkheid (bijstand per inwoner)",
        (ChallengeRule(("bijstand_benefits", "persons_bijstand", "bijstand"), _INHABITANTS),),
    ),
    ChallengeDefinition(
        "disability_benefits",
        "Arbeidsongeschiktheid (AO-uitkeringen per inwoner)",
        (ChallengeRule(("ao_benefits", "persons_ao_benefits", "ao"), _INHABITANTS),),
    ),
    ChallengeDefinition(
        "ageing",
        "Vergrijzing (aandeel 65+)",
        (ChallengeRule(("age_65_plus", "inhabitants_65_plus"), _INHABITANTS),),
        scale=0.3,
    ),
    ChallengeDefinition(
        "loneliness",
        "Alleenwonenden (eenpersoonshuishoudens als aandeel van huishoudens)",
        (
            ChallengeRule(
                ("single_person_households", "one_person_households", "households_single"),
                _HOUSEHOLDS,
            ),
        ),
        scale=0.3,
    ),
    ChallengeDefinition(
        "household_waste",
        "Huishoudelijk afval (kg per inwoner)",
        (
            ChallengeRule(
                (
                    "household_waste_kg_per_inhabitant",
                    "total_household_waste_kg_per_inhabitant",
                    "waste_kg_per_inhabitant",
                )
            ),
        ),
        scale=0.3,
        unit="kg_per_inhabitant",
    ),
    ChallengeDefinition(
        "low_income",
        "Lage inkomens (aandeel huishoudens met laag inkomen)",
        (
            ChallengeRule(
                (
                    "low_income_households_pct",
                    "households_low_income_pct",
                    "pct_low_income_households",
                ),
                None,
                0.01,
            ),
        ),
    ),
    ChallengeDefinition(
        "low_average_income",
        "Laag gemiddeld inkomen per inwoner",
        (ChallengeRule(("avg_income_per_inhabitant", "average_income_per_inhabitant")),),
        higher_is_worse=False,
        scale=0.2,
        unit="eur_1000_per_inhabitant",
    ),
    ChallengeDefinition(
        "vacancy",
        "Leegstand (aandeel leegstaande woningen)",
        (
            ChallengeRule(("vacancy_share", "vacant_dwellings_pct", "vacancy_rate"), None, 0.01),
            ChallengeRule(("vacant_dwellings",), ("dwellings", "housing_stock")),
        ),
    ),
)

#: challenge ids that weight the jobs part of social impact
EMPLOYMENT_CHALLENGES: tuple[str, ...] = (
    "unemployment",
    "social_assistance",
    "disability_benefits",
)
#: challenge ids that trigger the elderly/loneliness bonus for care/community uses
ELDERLY_CHALLENGES: tuple[str, ...] = ("ageing", "loneliness")


def empty_challenges() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in CHALLENGE_COLUMNS})


def _latest_wide(indicators: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Municipality x indicator values of the latest period that has a value; the Nederland
    rows (NL00, NL01) merged into one row NATIONAL_CODE."""
    df = indicators[["region_code", "period", "indicator", "value"]].copy()
    df["region_code"] = df["region_code"].astype(str).str.strip()
    df.loc[df["region_code"].isin(NATIONAL_CODES), "region_code"] = NATIONAL_CODE
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    df = df.dropna(subset=["value"])
    is_mun = df["region_code"].str.match(r"^GM\d{4}$") | (df["region_code"] == NATIONAL_CODE)
    df = df[is_mun]
    df["period"] = df["period"].astype(str)
    df = df.sort_values(["region_code", "indicator", "period"])
    latest = df.groupby(["region_code", "indicator"], sort=True).tail(1)
    values = latest.pivot(index="region_code", columns="indicator", values="value")
    periods = latest.pivot(index="region_code", columns="indicator", values="period")
    return values, periods


def _first_present(aliases: tuple[str, ...], columns: pd.Index) -> str | None:
    for alias in aliases:
        if alias in columns:
            return alias
    return None


def _percentile(values: pd.Series) -> pd.Series:
    n = int(values.notna().sum())
    if n <= 1:
        return pd.Series(np.where(values.notna(), 0.5, np.nan), index=values.index)
    ranks = values.rank(method="average")
    return (ranks - 1.0) / (n - 1.0)


def relative_gap(
    value: pd.Series | float, reference: pd.Series | float, higher_is_worse: bool
) -> pd.Series | float:
    """How much worse than the reference, as a share of it (negative = better)."""
    ref = reference if not isinstance(reference, float) else (reference or np.nan)
    diff = (value - ref) if higher_is_worse else (ref - value)
    return diff / abs(ref) if isinstance(ref, float) else diff / ref.abs()


def derive_challenges(
    indicators: pd.DataFrame, region_codes: list[str] | tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Challenge rows (CHALLENGE_COLUMNS) for `region_codes` (all municipalities when None),
    compared with the Netherlands (its CBS row, else the median of the municipalities
    present); percentiles are over every municipality present in `indicators`."""
    if indicators is None or indicators.empty:
        return empty_challenges()
    values, periods = _latest_wide(indicators)
    if values.empty:
        return empty_challenges()
    mun_index = values.index[values.index != NATIONAL_CODE]
    frames: list[pd.DataFrame] = []
    for definition in CHALLENGES:
        for rule in definition.rules:
            num = _first_present(rule.numerator, values.columns)
            if num is None:
                continue
            den = None
            if rule.denominator is not None:
                den = _first_present(rule.denominator, values.columns)
                if den is None:
                    continue
            series = values[num] * rule.scale
            if den is not None:
                denominator = values[den].where(values[den] > 0)
                series = series / denominator
            national = series.get(NATIONAL_CODE, np.nan)
            mun_values = series.reindex(mun_index)
            median = float(mun_values.median())
            has_national = pd.notna(national) and float(national) != 0.0
            reference = float(national) if has_national else median
            gap = relative_gap(mun_values, reference, definition.higher_is_worse)
            severity = (gap / definition.scale).clip(lower=0.0, upper=1.0)
            pct = _percentile(mun_values)
            if not definition.higher_is_worse:
                pct = 1.0 - pct
            frame = pd.DataFrame(
                {
                    "municipality_code": mun_index.astype(str),
                    "challenge_id": definition.challenge_id,
                    "label": definition.label,
                    "indicator": num if den is None else f"{num}/{den}",
                    "period": periods[num].reindex(mun_index).to_numpy(),
                    "value": mun_values.to_numpy(),
                    "national_value": float(national) if pd.notna(national) else np.nan,
                    "national_median": median,
                    "reference_basis": "Nederland" if has_national else "mediaan gemeenten",
                    "gap": gap.to_numpy(),
                    "percentile": pct.to_numpy(),
                    "severity": severity.to_numpy(),
                    "higher_is_worse": definition.higher_is_worse,
                    "unit": definition.unit,
                }
            )
            frames.append(frame.dropna(subset=["value"]))
            break
    if not frames:
        return empty_challenges()
    out = pd.concat(frames, ignore_index=True)
    if region_codes is not None:
        out = out[out["municipality_code"].isin(list(region_codes))]
    out = out.sort_values(["municipality_code", "challenge_id"]).reset_index(drop=True)
    return out[list(CHALLENGE_COLUMNS)]


def severity_table(challenges: pd.DataFrame) -> pd.DataFrame:
    """Municipality x challenge_id severity matrix (0 where a challenge is unknown)."""
    if challenges is None or challenges.empty:
        return pd.DataFrame(dtype=float)
    wide = challenges.pivot_table(
        index="municipality_code", columns="challenge_id", values="severity", aggfunc="max"
    )
    return wide.astype(float)
