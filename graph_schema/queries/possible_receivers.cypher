// Question: which sectors could take a material, by evidence: knowledge-base pathways
//   (ResidualStream -[:CAN_FEED]-> Sector, when the knowledge base is loaded) and observed
//   LMA flows (receivers' main sector)?
// Parameters: $eural (EURAL entry code, e.g. "200108")
// Example: {"eural": "200108"}
CALL () {
  MATCH (:Material {code: $eural})<-[:REPORTED_AS]-(rs:ResidualStream)-[c:CAN_FEED]->(s:Sector)
  RETURN s.key AS sector, s.name AS sector_name, 'knowledge base' AS evidence,
         rs.id AS via, c.strength AS strength, null AS tonnes, null AS receivers
  UNION ALL
  MATCH (:Establishment)-[x:SENDS {eural_code: $eural}]->(r:Establishment)
        -[a:ACTIVE_IN {main: true}]->(s:Sector)
  WHERE x.current AND a.current
  RETURN s.key AS sector, s.name AS sector_name, 'observed flow' AS evidence,
         null AS via, null AS strength, sum(x.tonnes) AS tonnes,
         count(DISTINCT r) AS receivers
}
RETURN sector, sector_name, evidence, via, strength, tonnes, receivers
ORDER BY evidence, coalesce(strength, 0) DESC, coalesce(tonnes, 0) DESC, sector;
