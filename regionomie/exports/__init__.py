"""Export writers (CSV, Parquet, Excel, GeoJSON, HTML report) and run_region."""

from regionomie.exports.pipeline import ExportResult, run_region
from regionomie.exports.writers import write_exports

__all__ = ["ExportResult", "run_region", "write_exports"]
