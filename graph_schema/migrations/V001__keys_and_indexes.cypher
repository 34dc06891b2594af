// V001: unique keys and the indexes the loaders and analyst queries need.
// Constraints come before any data; every statement is idempotent (IF NOT EXISTS).
CREATE CONSTRAINT organisation_kvk IF NOT EXISTS FOR (n:Organisation) REQUIRE n.kvkNummer IS UNIQUE;
CREATE CONSTRAINT establishment_vestiging IF NOT EXISTS FOR (n:Establishment) REQUIRE n.vestigingsnummer IS UNIQUE;
CREATE CONSTRAINT sector_key IF NOT EXISTS FOR (n:Sector) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT municipality_code IF NOT EXISTS FOR (n:Municipality) REQUIRE n.code IS UNIQUE;
CREATE CONSTRAINT province_code IF NOT EXISTS FOR (n:Province) REQUIRE n.code IS UNIQUE;
CREATE CONSTRAINT neighbourhood_code IF NOT EXISTS FOR (n:Neighbourhood) REQUIRE n.code IS UNIQUE;
CREATE CONSTRAINT material_code IF NOT EXISTS FOR (n:Material) REQUIRE n.code IS UNIQUE;
CREATE CONSTRAINT challenge_id IF NOT EXISTS FOR (n:Challenge) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT data_source_name IF NOT EXISTS FOR (n:DataSource) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT load_run_id IF NOT EXISTS FOR (n:LoadRun) REQUIRE n.run_id IS UNIQUE;
CREATE CONSTRAINT waste_stream_id IF NOT EXISTS FOR (n:WasteStream) REQUIRE n.afvalstroomnummer IS UNIQUE;
CREATE CONSTRAINT residual_stream_id IF NOT EXISTS FOR (n:ResidualStream) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT opportunity_id IF NOT EXISTS FOR (n:Opportunity) REQUIRE n.id IS UNIQUE;
CREATE POINT INDEX establishment_location IF NOT EXISTS FOR (n:Establishment) ON (n.location);
CREATE INDEX establishment_active IF NOT EXISTS FOR (n:Establishment) ON (n.active);
CREATE INDEX establishment_nace IF NOT EXISTS FOR (n:Establishment) ON (n.nace_class);
CREATE INDEX sector_nace IF NOT EXISTS FOR (n:Sector) ON (n.nace_class);
CREATE INDEX municipality_name IF NOT EXISTS FOR (n:Municipality) ON (n.name);
CREATE INDEX opportunity_region IF NOT EXISTS FOR (n:Opportunity) ON (n.region, n.rank);
CREATE TEXT INDEX establishment_name IF NOT EXISTS FOR (n:Establishment) ON (n.name);
