"""Feed ingestion: schemas, FHIR intake, rows, inserts, rollup increments, the pipeline, registry CSV import."""
