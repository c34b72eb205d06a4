"""The Flask extension that carries settings, the engine and one database session per request."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.db import make_session_factory, make_settings_engine

EXTENSION_KEY = "understudy"


class Understudy:
    """Settings, engine and session factory of one app; `session` is opened lazily per request."""

    def __init__(self, settings: Settings, app: Flask | None = None):
        self.settings = settings
        self.engine: Engine = make_settings_engine(settings)
        self.session_factory: sessionmaker[Session] = make_session_factory(self.engine)
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Attach to an app and close the request's session when the app context ends."""
        app.extensions[EXTENSION_KEY] = self
        app.teardown_appcontext(self._close_session)

    def request_session(self) -> Session:
        """The session of the current request (created on first use)."""
        if "db_session" not in g:
            g.db_session = self.session_factory()
        return g.db_session

    def _close_session(self, _exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            # Views commit explicitly; anything left uncommitted is discarded.
            session.rollback()
            session.close()

    def dispose(self) -> None:
        """Let background profile rebuilds finish, then close every pooled connection (tests, shutdown)."""
        from service.twin.profile_jobs import wait_idle

        wait_idle(self.engine)
        self.engine.dispose()


def extension(app: Flask | None = None) -> Understudy:
    """The Understudy extension of this (or the current) app."""
    return (app or current_app).extensions[EXTENSION_KEY]


def db() -> Session:
    """The current request's database session."""
    return extension().request_session()


def settings() -> Settings:
    """The current app's settings."""
    return extension().settings


def commit() -> None:
    """Commit the current request's session."""
    db().commit()


def as_jsonable(value: Any) -> Any:
    """Dates and datetimes as ISO strings, everything else unchanged."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
