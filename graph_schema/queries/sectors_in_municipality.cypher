// Question: how many active establishments and employees does each SBI division have in a
//   municipality (main activity only)?
// Parameters: $municipality (e.g. "GM0307")
// Example: {"municipality": "GM0307"}
MATCH (mu:Municipality {code: $municipality})<-[l:LOCATED_IN]-(e:Establishment)
      -[a:ACTIVE_IN {main: true}]->(s:Sector)
WHERE l.current AND a.current AND e.active = true
MATCH (s)-[:PART_OF*0..3]->(d:Sector {level: 'division'})
RETURN d.key AS division, d.name AS name, count(DISTINCT e) AS establishments,
       sum(e.employees) AS employees
ORDER BY establishments DESC, division;
