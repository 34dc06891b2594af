"""Ingest assets: land files per source family, then one validated table asset per dataset.

The landing assets parse each file once into the staging area; table assets read the staged
union, run the dataset's Great Expectations suite, quarantine failing rows and gate everything
downstream through blocking asset checks.
"""

from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import Field

from assets.quality_gate import QUALITY_CHECK, gate_table
from assets.resources import LandingZone
from regionomie.domain.parsers.landing import land_file
from regionomie.domain.results import SourceFileError
from regionomie.domain.sources import SOURCE_TABLES
from regionomie.domain.staging import read_staged
from regionomie.flow import PARTY_LINKS, party_links, source_absent

GROUPS = {"kvk": "ingest_kvk", "waste": "ingest_waste", "municipal": "ingest_municipal"}


class LandingConfig(dg.Config):
    files: list[str] = Field(
        default_factory=list,
        description="Files to land; empty means every file waiting in the landing zone.",
    )
    archive: bool = Field(
        default=True,
        description="Remove landing-zone files after landing (a copy is kept in <state>/archive).",
    )


def _landing_asset(source: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"{source}_landing",
        group_name=GROUPS[source],
        kinds={"python", "file"},
        description=f"Lands {source} files: parse once into staging, archive, quarantine "
        "unusable files with their reason.",
        retry_policy=dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL),
    )
    def landing(
        context: dg.AssetExecutionContext, config: LandingConfig, landing_zone: LandingZone
    ) -> dg.MaterializeResult:
        paths = list(config.files) or [f.path for f in landing_zone.list_files(source)]
        landed, rejected_files, rows = [], [], {"rows_in": 0, "parsed": 0, "set_aside": 0}
        notes: list[str] = []
        for entry in paths:
            try:
                with landing_zone.local_copy(entry) as path:
                    report = land_file(path, source)
            except SourceFileError as exc:
                # land_file already copied it to the quarantine; it must not block the next file
                rejected_files.append({"file": Path(entry).name, "reason": str(exc)})
                context.log.error(f"{source}: file not usable: {exc}")
                _remove_from_landing_zone(entry, landing_zone, source, config.archive)
                continue
            landed.append(path.name)
            notes += [f"{path.name}: {note}" for note in report.notes]
            for table in report.tables.values():
                rows["rows_in"] += table.rows_in
                rows["parsed"] += table.parsed
                rows["set_aside"] += table.set_aside
            _remove_from_landing_zone(entry, landing_zone, source, config.archive)
            context.log.info("\n".join(report.lines()))
        return dg.MaterializeResult(
            metadata={
                "files_landed": len(landed),
                "files_rejected": len(rejected_files),
                "landed": dg.MetadataValue.json(landed),
                "rejected_files": dg.MetadataValue.json(rejected_files),
                "notes": dg.MetadataValue.json(notes),
                **rows,
            }
        )

    return landing


def _remove_from_landing_zone(
    path: str, landing_zone: LandingZone, source: str, archive: bool
) -> None:
    """Landed (or quarantined) files leave the landing zone; land_file kept a copy. Files
    given from elsewhere (not in the zone) are never removed."""
    if archive:
        landing_zone.discard(str(path), source)


def _table_asset(source: str, table: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=table,
        group_name=GROUPS[source],
        kinds={"pandas", "great_expectations"},
        deps=[f"{source}_landing"],
        check_specs=[dg.AssetCheckSpec(QUALITY_CHECK, asset=table, blocking=True)],
        description=f"The current, validated {table} table (quarantined rows set aside).",
    )
    def table_asset(context: dg.AssetExecutionContext):
        frame = read_staged(table)
        absent = source_absent(table, frame)
        if absent:
            context.log.info(f"{table}: nothing landed for it: absent (open-data mode)")
        yield from gate_table(context, table, frame, source_absent=absent)

    return table_asset


landing_assets = [_landing_asset(source) for source in SOURCE_TABLES]
table_assets = [
    _table_asset(source, table) for source, tables in SOURCE_TABLES.items() for table in tables
]


@dg.asset(
    group_name="ingest_waste",
    kinds={"pandas", "great_expectations"},
    check_specs=[dg.AssetCheckSpec(QUALITY_CHECK, asset=PARTY_LINKS, blocking=True)],
    description="Every waste party linked to an establishment (address, then name) or kept "
    "unmatched, with method and confidence.",
)
def waste_party_links(
    context: dg.AssetExecutionContext, waste_records: pd.DataFrame, establishments: pd.DataFrame
):
    related = {"establishments": establishments, "waste_records": waste_records}
    links = party_links(waste_records, establishments)
    absent = source_absent(PARTY_LINKS, links)
    yield from gate_table(context, PARTY_LINKS, links, related=related, source_absent=absent)
