"""Which receivers a producer is paired with: the nearest existing receivers of the wanted
class (one KD-tree per class, never all pairs), or, where none is within reach, a start-up
("sector") receiver at the centroid of the producer's municipality. Distances only; scoring
happens in scoring.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from regionomie.domain.opportunities.common import KM_PER_DEG_LAT, KM_PER_DEG_LON_NL, haversine_km
from regionomie.domain.opportunities.config import ScoringConfig

NEAREST_MARGIN = 5  # extra KD-tree neighbours, re-ranked by great-circle distance


def receiver_pool(actors: pd.DataFrame, classes: set[str]) -> pd.DataFrame:
    """Active receivers of the wanted classes that have coordinates."""
    rec = actors[actors["nace_class"].isin(classes) & actors["lat"].notna() & actors["lon"].notna()]
    return rec[rec["active"].astype(bool)] if "active" in rec else rec


_NEAR_COLUMNS = [
    "pp_row",
    "receiver_id",
    "receiver_lat",
    "receiver_lon",
    "receiver_employees",
    "receiver_municipality",
    "distance_km",
]


def _project_km(lat: pd.Series | np.ndarray, lon: pd.Series | np.ndarray) -> np.ndarray:
    """Points as (x, y) km on an equirectangular plane around 52.2 N (for the KD-tree)."""
    x = np.asarray(lon, dtype="float64") * KM_PER_DEG_LON_NL
    y = np.asarray(lat, dtype="float64") * KM_PER_DEG_LAT
    return np.column_stack([x, y])


def _nearest_receivers(
    pp: pd.DataFrame, receivers: pd.DataFrame, config: ScoringConfig
) -> pd.DataFrame:
    """The k nearest receivers within reach per producer-pathway row (pp_row = position in pp).

    One KD-tree per receiver class: each producer examines only its nearest few receivers
    (k + a margin, re-ranked by great-circle distance), never all pairs."""
    reach_km = config.max_distance_km / config.road_factor
    k = config.k_nearest
    results: list[pd.DataFrame] = []
    pairs_compared = 0
    pp_nace = pp["receiver_nace"].to_numpy()
    producer_ids = pp["establishment_id"].to_numpy()
    for nace, rec in receivers.groupby("nace_class", sort=True):
        rows = np.flatnonzero(pp_nace == nace)
        if not len(rows):
            continue
        rec = rec.sort_values("establishment_id")
        tree = cKDTree(_project_km(rec["lat"], rec["lon"]))
        sub = pp.iloc[rows]
        wanted = min(len(rec), k + NEAREST_MARGIN)
        _, idx = tree.query(
            _project_km(sub["lat"], sub["lon"]),
            k=wanted,
            distance_upper_bound=reach_km * 1.01,
        )
        idx = np.asarray(idx).reshape(len(rows), wanted)
        found = idx < len(rec)
        pairs_compared += int(found.sum())
        pp_row = np.repeat(rows, wanted)[found.ravel()]
        ri = idx.ravel()[found.ravel()]
        rec_ids = rec["establishment_id"].to_numpy()[ri]
        rlat = rec["lat"].to_numpy(dtype="float64")[ri]
        rlon = rec["lon"].to_numpy(dtype="float64")[ri]
        plat = pp["lat"].to_numpy(dtype="float64")[pp_row]
        plon = pp["lon"].to_numpy(dtype="float64")[pp_row]
        road = haversine_km(plat, plon, rlat, rlon) * config.road_factor
        keep = (rec_ids != producer_ids[pp_row]) & (road <= config.max_distance_km)
        # Nearest first per row, ties by receiver id: `rec` is sorted by id, so its position
        # orders ties as the id does. Then the first k of each row (numbers only, no strings).
        pp_row, ri, road = pp_row[keep], ri[keep], road[keep]
        order = np.lexsort((ri, road, pp_row))
        pp_row, ri, road = pp_row[order], ri[order], road[order]
        starts = np.flatnonzero(np.r_[True, pp_row[1:] != pp_row[:-1]])
        rank = np.arange(len(pp_row)) - np.repeat(starts, np.diff(np.r_[starts, len(pp_row)]))
        first = rank < k
        ri = ri[first]
        results.append(
            pd.DataFrame(
                {
                    "pp_row": pp_row[first].astype("int64"),
                    "receiver_id": rec["establishment_id"].to_numpy()[ri],
                    "receiver_lat": rec["lat"].to_numpy(dtype="float64")[ri],
                    "receiver_lon": rec["lon"].to_numpy(dtype="float64")[ri],
                    "receiver_employees": rec["employees"].to_numpy(dtype="float64")[ri],
                    "receiver_municipality": rec["municipality_code"].to_numpy(dtype=object)[ri],
                    "distance_km": road[first],
                }
            )
        )
    out = pd.concat(results, ignore_index=True) if results else pd.DataFrame(columns=_NEAR_COLUMNS)
    out.attrs["pairs_compared"] = pairs_compared
    return out


def municipality_centroids(municipalities: pd.DataFrame | None) -> pd.DataFrame:
    """Municipality centroids (lat, lon) by municipality_code: where start-ups are placed."""
    if municipalities is None or municipalities.empty:
        return pd.DataFrame(columns=["lat", "lon"])
    mun = municipalities.drop_duplicates("municipality_code").set_index("municipality_code")
    return mun[["lat", "lon"]].apply(pd.to_numeric, errors="coerce")


def chunk_candidates(
    pp: pd.DataFrame, receivers: pd.DataFrame, centroids: pd.DataFrame, config: ScoringConfig
) -> tuple[pd.DataFrame, int, pd.DataFrame]:
    """Existing-receiver candidates (k nearest per producer-pathway) and start-up candidates
    (where no receiver of the class is within reach and a start-up can be one) for one chunk
    of producers; also the producer-pathway rows that got neither (establishment_id,
    material_id, classes), so they can be set aside with that reason."""
    pp = pp.reset_index(drop=True)
    near = _nearest_receivers(pp, receivers, config)
    pp["pp_row"] = np.arange(len(pp), dtype="int64")
    existing = pp.merge(near, on="pp_row", how="inner")
    # object, not pandas' Arrow str: the engine takes and ranks millions of these rows
    existing["receiver_kind"] = np.full(len(existing), "establishment", dtype=object)

    reached = set(near["pp_row"].unique())
    unreached = pp[~pp["pp_row"].isin(reached)]
    feasible = unreached["startup_feasible"].fillna(True).astype(bool)
    nothing = unreached[~feasible.to_numpy()]
    no_receiver = (
        nothing.groupby(["establishment_id", "material_id"], sort=True)["receiver_nace"]
        .agg(lambda s: ", ".join(sorted(set(s))))
        .rename("classes")
        .reset_index()
    )
    startup = unreached[feasible.to_numpy()].copy()
    startup["receiver_kind"] = np.full(len(startup), "sector", dtype=object)
    startup["receiver_id"] = (
        "sector:" + startup["receiver_nace"] + ":" + startup["municipality_code"].fillna("onbekend")
    )
    startup["receiver_employees"] = np.nan
    startup["receiver_municipality"] = startup["municipality_code"]
    cen = startup["municipality_code"].map(centroids["lat"]) if len(centroids) else np.nan
    startup["receiver_lat"] = pd.to_numeric(cen, errors="coerce")
    cen_lon = startup["municipality_code"].map(centroids["lon"]) if len(centroids) else np.nan
    startup["receiver_lon"] = pd.to_numeric(cen_lon, errors="coerce")
    no_centroid = startup["receiver_lat"].isna() | startup["receiver_lon"].isna()
    startup.loc[no_centroid, "receiver_lat"] = startup.loc[no_centroid, "lat"]
    startup.loc[no_centroid, "receiver_lon"] = startup.loc[no_centroid, "lon"]
    dist = haversine_km(
        startup["lat"], startup["lon"], startup["receiver_lat"], startup["receiver_lon"]
    )
    startup["distance_km"] = np.where(
        no_centroid, config.startup_distance_km, np.maximum(dist * config.road_factor, 1.0)
    )
    return (
        pd.concat([existing, startup], ignore_index=True),
        int(near.attrs.get("pairs_compared", 0)),
        no_receiver,
    )
