// V003: the default graph minimises personal data (regionomie/graph/personal.py). Graphs
// loaded before held a sole proprietor's name, full postcode and exact location, keyed by the
// raw vestigingsnummer or KvK number, and Opportunity and BusinessCase nodes held those
// numbers: they are removed here. The next load creates the actors again under their
// pseudonyms ("ez-…"), and the next opportunity run rebuilds every region's Opportunity and
// BusinessCase nodes. Every statement is idempotent.
MATCH (n:Opportunity) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS;
MATCH (n:BusinessCase) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS;
MATCH (e:Establishment) WHERE e.is_sole_proprietor = true AND NOT e.vestigingsnummer STARTS WITH 'ez-' CALL (e) { DETACH DELETE e } IN TRANSACTIONS OF 10000 ROWS;
MATCH (o:Organisation) WHERE o.is_sole_proprietor = true AND NOT o.kvkNummer STARTS WITH 'ez-' CALL (o) { DETACH DELETE o } IN TRANSACTIONS OF 10000 ROWS;
