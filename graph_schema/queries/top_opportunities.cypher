// Question: what are the top-ranked circular opportunities of a region, with the producer,
//   receiver, material, sector and challenges each one links to?
// Parameters: $region (region id as in data/regions.yaml, e.g. "amersfoort"), $limit (e.g. 10)
// Returns no rows until the opportunity step has written Opportunity nodes.
// Example: {"region": "amersfoort", "limit": 10}
MATCH (o:Opportunity)
WHERE o.region = $region
OPTIONAL MATCH (o)-[:FROM_PRODUCER]->(p:Establishment)
OPTIONAL MATCH (o)-[:TO_RECEIVER]->(r:Establishment)
OPTIONAL MATCH (o)-[:FOR_SECTOR]->(s:Sector)
OPTIONAL MATCH (o)-[:USES_STREAM]->(rs:ResidualStream)
OPTIONAL MATCH (o)-[:ADDRESSES]->(c:Challenge)
RETURN o.id AS id, o.rank AS rank, o.score AS score,
       coalesce(o.title, o.explanation) AS title,
       p.vestigingsnummer AS producer, r.vestigingsnummer AS receiver, s.key AS sector,
       rs.id AS stream, collect(DISTINCT c.id) AS challenges
ORDER BY rank, id
LIMIT $limit;
