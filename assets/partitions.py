"""Regions as partitions: every custom region of data/regions.yaml and every standard CBS
region (COROP areas, provinces, landsdelen, and what a `regionomie regions refresh` added).

The COROP areas cover the country once without overlap, so they are the partitions of a
national run (one backfill over `partition_keys_of_kind("corop")`) and of the weekly exports,
with the custom regions beside them.
"""

import dagster as dg

from regionomie.domain.regions import CUSTOM, kind_key, load_regions

REGIONS = load_regions()
region_partitions = dg.StaticPartitionsDefinition(sorted(REGIONS))
NATIONAL_KIND = "corop"
SCHEDULED_KINDS = (CUSTOM, NATIONAL_KIND)


def partition_keys_of_kind(*kinds: str) -> list[str]:
    wanted = {kind_key(k) if k != CUSTOM else CUSTOM for k in kinds}
    return sorted(name for name, region in REGIONS.items() if region.kind in wanted)
