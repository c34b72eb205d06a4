"""Who a Slack user is to Understudy: a stored Slack id, else their e-mail (users.info), else the default audience."""

from __future__ import annotations

import contextlib
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.errors import Conflict

log = logging.getLogger("understudy.slack")

UNKNOWN_USER_POLICIES = ("default-audience", "refuse")
REFUSAL = ("Sorry, I can only answer people who have an Understudy account, and I could not find yours. "
           "Ask your Understudy admin to add the e-mail address on your Slack profile.")
INACTIVE = "Sorry, your Understudy account is switched off, so I cannot answer you. Ask your Understudy admin."


class NotAllowed(Exception):
    """This Slack user may not use the twin; the message says so politely."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check_policy(settings: Settings) -> None:
    """Refuse to start with an unknown SLACK_UNKNOWN_USERS value."""
    if settings.slack_unknown_users not in UNKNOWN_USER_POLICIES:
        raise ValueError(f"UNDERSTUDY_SLACK_UNKNOWN_USERS must be one of {', '.join(UNKNOWN_USER_POLICIES)}, "
                         f"not {settings.slack_unknown_users!r}")


def slack_email(client: WebClient, slack_user_id: str) -> str | None:
    """The e-mail on a Slack user's profile (users.info, scope users:read.email); None for bots and strangers."""
    try:
        info = client.users_info(user=slack_user_id)
    except SlackApiError as exc:
        log.warning("users.info for %s failed: %s", slack_user_id, exc.response.get("error"))
        return None
    user = info.get("user") or {}
    if user.get("is_bot") or user.get("deleted"):
        return None
    email = (user.get("profile") or {}).get("email")
    return email.strip().lower() if isinstance(email, str) and "@" in email else None


def resolve_viewer(session: Session, settings: Settings, client: WebClient, slack_user_id: str) -> Viewer:
    """The viewer a Slack user's requests run as; NotAllowed when they may not use the twin."""
    user = store.get_user_by_slack_id(session, slack_user_id)
    if user is None:
        email = slack_email(client, slack_user_id)
        user = store.find_user(session, email) if email else None
        if user is not None and user.slack_user_id is None:
            with contextlib.suppress(Conflict):  # another request linked them a moment ago
                store.link_slack_user(session, user, slack_user_id, actor=f"slack:{slack_user_id}")
        elif user is not None:
            # The e-mail belongs to an account already linked to another Slack user: do not borrow its access.
            log.warning("Slack user %s has the e-mail of %s, who is linked to %s", slack_user_id, user.email,
                        user.slack_user_id)
            user = None
    if user is not None:
        if not user.active:
            raise NotAllowed(INACTIVE)
        return store.viewer_for(user, settings.default_audience)
    if settings.slack_unknown_users == "refuse":
        raise NotAllowed(REFUSAL)
    return Viewer.public(settings.default_audience)


def public_viewer(viewer: Viewer, settings: Settings) -> Viewer:
    """The same person seeing only what everyone may see: for answers posted where others read them."""
    return Viewer(audiences=frozenset({settings.default_audience}), user_id=viewer.user_id, email=viewer.email,
                  role=viewer.role)
