"""Municipal social and environmental challenges derived from CBS indicators.

Why: business cases are ranked partly by how much they help where help is needed (jobs where
unemployment and benefit dependence are high, community uses where many elderly live alone).

Formulas (one row per municipality x challenge, latest period available per municipality):

* value       = numerator / denominator when the challenge is a share (e.g. WW benefit
                recipients / inhabitants), else the indicator value itself (already a rate).
* national_median = median of `value` over every municipality present in the input (when a
                national row "NL01" is present its value is reported as `national_value`).
* percentile  = (rank(value) - 1) / (n - 1) over all municipalities present, average ranks
                for ties; 0.5 when only one municipality is present.
* severity    = percentile when a higher value is worse, 1 - percentile when lower is worse
                (e.g. average income), so severity 1 = the worst-off municipality present.

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
    "percentile",
    "severity",
    "higher_is_worse",
)

NATIONAL_CODE = "NL01"


@dataclass(frozen=True)
class ChallengeRule:
    """One way to compute a challenge: numerator (aliases) over denominator (aliases) or None."""

    numerator: tuple[str, ...]
    denominator: tuple[str, ...] | None = None
    scale: float = 1.0


@dataclass(frozen=True)
class ChallengeDefinition:
    challenge_id: str
    label: str
    rules: tuple[ChallengeRule, ...]
    higher_is_worse: bool = True


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


def _municipal_values(indicators: pd.DataFrame) -> pd.DataFrame:
    """Valued municipal (and national) rows: region_code, period, indicator, value."""
    df = indicators[["region_code", "period", "indicator", "value"]].copy()
    df["region_code"] = df["region_code"].astype(str).str.strip()
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    df = df.dropna(subset=["value"])
    is_mun = df["region_code"].str.match(r"^GM\d{4}$") | (df["region_code"] == NATIONAL_CODE)
    df = df[is_mun]
    df["period"] = df["period"].astype(str)
    return df


def _latest_wide(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Municipality x indicator values of the latest period that has a value (each indicator
    from the most recent table that has it: a new Kerncijfers year's first release lacks
    some fields, which then come from the year before)."""
    df = df.sort_values(["region_code", "indicator", "period"])
    latest = df.groupby(["region_code", "indicator"], sort=True).tail(1)
    values = latest.pivot(index="region_code", columns="indicator", values="value")
    periods = latest.pivot(index="region_code", columns="indicator", values="period")
    return values, periods


def _denominator_of_period(
    df: pd.DataFrame, denominator: str, periods: pd.Series, latest: pd.Series
) -> pd.Series:
    """The denominator in the numerator's period where that period has it (WW recipients
    of 2024 over inhabitants of 2024, not of 2025), else its latest value."""
    rows = df[df["indicator"] == denominator].set_index(["region_code", "period"])["value"]
    rows = rows[~rows.index.duplicated(keep="last")]
    keys = list(zip(periods.index, periods.astype(str), strict=True))
    same = pd.Series(rows.reindex(keys).to_numpy(), index=periods.index)
    return same.where(same.notna() & periods.notna(), latest.reindex(periods.index))


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


def derive_challenges(
    indicators: pd.DataFrame, region_codes: list[str] | tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Challenge rows (CHALLENGE_COLUMNS) for `region_codes` (all municipalities when None),
    ranked against every municipality present in `indicators`."""
    if indicators is None or indicators.empty:
        return empty_challenges()
    long = _municipal_values(indicators)
    values, periods = _latest_wide(long)
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
                den_values = _denominator_of_period(long, den, periods[num], values[den])
                denominator = den_values.where(den_values > 0)
                series = series / denominator
            national = series.get(NATIONAL_CODE, np.nan)
            mun_values = series.reindex(mun_index)
            pct = _percentile(mun_values)
            severity = pct if definition.higher_is_worse else 1.0 - pct
            frame = pd.DataFrame(
                {
                    "municipality_code": mun_index.astype(str),
                    "challenge_id": definition.challenge_id,
                    "label": definition.label,
                    "indicator": num if den is None else f"{num}/{den}",
                    "period": periods[num].reindex(mun_index).to_numpy(),
                    "value": mun_values.to_numpy(),
                    "national_value": float(national) if pd.notna(national) else np.nan,
                    "national_median": float(mun_values.median()),
                    "percentile": pct.to_numpy(),
                    "severity": severity.to_numpy(),
                    "higher_is_worse": definition.higher_is_worse,
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
