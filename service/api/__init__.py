"""The JSON API at /api/v1: one module per resource, each registering its routes on the one blueprint."""

from __future__ import annotations

# isort: off
# Registered in this order, so the OpenAPI document lists its tags and paths as it always has.
from service.api import ask, twins, sources, users, corrections, gaps, positions, rehearsals  # noqa: F401
# isort: on
from service.api.blueprint import api_bp, spec

__all__ = ["api_bp", "spec"]
