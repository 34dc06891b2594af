"""Versioned Cypher migrations under graph_schema/migrations, each applied once and recorded.

File names: V<number>__<description>.cypher. Statements end with ';' at the end of a line;
'//' lines are comments. Schema statements must be idempotent (IF NOT EXISTS), so a migration
that died half-way is simply applied again; it is recorded only after all its statements ran.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from neo4j import Driver

from regionomie.paths import MIGRATIONS_DIR

_NAME = re.compile(r"^V(?P<version>\d+)__(?P<name>[A-Za-z0-9_]+)\.cypher$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path
    checksum: str
    statements: tuple[str, ...]


class MigrationError(RuntimeError):
    pass


def split_statements(text: str) -> list[str]:
    statements: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("//"):
            continue
        current.append(line)
        if stripped.endswith(";"):
            statements.append("\n".join(current).strip().rstrip(";").strip())
            current = []
    if current:
        statements.append("\n".join(current).strip())
    return [s for s in statements if s]


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations: list[Migration] = []
    seen: dict[int, Path] = {}
    for path in sorted(directory.glob("*.cypher")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration file names must look like V001__name.cypher")
        version = int(match["version"])
        if version in seen:
            raise MigrationError(f"{path}: version {version} already used by {seen[version].name}")
        seen[version] = path
        text = path.read_text(encoding="utf-8")
        migrations.append(
            Migration(
                version=version,
                name=match["name"],
                path=path,
                checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                statements=tuple(split_statements(text)),
            )
        )
    return sorted(migrations, key=lambda m: m.version)


def applied(driver: Driver, database: str | None = None) -> dict[int, str]:
    records, _, _ = driver.execute_query(
        "MATCH (m:SchemaMigration) RETURN m.version AS version, m.checksum AS checksum",
        database_=database,
    )
    return {int(r["version"]): r["checksum"] for r in records}


def migrate(
    driver: Driver, directory: Path = MIGRATIONS_DIR, database: str | None = None
) -> list[Migration]:
    """Apply pending migrations in order; return those applied now. Edited applied ones fail."""
    driver.execute_query(
        "CREATE CONSTRAINT schema_migration_version IF NOT EXISTS "
        "FOR (m:SchemaMigration) REQUIRE m.version IS UNIQUE",
        database_=database,
    )
    done = applied(driver, database)
    newly: list[Migration] = []
    for migration in discover(directory):
        if migration.version in done:
            if done[migration.version] != migration.checksum:
                raise MigrationError(
                    f"{migration.path.name} was changed after it was applied; add a new "
                    "migration instead of editing an applied one"
                )
            continue
        for statement in migration.statements:
            with driver.session(database=database) as session:
                session.run(statement).consume()
        driver.execute_query(
            "MERGE (m:SchemaMigration {version: $version}) "
            "SET m.name = $name, m.checksum = $checksum, m.applied_at = datetime()",
            version=migration.version,
            name=migration.name,
            checksum=migration.checksum,
            database_=database,
        )
        newly.append(migration)
    return newly
