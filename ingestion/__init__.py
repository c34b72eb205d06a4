"""Files in, parsed documents out. Imports nothing of service/ or slack_app/."""

from ingestion.model import IngestError, Limits, ParsedDocument, ParsedPassage

__all__ = ["IngestError", "Limits", "ParsedDocument", "ParsedPassage"]
