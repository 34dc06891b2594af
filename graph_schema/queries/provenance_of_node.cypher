// Question: where does a node come from: which source, which load run (and its status and
//   times) last changed it, and its content hash?
// Parameters: $key (the node's key: a vestigingsnummer, kvkNummer, municipality/material
//   code, sector key or challenge id, e.g. "000100000000", an establishment of the sample)
// Example: {"key": "000100000000"}
MATCH (n)
WHERE n.vestigingsnummer = $key OR n.kvkNummer = $key OR n.code = $key OR n.key = $key
   OR n.id = $key
OPTIONAL MATCH (run:LoadRun {run_id: n.load_run})
OPTIONAL MATCH (run)-[:LOADED_FROM]->(ds:DataSource)
RETURN labels(n) AS labels, n.source AS source, n.load_run AS load_run,
       run.status AS run_status, run.mode AS run_mode, run.started_at AS started_at,
       run.finished_at AS finished_at, ds.name AS data_source, n.row_hash AS row_hash
ORDER BY load_run;
