"""Operations: metrics, JSON logs, readiness, background ingestion jobs, and export/import of a twin."""
