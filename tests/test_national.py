"""The national synthetic register: every municipality, sized by counts, COROP areas as the
partitions of a national run."""

from __future__ import annotations

import pandas as pd
import pytest

from regionomie.domain import reference
from regionomie.domain.regions import load_standard_regions, regions_of_kind
from regionomie.sample.generator import generate_national, national_counts


def test_counts_sum_exactly_and_follow_a_counts_file(tmp_path):
    even = national_counts(2_000_000)
    assert sum(even.values()) == 2_000_000 and len(even) == 342
    assert max(even.values()) - min(even.values()) <= 1
    counts = tmp_path / "counts.csv"
    counts.write_text(
        "municipality_code,establishments\nGM0363,900\nGM0457,100\nGM0307,1000\n",
        encoding="utf-8",
    )
    sized = national_counts(10_000, counts)
    assert sized["GM0363"] == 5_000  # Weesp (GM0457) counted with Amsterdam
    assert sized["GM0307"] == 5_000 and sum(sized.values()) == 10_000
    bad = tmp_path / "bad.csv"
    bad.write_text("municipality_code,establishments\nGM9999,5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown municipality GM9999"):
        national_counts(10, bad)


def test_national_register_covers_every_municipality_and_corop_area(tmp_path):
    paths = generate_national(tmp_path, n_establishments=3_420, waste_scale=0.2)
    est = pd.read_csv(paths["establishments"], sep=";", dtype=str)
    assert len(est) == 3_420 and est["vestigingsnummer"].is_unique
    per_municipality = est["municipality_code"].value_counts()
    assert set(per_municipality.index) == set(reference.load_municipalities()["municipality_code"])
    assert set(per_municipality) == {10}
    corop = regions_of_kind(load_standard_regions(), "corop")
    sizes = {r.code: int(per_municipality[list(r.municipality_codes)].sum()) for r in corop}
    assert sum(sizes.values()) == 3_420 and min(sizes.values()) > 0
    assert paths["waste"].stat().st_size > 0
    again = generate_national(tmp_path / "again", n_establishments=3_420, waste_scale=0.2)
    assert again["establishments"].read_bytes() == paths["establishments"].read_bytes()
