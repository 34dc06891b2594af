// Question: who produces a waste stream (an EURAL code at any level, or a knowledge-base
//   material) within a radius of a point or of an establishment, and how much?
// Parameters: $eural (EURAL entry, subchapter or chapter without spaces, e.g. "200108",
//   "0207" or "02"; null to use $material), $material (knowledge-base material id, e.g.
//   "spent_coffee_grounds"; null to use $eural), $vestigingsnummer (an establishment to
//   search around, e.g. "000100000000"; null to use $lat/$lon), $lat, $lon (WGS84
//   degrees, e.g. 52.1561, 5.3878; used when $vestigingsnummer is null), $radius_km (e.g. 5)
// Sole proprietors' names are personal data: shown as "(eenmanszaak)".
// Example: {"eural": null, "material": "spent_coffee_grounds", "vestigingsnummer": "000100000000", "lat": null, "lon": null, "radius_km": 25.0}
OPTIONAL MATCH (origin:Establishment {vestigingsnummer: $vestigingsnummer})
WITH CASE WHEN origin IS NOT NULL THEN origin.location
          ELSE point({latitude: $lat, longitude: $lon}) END AS centre
MATCH (m:Material)
WHERE ($eural IS NOT NULL AND EXISTS { (m)-[:PART_OF*0..2]->(:Material {code: $eural}) })
   OR ($material IS NOT NULL
       AND EXISTS { (:ResidualStream {id: $material})-[:REPORTED_AS]->(m) })
MATCH (e:Establishment)-[p:PRODUCES]->(m)
WHERE p.current AND e.active = true AND e.location IS NOT NULL
  AND point.distance(e.location, centre) <= $radius_km * 1000
  AND (e.vestigingsnummer <> $vestigingsnummer OR $vestigingsnummer IS NULL)
OPTIONAL MATCH (e)-[l:LOCATED_IN]->(mun:Municipality) WHERE l.current
WITH e, mun, centre, collect(DISTINCT m.code) AS eural_codes,
     sum(p.tonnes_per_year) AS tonnes_per_year
RETURN e.vestigingsnummer AS vestigingsnummer,
       CASE WHEN e.is_sole_proprietor THEN '(eenmanszaak)' ELSE e.name END AS name,
       mun.name AS municipality, eural_codes, round(tonnes_per_year, 3) AS tonnes_per_year,
       round(point.distance(e.location, centre) / 1000.0, 2) AS distance_km
ORDER BY distance_km, vestigingsnummer;
