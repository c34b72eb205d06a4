"""Users: accounts, roles and audiences, API tokens, browser sessions, the access a user runs with."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.corpus.access import ROLES, Viewer
from service.corpus.audit import record_audit
from service.corpus.models import User
from service.corpus.store._common import SYSTEM_ACTOR
from service.errors import BadInput, Conflict, NotFound


def hash_token(token: str) -> str:
    """Stored form of an API token (tokens are random, so a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(session: Session, email: str, *, role: str = "employee", audiences: list[str] | None = None,
             name: str = "", actor: str = SYSTEM_ACTOR) -> tuple[User, str]:
    """Create a user and return it with a new API token, shown only this once."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise BadInput(f"{email!r} is not an e-mail address")
    if role not in ROLES:
        raise BadInput(f"role must be one of {', '.join(ROLES)}")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"user {email} already exists")
    token = "us_" + secrets.token_urlsafe(32)
    user = User(email=email, name=name, role=role, audiences=sorted(set(audiences or [])),
                token_hash=hash_token(token))
    session.add(user)
    session.flush()
    record_audit(session, actor, "user.add", object_type="user", object_id=user.id,
                 detail={"email": email, "role": role, "audiences": user.audiences})
    return user, token


def update_user(session: Session, email: str, *, role: str | None = None, audiences: list[str] | None = None,
                active: bool | None = None, actor: str = SYSTEM_ACTOR) -> User:
    """Change a user's role, audiences or whether they may sign in."""
    user = get_user(session, email)
    changes: dict[str, Any] = {}
    if role is not None:
        if role not in ROLES:
            raise BadInput(f"role must be one of {', '.join(ROLES)}")
        user.role = changes["role"] = role
    if audiences is not None:
        before = set(user.audiences or [])
        user.audiences = changes["audiences"] = sorted(set(audiences))
        changes["granted"], changes["revoked"] = sorted(set(audiences) - before), sorted(before - set(audiences))
        if changes["granted"] and actor == user.email:
            changes["self_granted"] = True  # an admin who must read a restricted source grants it to themselves
    if active is not None:
        user.active = changes["active"] = active
    record_audit(session, actor, "user.update", object_type="user", object_id=user.id,
                 detail={"email": user.email, **changes})
    return user


def rotate_token(session: Session, email: str, *, actor: str = SYSTEM_ACTOR) -> str:
    """Replace a user's API token; the old one stops working at once."""
    user = get_user(session, email)
    token = "us_" + secrets.token_urlsafe(32)
    user.token_hash = hash_token(token)
    record_audit(session, actor, "user.token", object_type="user", object_id=user.id, detail={"email": user.email})
    return token


def end_sessions(session: Session, user: User) -> User:
    """End every browser session of this user (sign-out): sessions signed with the old version stop working."""
    session.execute(update(User).where(User.id == user.id).values(session_version=User.session_version + 1))
    session.refresh(user)
    record_audit(session, user.email, "auth.logout", object_type="user", object_id=user.id)
    return user


def get_user(session: Session, email: str) -> User:
    """The user with this e-mail, or NotFound."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user {email}")
    return user


def user_for_token(session: Session, token: str) -> User | None:
    """The active user holding this API token, if any."""
    user = session.scalar(select(User).where(User.token_hash == hash_token(token)))
    return user if user is not None and user.active else None


def list_users(session: Session) -> list[User]:
    """Every user, by e-mail."""
    return list(session.scalars(select(User).order_by(User.email)))


def viewer_for(user: User | None, default_audience: str = "everyone") -> Viewer:
    """The access a user's searches and answers run with; no user sees only the default audience."""
    if user is None:
        return Viewer.public(default_audience)
    return Viewer.of(user.id, user.email, user.role, user.audiences or [], default_audience)


def find_user(session: Session, email: str) -> User | None:
    """The user with this e-mail, or None."""
    return session.scalar(select(User).where(User.email == email.strip().lower()))
