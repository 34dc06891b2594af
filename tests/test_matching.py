"""Waste party -> establishment linking: address first, then name in the area, else kept."""

from __future__ import annotations

import pandas as pd
import pytest

from regionomie.domain.matching import NAME_THRESHOLD, link_waste_parties, normalise_name
from regionomie.domain.schemas import WASTE_PARTY_LINKS


def est(rows: list[tuple[str, str, str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "vestigingsnummer",
            "trade_name",
            "postcode",
            "house_number",
            "house_number_addition",
            "city",
        ],
    )


ESTABLISHMENTS = est(
    [
        ("000000000001", "Restaurant De Eem", "3811AB", "12", "", "Amersfoort"),
        ("000000000002", "Koffiebranderij Boon", "3812CD", "5", "", "Amersfoort"),
        ("000000000003", "Adviesbureau Punt", "3812CD", "5", "", "Amersfoort"),
        ("000000000004", "Brouwerij Het Anker", "3931AA", "1", "", "Woudenberg"),
        ("000000000005", "Bakkerij Anker", "3931AA", "20", "B", "Woudenberg"),
        ("000000000006", "Bakkerij Anker Noord", "3931AA", "20", "A", "Woudenberg"),
    ]
)


def waste(parties: list[dict[str, str | None]], role: str = "ontdoener") -> pd.DataFrame:
    rows = []
    for k, p in enumerate(parties):
        rows.append(
            {
                "afvalstroomnummer": f"{k + 1:012d}",
                f"{role}_name": p.get("name"),
                f"{role}_street": p.get("street"),
                f"{role}_house_number": p.get("house_number"),
                f"{role}_postcode": p.get("postcode"),
                f"{role}_city": p.get("city"),
                f"{role}_country": "NEDERLAND",
            }
        )
    return pd.DataFrame(rows)


def link(parties: list[dict[str, str | None]], role: str = "ontdoener") -> pd.DataFrame:
    out = link_waste_parties(waste(parties, role), ESTABLISHMENTS)
    assert list(out.columns) == list(WASTE_PARTY_LINKS.columns)
    return out.set_index("afvalstroomnummer")


def test_unique_address_match_confidence_one() -> None:
    out = link([{"name": "RESTAURANT DE EEM B.V.", "postcode": "3811 ab", "house_number": "12"}])
    r = out.loc["000000000001"]
    assert r["vestigingsnummer"] == "000000000001" and r["match_method"] == "address"
    assert r["confidence"] == 1.0 and r["role"] == "ontdoener" and r["postcode"] == "3811AB"


def test_shared_address_name_decides_with_lower_confidence() -> None:
    out = link(
        [
            {"name": "ADVIESBUREAU PUNT", "postcode": "3812CD", "house_number": "5"},
            {"name": None, "postcode": "3812CD", "house_number": "5"},
        ]
    )
    named = out.loc["000000000001"]
    assert named["vestigingsnummer"] == "000000000003" and named["match_method"] == "address"
    assert 0.9 < named["confidence"] < 1.0
    anonymous = out.loc["000000000002"]
    assert anonymous["match_method"] == "address" and anonymous["confidence"] == 0.5


def test_house_number_addition_decides() -> None:
    out = link([{"name": "X", "postcode": "3931AA", "house_number": "20a"}])
    assert out.loc["000000000001", "vestigingsnummer"] == "000000000006"


def test_name_match_within_postcode_when_house_number_missing() -> None:
    out = link([{"name": "KOFFIEBRANDERIJ  BOON BV", "postcode": "3812CD", "house_number": ""}])
    r = out.loc["000000000001"]
    assert r["vestigingsnummer"] == "000000000002" and r["match_method"] == "name"
    assert NAME_THRESHOLD / 100 <= r["confidence"] <= 1.0


def test_name_match_in_city_when_no_postcode() -> None:
    out = link([{"name": "Brouwerij Het Anker", "postcode": None, "city": "WOUDENBERG"}])
    assert out.loc["000000000001", "vestigingsnummer"] == "000000000004"
    assert out.loc["000000000001", "match_method"] == "name"


def test_unmatched_party_is_kept() -> None:
    out = link(
        [
            {"name": "Iemand Anders", "postcode": "3812CD", "house_number": "99"},
            {
                "name": "Restaurant De Eem",
                "postcode": "9999ZZ",
                "house_number": "1",
                "city": "Elders",
            },
        ]
    )
    assert len(out) == 2
    assert out["match_method"].tolist() == ["none", "none"]
    assert out["vestigingsnummer"].isna().all() and (out["confidence"] == 0.0).all()


def test_parties_without_address_are_not_linked_and_roles_are_separate() -> None:
    w = waste([{"name": "Restaurant De Eem", "postcode": "3811AB", "house_number": "12"}])
    w["ontvanger_name"] = ["Niemand"]  # a name but no address at all
    w["verwerker_postcode"] = ["3931AA"]
    w["verwerker_house_number"] = ["1"]
    out = link_waste_parties(w, ESTABLISHMENTS)
    assert sorted(out["role"]) == ["ontdoener", "verwerker"]
    assert out.set_index("role").loc["verwerker", "vestigingsnummer"] == "000000000004"


def test_one_link_per_stream_and_role_over_months() -> None:
    w = pd.concat([waste([{"name": "A", "postcode": "3811AB", "house_number": "12"}])] * 12)
    out = link_waste_parties(w, ESTABLISHMENTS)
    assert len(out) == 1


@pytest.mark.parametrize(
    ("raw", "norm"),
    [("Bakkerij  Anker B.V.", "BAKKERIJ ANKER"), ("V.O.F. De Eem", "DE EEM"), ("", "")],
)
def test_normalise_name(raw: str, norm: str) -> None:
    assert normalise_name(pd.Series([raw])).iat[0] == norm


def test_slicing_of_candidate_pairs_does_not_change_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parties = [
        {"name": "KOFFIEBRANDERIJ BOON", "postcode": "3812CD", "house_number": ""},
        {"name": "Brouwerij Het Anker", "postcode": None, "city": "Woudenberg"},
        {"name": "Bakkerij Anker", "postcode": "3931ZZ", "house_number": ""},
        {"name": "Onbekend", "postcode": "3931AA", "house_number": ""},
    ]
    whole = link(parties)
    import regionomie.domain.matching as matching

    monkeypatch.setattr(matching, "PAIR_BUDGET", 1)
    sliced = link(parties)
    pd.testing.assert_frame_equal(whole, sliced)
    assert whole["match_method"].tolist() == ["name", "name", "name", "none"]
