"""Slack: linked users, handled event ids, channel settings, threads and posted answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.corpus.audit import record_audit
from service.corpus.models import (
    SlackAnswer,
    SlackChannelSetting,
    SlackEvent,
    SlackThread,
    Twin,
    User,
    utcnow,
)
from service.corpus.store._common import SYSTEM_ACTOR
from service.corpus.store.twins import get_twin
from service.errors import BadInput, Conflict

# Slack retries an event for at most about an hour; a day of handled ids covers every retry.
SLACK_EVENT_RETENTION = dt.timedelta(days=1)


def get_user_by_slack_id(session: Session, slack_user_id: str) -> User | None:
    """The user linked to this Slack user id, if any."""
    return session.scalar(select(User).where(User.slack_user_id == slack_user_id))


def link_slack_user(session: Session, user: User, slack_user_id: str, *, actor: str = SYSTEM_ACTOR) -> User:
    """Remember which Slack user a user is, so later requests need no e-mail look-up."""
    if user.slack_user_id == slack_user_id:
        return user
    holder = get_user_by_slack_id(session, slack_user_id)
    if holder is not None:
        raise Conflict(f"Slack user {slack_user_id} is already linked to {holder.email}")
    user.slack_user_id = slack_user_id
    session.flush()
    record_audit(session, actor, "user.slack_link", object_type="user", object_id=user.id,
                 detail={"email": user.email, "slack_user_id": slack_user_id})
    return user


def claim_slack_event(session: Session, event_id: str) -> bool:
    """Record a Slack event id as handled; False when it already was (Slack retrying). Commits its own work."""
    session.execute(delete(SlackEvent).where(SlackEvent.received_at < utcnow() - SLACK_EVENT_RETENTION))
    session.add(SlackEvent(event_id=event_id[:64], received_at=utcnow()))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def get_slack_channel(session: Session, channel_id: str) -> SlackChannelSetting | None:
    """A channel's Slack settings, if any were made."""
    return session.scalar(select(SlackChannelSetting).where(SlackChannelSetting.channel_id == channel_id))


def set_slack_channel(session: Session, channel_id: str, *, twin_slug: str | None = None, public: bool | None = None,
                      actor: str = SYSTEM_ACTOR) -> SlackChannelSetting:
    """Choose the twin that answers in a channel and whether replies there may be public."""
    row = get_slack_channel(session, channel_id)
    if row is None:
        row = SlackChannelSetting(channel_id=channel_id, twin_id=None, public=True, updated_by=actor,
                                  updated_at=utcnow())
        session.add(row)
    changes: dict[str, Any] = {}
    if twin_slug is not None:
        row.twin_id = get_twin(session, twin_slug).id
        changes["twin"] = twin_slug
    if public is not None:
        row.public = changes["public"] = public
    row.updated_by, row.updated_at = actor, utcnow()
    session.flush()
    record_audit(session, actor, "slack.channel", twin_slug=changes.get("twin"), object_type="slack_channel",
                 object_id=row.id, detail={"channel_id": channel_id, **changes})
    return row


def get_slack_thread(session: Session, channel_id: str, thread_ts: str) -> SlackThread | None:
    """What a Slack thread carries on (a conversation or a rehearsal), if it is one of ours."""
    return session.scalar(select(SlackThread).where(SlackThread.channel_id == channel_id,
                                                    SlackThread.thread_ts == thread_ts))


def save_slack_thread(session: Session, channel_id: str, thread_ts: str, *, twin: Twin, slack_user_id: str,
                      conversation_id: str | None = None, rehearsal_id: int | None = None) -> SlackThread:
    """Map a Slack thread to a conversation or a rehearsal (the first mapping of a thread stands)."""
    if (conversation_id is None) == (rehearsal_id is None):
        raise BadInput("a Slack thread carries either a conversation or a rehearsal")
    existing = get_slack_thread(session, channel_id, thread_ts)
    if existing is not None:
        return existing
    row = SlackThread(channel_id=channel_id, thread_ts=thread_ts, slack_user_id=slack_user_id, twin_id=twin.id,
                      conversation_id=conversation_id, rehearsal_id=rehearsal_id, created_at=utcnow())
    session.add(row)
    session.flush()
    return row


def save_slack_answer(session: Session, interaction_id: int, *, slack_user_id: str, channel_id: str, public: bool,
                      twin_name: str, payload: dict[str, Any]) -> SlackAnswer:
    """Keep an answer as posted in Slack, for its share, sources and feedback buttons."""
    row = SlackAnswer(interaction_id=interaction_id, slack_user_id=slack_user_id, channel_id=channel_id,
                      public=public, twin_name=twin_name, payload=payload, created_at=utcnow())
    session.add(row)
    session.flush()
    return row


def get_slack_answer(session: Session, interaction_id: int) -> SlackAnswer | None:
    """An answer posted in Slack, by its interaction id."""
    return session.scalar(select(SlackAnswer).where(SlackAnswer.interaction_id == interaction_id))


def mark_slack_answer_public(session: Session, answer: SlackAnswer) -> SlackAnswer:
    """Note that an answer was shared in its channel."""
    answer.public = True
    session.flush()
    return answer
