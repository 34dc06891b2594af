"""KvK (chamber of commerce) landing files -> ORGANISATIONS, ESTABLISHMENTS or sector density.

Three shapes, one module each; `parse_kvk` decides which by looking at the content:
- API JSON of both KvK API generations as one object, an array, or JSON lines (.jsonl):
  Vestigingsprofiel, Basisprofiel, Zoeken v2 results (v2) and Organisatie, Vestigingen,
  Zoeken v3 results (v3; an Organisatie response is read as the Basisprofiel it succeeds)
  -> kvk_api (records out of the file: kvk_api_records);
- our documented establishments CSV (see kvk_csv.ESTABLISHMENT_CSV_COLUMNS) -> kvk_csv;
- the KvK open dataset "basis bedrijfsgegevens" bulk CSV -> a sector_density table
  (kvk_open_data). That set covers only the BV and NV legal forms: every row carries
  `coverage` saying so and the parse result a note, so sector density is never read as the
  whole population.
What all shapes share (SBI version, NACE class, whose name is personal data, the Netherlands'
bounding box) lives in kvk_rules.
"""

from __future__ import annotations

from regionomie.domain.parsers.common import RawFile
from regionomie.domain.parsers.kvk_api import parse_kvk_json
from regionomie.domain.parsers.kvk_csv import parse_establishments_csv
from regionomie.domain.parsers.kvk_open_data import parse_bulk_csv
from regionomie.domain.results import ParseResult


def parse_kvk(raw: RawFile) -> dict[str, ParseResult]:
    """Dispatch on content: JSON/JSONL profiles, the bulk open dataset, or our CSV."""
    suffix = raw.path.suffix.lower()
    head = raw.data[:4096].lstrip(b"\xef\xbb\xbf").lstrip()
    if suffix in (".json", ".jsonl") or head[:1] in (b"{", b"["):
        return parse_kvk_json(raw)
    text_head = head.decode("utf-8", errors="replace")
    if "Postcode regio" in text_head.splitlines()[0] if text_head else False:
        return parse_bulk_csv(raw)
    return parse_establishments_csv(raw)
