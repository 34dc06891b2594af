// Question: which societal challenges does a municipality face, worst first?
// Parameters: $municipality (e.g. "GM0307", or null for every municipality)
// Example: {"municipality": "GM0307"}
MATCH (m:Municipality)-[f:FACES]->(c:Challenge)
WHERE f.current AND ($municipality IS NULL OR m.code = $municipality)
RETURN m.code AS municipality, m.name AS name, c.id AS challenge, c.name AS label,
       f.period AS period, f.value AS value, f.percentile AS percentile,
       f.severity AS severity
ORDER BY municipality, severity DESC, challenge;
