"""Who is looking: the audiences a viewer's answers and searches may stand on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ROLES = ("employee", "curator", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}


@dataclass(frozen=True)
class Viewer:
    """The identity a search or answer runs as; audiences are closed by default."""

    audiences: frozenset[str]
    user_id: int | None = None
    email: str | None = None
    role: str = "employee"

    @classmethod
    def public(cls, default_audience: str = "everyone") -> Viewer:
        """Someone who may see only sources for the default audience."""
        return cls(audiences=frozenset({default_audience}))

    @classmethod
    def of(cls, user_id: int | None, email: str | None, role: str, audiences: Iterable[str],
           default_audience: str = "everyone") -> Viewer:
        """A viewer for a stored user: their audiences plus the default one."""
        return cls(audiences=frozenset(audiences) | {default_audience}, user_id=user_id, email=email, role=role)

    def may(self, role: str) -> bool:
        """Whether this viewer has at least the given role."""
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]

    def sees(self, audience: str) -> bool:
        """Whether text restricted to `audience` may reach this viewer, whatever their role."""
        return audience in self.audiences
