// V002: BusinessCase nodes are now written by the loader like every label, which needs a
// unique key (its CREATE path relies on the constraint) and an index for replacing a
// region's nodes. Every statement is idempotent (IF NOT EXISTS).
CREATE CONSTRAINT business_case_id IF NOT EXISTS FOR (n:BusinessCase) REQUIRE n.id IS UNIQUE;
CREATE INDEX business_case_region IF NOT EXISTS FOR (n:BusinessCase) ON (n.region);
