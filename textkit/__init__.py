"""Text helpers for ingestion and service: words, stop words, sentences and stems; no project imports."""
