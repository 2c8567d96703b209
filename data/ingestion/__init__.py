"""Feed ingestion: schemas, FHIR intake, validation pipeline, registry CSV import."""
