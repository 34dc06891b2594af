"""Reference lists (EURAL, SBI 2008, SBI 2025) as assets, validated like any dataset: a broken
code list must stop the graph before it spreads."""

import dagster as dg

from assets.quality_gate import QUALITY_CHECK, gate_table
from regionomie.domain.reference import REFERENCE_LISTS, load_list

DESCRIPTIONS = {
    "eural": "The European List of Waste (EURAL) in data/reference.",
    "sbi2008": "SBI 2008 activity codes, sections to subclasses.",
    "sbi2025": "SBI 2025 codes with their NACE Rev.2 correspondence.",
}


def _reference_asset(name: str) -> dg.AssetsDefinition:
    description = DESCRIPTIONS[name]

    @dg.asset(
        name=name,
        group_name="reference",
        kinds={"pandas", "great_expectations"},
        check_specs=[dg.AssetCheckSpec(QUALITY_CHECK, asset=name, blocking=True)],
        description=description,
    )
    def reference_asset(context: dg.AssetExecutionContext):
        yield from gate_table(context, name, load_list(name))

    return reference_asset


reference_assets = [_reference_asset(name) for name in REFERENCE_LISTS]
