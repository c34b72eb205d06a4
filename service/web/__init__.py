"""The pages: one module per part of the product, each registering its routes on the one blueprint."""

from __future__ import annotations

# isort: off
# Registered in the order the pages' routes always had (the URL map lists them so).
from service.web import ask, pages, admin, corrections, gaps, positions, rehearse  # noqa: F401
# isort: on
from service.web.auth import auth_bp
from service.web.blueprint import web_bp

__all__ = ["auth_bp", "web_bp"]
