"""Relationship identity: parallel relationships that differ in an identity property stay."""

import pandas as pd

from regionomie.graph.rows import prepare_relationships


def test_parallel_flows_of_two_materials_are_both_kept():
    rels = pd.DataFrame(
        {
            "start": ["000000000001", "000000000001", "000000000001"],
            "end": ["000000000002", "000000000002", "000000000002"],
            "eural_code": ["200108", "200125", "200108"],
            "period": ["2024", "2024", "2024"],
            "tonnes": [1.0, 2.0, 3.0],
            "loads": [1, 1, 1],
            "processing_code": [None, None, None],
        }
    )
    frame, counts = prepare_relationships("SENDS", rels)
    assert sorted(frame["eural_code"]) == ["200108", "200125"]
    assert counts.rows_in == 3
    assert counts.reasons == {"duplicate key (start/end/eural_code/period)": 1}
