"""Reference lists (EURAL, SBI) and the knowledge base as assets, validated like any dataset:
a broken code list must stop the graph before it spreads."""

import dagster as dg
import pandas as pd

from assets.quality_gate import QUALITY_CHECK, gate_table


def eural_entries(eural: pd.DataFrame) -> pd.DataFrame:
    entries = eural[eural["level"] == "entry"]
    return pd.DataFrame(
        {
            "code": entries["code"].astype(str),
            "hazardous": entries["hazardous"].fillna(False).astype(bool),
            "description": entries["description_nl"].fillna(entries["description_en"]),
        }
    ).reset_index(drop=True)


def sbi_codes(sbi2008: pd.DataFrame, sbi2025: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(
        [
            pd.DataFrame(
                {"code": sbi2008["code"], "version": "2008", "description": sbi2008["label_nl"]}
            ),
            pd.DataFrame(
                {"code": sbi2025["code"], "version": "2025", "description": sbi2025["label_nl"]}
            ),
        ],
        ignore_index=True,
    )


@dg.asset(
    group_name="reference",
    kinds={"pandas", "great_expectations"},
    check_specs=[dg.AssetCheckSpec(QUALITY_CHECK, asset="eural", blocking=True)],
    description="The European List of Waste (EURAL), shipped in data/reference/eural.csv.",
)
def eural(context: dg.AssetExecutionContext):
    from regionomie.domain.reference import load_eural

    yield from gate_table(context, "eural", eural_entries(load_eural()))


@dg.asset(
    group_name="reference",
    kinds={"pandas", "great_expectations"},
    check_specs=[dg.AssetCheckSpec(QUALITY_CHECK, asset="sbi", blocking=True)],
    description="SBI 2008 and SBI 2025 activity codes with their NACE correspondence.",
)
def sbi(context: dg.AssetExecutionContext):
    from regionomie.domain.reference import load_sbi2008, load_sbi2025

    yield from gate_table(context, "sbi", sbi_codes(load_sbi2008(), load_sbi2025()))


reference_assets = [eural, sbi]
