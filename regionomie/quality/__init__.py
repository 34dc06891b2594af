"""Data quality: GX 1.x suites per dataset, row-level quarantine and dataset-level gates."""
