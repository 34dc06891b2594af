// Question: which establishments in a municipality produce the most of a material?
// Parameters: $municipality (CBS code, e.g. "GM0307"), $eural (EURAL entry, subchapter or
//   chapter code without spaces, e.g. "200108", "2001" or "20"), $limit (e.g. 10)
// Sole proprietors' names are personal data: shown as "(eenmanszaak)".
// Example: {"municipality": "GM0307", "eural": "20", "limit": 10}
MATCH (m:Material)-[:PART_OF*0..2]->(:Material {code: $eural})
MATCH (e:Establishment)-[p:PRODUCES]->(m)
WHERE p.current
  AND EXISTS { (e)-[l:LOCATED_IN]->(:Municipality {code: $municipality}) WHERE l.current }
RETURN e.vestigingsnummer AS vestigingsnummer,
       CASE WHEN e.is_sole_proprietor THEN '(eenmanszaak)' ELSE e.name END AS name,
       m.code AS eural, m.name AS material, p.period AS period,
       p.tonnes_per_year AS tonnes_per_year
ORDER BY tonnes_per_year DESC, vestigingsnummer, eural
LIMIT $limit;
