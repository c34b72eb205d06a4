"""What the store's aggregates share: the system actor, slug rule, core tables for bulk statements, rows by id."""

from __future__ import annotations

import re
from typing import TypeVar, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from service.corpus.audit import SYSTEM_ACTOR as SYSTEM_ACTOR  # the store modules take it from here
from service.corpus.models import Passage, Source, Twin

# Core tables for bulk statements that must not go through the ORM's unit of work.
PASSAGES = cast(Table, Passage.__table__)
SOURCES = cast(Table, Source.__table__)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

Row = TypeVar("Row")


def twin_slug_of(session: Session, twin_id: int) -> str | None:
    """The slug of the twin with this id (None once it is gone), for audit entries."""
    return session.scalar(select(Twin.slug).where(Twin.id == twin_id))


def row_by_id(session: Session, model: type[Row], row_id: int, *, for_update: bool = False) -> Row | None:
    """The `model` row with this id (locked until commit if for_update), or None."""
    stmt = select(model).filter_by(id=row_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)
