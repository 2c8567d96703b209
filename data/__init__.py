"""Data layer: models, queries, ingestion, demo generator, geography (no Dash or Flask imports)."""
