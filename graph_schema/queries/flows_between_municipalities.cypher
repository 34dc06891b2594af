// Question: which observed waste flows (LMA receipts with matched sender and processor)
//   run between municipalities, and how many tonnes per material?
// Parameters: $period (year as text, e.g. "2024", or null for all years),
//   $min_tonnes (e.g. 0)
// Example: {"period": "2024", "min_tonnes": 1.0}
MATCH (a:Establishment)-[s:SENDS]->(b:Establishment)
WHERE s.current AND ($period IS NULL OR s.period = $period)
MATCH (a)-[la:LOCATED_IN]->(ma:Municipality), (b)-[lb:LOCATED_IN]->(mb:Municipality)
WHERE la.current AND lb.current
WITH ma, mb, s.eural_code AS eural, sum(s.tonnes) AS tonnes, sum(s.loads) AS loads,
     count(s) AS flows
WHERE tonnes >= $min_tonnes
RETURN ma.code AS from_code, ma.name AS from_municipality, mb.code AS to_code,
       mb.name AS to_municipality, ma <> mb AS between_municipalities, eural, tonnes, loads,
       flows
ORDER BY tonnes DESC, from_code, to_code, eural;
