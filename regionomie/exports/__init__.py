"""Export writers (CSV, Parquet, Excel, GeoJSON, HTML report); regionomie.flow calls them."""
