"""What every command shares: settings and database, the schema check, errors, who acts and as whom."""

from __future__ import annotations

import difflib
import functools
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from service.cli.render import err
from service.config import Settings
from service.errors import UnderstudyError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from service.corpus.access import Viewer
    from service.corpus.models import User

EXIT_USER_ERROR = 2
EXIT_SOME_FAILED = 1


@dataclass
class Runtime:
    """What every command shares: settings, and an engine made on first use."""

    settings: Settings
    _engine: Engine | None = None
    _factory: sessionmaker[Session] | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from service.db import make_settings_engine
            from service.twin import profile_jobs

            self._engine = make_settings_engine(self.settings)
            profile_jobs.set_mode(self._engine, "deferred")  # one style-profile rebuild per twin, at the end
        return self._engine

    def close(self) -> None:
        """Rebuild the style profiles this command's approvals changed (once per twin, when it ends)."""
        if self._engine is not None:
            from service.twin import profile_jobs

            profile_jobs.rebuild_pending(self._engine)

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self._factory is None:
            from service.db import make_session_factory

            self._factory = make_session_factory(self.engine)
        return self._factory

    def session(self) -> Any:
        """A unit of work that commits on success."""
        from service.db import session_scope

        return session_scope(self.sessions)

    @property
    def database(self) -> str:
        """The database URL as it may be shown (password hidden)."""
        return self.engine.url.render_as_string(hide_password=True)


def fail(message: str, code: int = EXIT_USER_ERROR) -> NoReturn:
    """Print a clear error and exit with a non-zero code."""
    err.print(f"[bold red]error:[/] {message}")
    sys.exit(code)


def actor_name() -> str:
    """Who the audit log records for a CLI change."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def check_schema(rt: Runtime) -> None:
    """Refuse to run on an uninitialised or out-of-date database, saying what to do."""
    from service.migrate import current_revision, head_revision

    try:
        current = current_revision(rt.engine)
    except Exception as exc:  # noqa: BLE001 - any driver error means we cannot reach the database
        fail(f"cannot open the database {rt.database}: {exc}")
    if current is None:
        fail("the database is empty: run `understudy init` first")
    if current != head_revision():
        fail(f"the database is at revision {current}; run `understudy init` to migrate it to {head_revision()}")


def explained(rt: Runtime | None, exc: UnderstudyError) -> str:
    """A domain error's message, with what to do where a terminal user needs it: an unknown twin's slug gets the
    nearest one and where the twins are listed."""
    message = exc.message
    if rt is None or not message.startswith("no twin "):
        return message
    from sqlalchemy import select

    from service.corpus.models import Twin

    try:
        with rt.session() as s:
            slugs = list(s.scalars(select(Twin.slug)))
    except Exception:  # noqa: BLE001 - the hint is a courtesy; the error stands without it
        return message
    slug = message[len("no twin "):].strip("'\"")
    close = difflib.get_close_matches(slug, slugs, n=1, cutoff=0.75)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{message}; {hint}`understudy twin list` shows the twins" if slugs else f"{message}; there is no twin yet"


def guarded(fn: Callable[..., Any], rt: Runtime | None = None) -> Callable[..., Any]:
    """Turn domain errors into clear messages and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UnderstudyError as exc:
            fail(explained(rt, exc))

    return wrapper


pass_rt = click.make_pass_decorator(Runtime)


def with_database(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A command on the corpus: it gets the Runtime once the schema is checked; domain errors become messages."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        rt = click.get_current_context().find_object(Runtime)
        assert rt is not None, "commands run under the `understudy` group"
        check_schema(rt)
        return guarded(fn, rt)(rt, *args, **kwargs)

    return wrapper


def viewer_as(rt: Runtime, s: Session, as_email: str | None) -> tuple[Viewer, User | None]:
    """The viewer a CLI query runs as: a stored user, or someone who sees only the default audience."""
    from service.corpus import store

    user = store.get_user(s, as_email) if as_email else None
    if user is not None and not user.active:
        fail(f"user {user.email} is inactive")
    return store.viewer_for(user, rt.settings.default_audience), user


def read_batch(path: Path, field_name: str) -> Iterator[str]:
    """Lines of a batch file: plain text, or JSON objects with the given field."""
    stream = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
    with stream:
        for number, raw in enumerate(stream, 1):
            line = raw.strip()
            if not line:
                continue
            if line.startswith("{"):
                try:
                    value = json.loads(line)[field_name]
                except (ValueError, KeyError, TypeError):
                    fail(f"{path}:{number}: expected a JSON object with a {field_name!r} field")
                yield str(value)
            else:
                yield line
