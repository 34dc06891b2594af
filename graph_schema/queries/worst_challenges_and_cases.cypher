// Question: what are the worst challenges of a municipality, compared with the Netherlands,
//   and which business cases of the region address them (and how strongly)?
// Parameters: $municipality (CBS code, e.g. "GM0307"), $top (how many challenges, e.g. 3)
// Severity 0..1: how much worse than the national value (1 = worse by the challenge's full
//   scale); a case addresses a challenge through the opportunities it includes
//   (ADDRESSES.weight summed per case).
// Example: {"municipality": "GM0307", "top": 3}
MATCH (m:Municipality {code: $municipality})-[f:FACES]->(c:Challenge)
WHERE f.current
WITH m, c, f ORDER BY f.severity DESC, c.id LIMIT $top
OPTIONAL MATCH (bc:BusinessCase)-[:INCLUDES]->(o:Opportunity)-[a:ADDRESSES]->(c)
WHERE a.municipality = m.code
WITH m, c, f, bc, sum(a.weight) AS weight, count(o) AS opportunities
ORDER BY f.severity DESC, c.id, weight DESC, bc.rank
WITH m, c, f, [x IN collect(CASE WHEN bc IS NULL THEN NULL ELSE
       {case: bc.name, rank: bc.rank, weight: round(weight, 3),
        opportunities: opportunities} END) WHERE x IS NOT NULL][..5] AS cases
RETURN m.name AS municipality, c.id AS challenge, c.name AS label, f.period AS period,
       f.value AS value, f.national_value AS national_value, f.severity AS severity,
       cases
ORDER BY severity DESC, challenge;
