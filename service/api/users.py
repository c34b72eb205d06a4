"""Users: list, add (the API token is shown once) and change role, audiences or whether they may sign in."""

from __future__ import annotations

from typing import Any

from service.api import schemas as s
from service.api.blueprint import JSON_MIMETYPE, accepts, api_bp, responses, spec
from service.corpus import store
from service.http.auth import actor, api_role
from service.http.extension import commit, db
from service.http.serialize import user_dict


@api_bp.get("/users")
@api_role("admin")
@spec.validate(resp=responses(s.UserList), tags=["admin"])
def list_users() -> Any:
    """Every user with role, audiences and whether they may sign in."""
    return {"users": [user_dict(u) for u in store.list_users(db())]}


@api_bp.post("/users")
@api_role("admin")
@spec.validate(json=s.UserCreate, resp=responses(s.UserCreated, 409, status=201), tags=["admin"])
@accepts(JSON_MIMETYPE)
def add_user(json: s.UserCreate) -> Any:
    """Add a user; the response carries their API token, shown only this once."""
    user, token = store.add_user(db(), json.email, role=json.role, audiences=json.audiences, name=json.name,
                                 actor=actor())
    commit()
    return {"user": user_dict(user), "token": token}, 201


@api_bp.patch("/users/<email>")
@api_role("admin")
@spec.validate(json=s.UserPatch, resp=responses(s.UserOut), tags=["admin"])
@accepts(JSON_MIMETYPE)
def update_user(email: str, json: s.UserPatch) -> Any:
    """Change a user's role, audiences or whether they may sign in."""
    user = store.update_user(db(), email, role=json.role, audiences=json.audiences, active=json.active,
                             actor=actor())
    commit()
    return user_dict(user)
