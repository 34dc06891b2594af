"""Regions (named sets of municipalities, configured in data/regions.yaml) as partitions."""

import dagster as dg

from regionomie.domain.regions import load_regions

REGIONS = load_regions()
region_partitions = dg.StaticPartitionsDefinition(sorted(REGIONS))
