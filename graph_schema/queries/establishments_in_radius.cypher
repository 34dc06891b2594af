// Question: which active establishments of a sector lie within a radius of a point?
// Parameters: $sector (Sector key at any level or scheme, e.g. "nace:5610",
//   "sbi2008:56", "sbi2025:56111"), $lat, $lon (WGS84 degrees, e.g. 52.1561, 5.3878),
//   $radius_km (e.g. 2.0)
// Example: {"sector": "nace:5610", "lat": 52.1561, "lon": 5.3878, "radius_km": 1.0}
WITH point({latitude: $lat, longitude: $lon}) AS centre
MATCH (target:Sector {key: $sector})
MATCH (e:Establishment)-[a:ACTIVE_IN]->(:Sector)-[:PART_OF|CORRESPONDS_TO*0..5]->(target)
WHERE a.current AND e.active = true
  AND point.distance(e.location, centre) <= $radius_km * 1000
RETURN DISTINCT e.vestigingsnummer AS vestigingsnummer,
       CASE WHEN e.is_sole_proprietor THEN '(eenmanszaak)' ELSE e.name END AS name,
       round(point.distance(e.location, centre) / 1000.0, 3) AS distance_km,
       e.employees AS employees
ORDER BY distance_km, vestigingsnummer;
