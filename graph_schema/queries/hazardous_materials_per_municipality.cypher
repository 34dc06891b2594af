// Question: which hazardous materials (EURAL entries marked *) are produced in a
//   municipality, by how many establishments and how many tonnes a year?
// Parameters: $municipality (e.g. "GM0307", or null for every municipality)
// Example: {"municipality": null}
MATCH (e:Establishment)-[p:PRODUCES]->(m:Material {hazardous: true})
WHERE p.current
MATCH (e)-[l:LOCATED_IN]->(mu:Municipality)
WHERE l.current AND ($municipality IS NULL OR mu.code = $municipality)
RETURN mu.code AS municipality, mu.name AS name, m.code AS eural, m.name AS material,
       count(DISTINCT e) AS producers, sum(p.tonnes_per_year) AS tonnes_per_year
ORDER BY municipality, tonnes_per_year DESC, eural;
