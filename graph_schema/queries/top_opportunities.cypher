// Question: what are the top-ranked circular opportunities of a region, with the producer,
//   receiver, material, sector and challenges each one links to?
// Parameters: $region (region id as in data/regions.yaml, e.g. "regio-amersfoort"),
//   $limit (e.g. 10)
// Returns no rows until the opportunity step has written Opportunity nodes. Challenges are
//   the ones the opportunity addresses, with the weight of each (ADDRESSES.weight).
// Example: {"region": "regio-amersfoort", "limit": 10}
MATCH (o:Opportunity)
WHERE o.region = $region
OPTIONAL MATCH (o)-[:FROM_PRODUCER]->(p:Establishment)
OPTIONAL MATCH (o)-[:TO_RECEIVER]->(r:Establishment)
OPTIONAL MATCH (o)-[:FOR_SECTOR]->(s:Sector)
OPTIONAL MATCH (o)-[:USES_STREAM]->(rs:ResidualStream)
OPTIONAL MATCH (o)-[a:ADDRESSES]->(c:Challenge)
WITH o, p, r, s, rs, c, a ORDER BY a.weight DESC, c.id
RETURN o.id AS id, o.rank AS rank, o.score AS score,
       coalesce(o.title, o.explanation) AS title,
       p.vestigingsnummer AS producer, r.vestigingsnummer AS receiver, s.key AS sector,
       rs.id AS stream, o.supply_source AS supply_source,
       [x IN collect(DISTINCT c.id) WHERE x IS NOT NULL] AS challenges
ORDER BY rank, id
LIMIT $limit;
