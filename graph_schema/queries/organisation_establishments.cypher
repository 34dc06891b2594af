// Question: which establishments does an organisation (KvK number) have, where, in which
//   main sector, and are they still active?
// Parameters: $kvk (8-digit KvK number, e.g. "10092426", a BV with three cafés in the sample)
// Example: {"kvk": "10092426"}
MATCH (o:Organisation {kvkNummer: $kvk})-[h:HAS_ESTABLISHMENT]->(e:Establishment)
OPTIONAL MATCH (e)-[l:LOCATED_IN]->(m:Municipality) WHERE l.current
OPTIONAL MATCH (e)-[a:ACTIVE_IN {main: true}]->(s:Sector) WHERE a.current
RETURN e.vestigingsnummer AS vestigingsnummer,
       CASE WHEN e.is_sole_proprietor THEN '(eenmanszaak)' ELSE e.name END AS name,
       m.code AS municipality, s.key AS sector, e.active AS active, e.end_date AS end_date,
       h.current AS current
ORDER BY vestigingsnummer;
