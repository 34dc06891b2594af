"""Where things live. Everything the project writes at run time sits under git-ignored folders."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
SCORING_FILE = DATA_DIR / "scoring.yaml"  # scoring weights and bounds; defaults when absent
REFERENCE_DIR = DATA_DIR / "reference"
KNOWLEDGE_DIR = DATA_DIR / "knowledge"
SAMPLE_DIR = DATA_DIR / "sample"
GRAPH_SCHEMA_DIR = REPO_ROOT / "graph_schema"
MIGRATIONS_DIR = GRAPH_SCHEMA_DIR / "migrations"
QUERIES_DIR = GRAPH_SCHEMA_DIR / "queries"


def state_dir() -> Path:
    """Git-ignored folder for Neo4j data/logs/pid, Dagster home, quarantine, data docs."""
    return Path(os.environ.get("REGIONOMIE_STATE_DIR", REPO_ROOT / ".regionomie"))


def landing_dir() -> Path:
    return Path(os.environ.get("REGIONOMIE_LANDING_DIR", DATA_DIR / "landing"))


def exports_dir() -> Path:
    return Path(os.environ.get("REGIONOMIE_EXPORTS_DIR", REPO_ROOT / "exports"))


def quarantine_dir() -> Path:
    return Path(os.environ.get("REGIONOMIE_QUARANTINE_DIR", state_dir() / "quarantine"))


def data_docs_dir() -> Path:
    return Path(os.environ.get("REGIONOMIE_DATA_DOCS_DIR", state_dir() / "data_docs"))
