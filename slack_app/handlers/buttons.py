"""The buttons under an answer (share in channel, show sources, helpful / not helpful) and the feedback modal."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import Interaction, User
from service.errors import BadInput, UnderstudyError
from slack_app import blocks as ui
from slack_app.client import Destination
from slack_app.handlers.base import SlackContext
from slack_app.identity import NotAllowed
from slack_app.routing import answer_source_ids, channel_allows_public, shareable

log = logging.getLogger("understudy.slack")


def clicked(body: dict[str, Any]) -> tuple[str, int, Destination]:
    """The clicking user, the interaction id a button carries, and where to tell them things."""
    user = body["user"]["id"]
    try:
        interaction_id = int(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError, ValueError):
        raise BadInput("That button no longer works; ask again.") from None
    if body.get("response_url"):
        return user, interaction_id, Destination(response_url=body["response_url"])
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return user, interaction_id, Destination(channel=channel, user=user)


def share_answer(ctx: SlackContext, body: dict[str, Any]) -> None:
    """"Share in channel": post one's private answer for the channel, if its sources are for everyone."""
    user, interaction_id, to = clicked(body)
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    with ctx.reporting(to):
        with ctx.session() as s:
            row = store.get_slack_answer(s, interaction_id)
            if row is None or row.slack_user_id != user:
                raise NotAllowed("Only the person who asked can share this answer.")
            if not channel_allows_public(s, ctx.settings, channel):
                raise NotAllowed("Answers cannot be posted publicly in this channel.")
            if not shareable(s, ctx.settings, answer_source_ids(s, interaction_id, row.payload.get("citations") or [])):
                raise NotAllowed("This answer draws on sources that not everyone here may read, so it stays "
                                 "private to you.")
            twin = store.get_twin(s, str(row.payload.get("twin_slug") or ""))
            if twin.paused or not twin.has_consent:
                raise NotAllowed(f"{twin.name}'s twin is not answering right now, so its answers cannot be shared.")
            payload, twin_name = dict(row.payload), row.twin_name
        blocks = ui.answer_blocks(payload, twin_name=twin_name, interaction_id=interaction_id, can_share=False,
                                  shared_by=user)
        text = ui.fallback_text(payload.get("answer") or "")
        try:
            ctx.client.chat_postMessage(channel=str(channel), text=text, blocks=blocks, unfurl_links=False,
                                        unfurl_media=False)
        except SlackApiError as exc:
            if exc.response.get("error") not in ("not_in_channel", "channel_not_found") or not to.response_url:
                raise
            # The bot is not in the channel: the command's response_url may still post there.
            ctx.poster.respond(to.response_url, response_type="in_channel", text=text, blocks=blocks)
        with ctx.session() as s:
            shared = store.get_slack_answer(s, interaction_id)
            if shared is not None:
                store.mark_slack_answer_public(s, shared)
        if to.response_url:
            ctx.poster.respond(to.response_url, delete_original=True, replace_original=None,
                               unfurl_links=None, unfurl_media=None)


def show_sources(ctx: SlackContext, body: dict[str, Any]) -> None:
    """"Show sources": every source of the answer in a modal."""
    user, interaction_id, to = clicked(body)
    with ctx.reporting(to):
        with ctx.session() as s:
            row = store.get_slack_answer(s, interaction_id)
            if row is None or not (row.public or row.slack_user_id == user):
                raise NotAllowed("These sources belong to someone else's private answer.")
            view = ui.sources_view(dict(row.payload), row.twin_name)
        ctx.client.views_open(trigger_id=body["trigger_id"], view=view)


def feedback(ctx: SlackContext, body: dict[str, Any], helpful: bool) -> None:
    """Helpful / not helpful: record it at once, then offer a modal for the reason."""
    user, interaction_id, to = clicked(body)
    with ctx.reporting(to):
        with ctx.session() as s:
            record_feedback(s, user, interaction_id, helpful, "")
            curator = not helpful and asked_by_a_curator(s, interaction_id)
        ctx.client.views_open(trigger_id=body["trigger_id"],
                              view=ui.feedback_view(interaction_id, helpful, curator=curator))


def asked_by_a_curator(s: Session, interaction_id: int) -> bool:
    """Whether the answer's asker (who alone may rate it) may correct it in the console."""
    interaction = s.get(Interaction, interaction_id)
    asker = s.get(User, interaction.user_id) if interaction is not None and interaction.user_id else None
    return asker is not None and Viewer.of(asker.id, asker.email, asker.role, []).may("curator")


def feedback_reason(ctx: SlackContext, body: dict[str, Any]) -> None:
    """The feedback modal was sent: keep the reason with the rating."""
    view = body["view"]
    meta = json.loads(view.get("private_metadata") or "{}")
    values = (view.get("state") or {}).get("values") or {}
    reason = ((values.get(ui.REASON_BLOCK) or {}).get(ui.REASON_ACTION) or {}).get("value") or ""
    if not reason.strip():
        return
    try:
        with ctx.session() as s:
            record_feedback(s, body["user"]["id"], int(meta["interaction_id"]), bool(meta["helpful"]), reason)
    except (NotAllowed, UnderstudyError, KeyError, ValueError) as exc:
        log.warning("feedback reason not recorded: %s", exc)


def record_feedback(s: Session, user: str, interaction_id: int, helpful: bool, reason: str) -> None:
    """Keep a rating (and reason) from the person who asked; NotAllowed for anyone else."""
    row = store.get_slack_answer(s, interaction_id)
    interaction = s.get(Interaction, interaction_id)
    if row is None or interaction is None or row.slack_user_id != user:
        raise NotAllowed("Only the person who asked can rate this answer.")
    store.record_feedback(s, interaction_id, user_id=interaction.user_id, helpful=helpful, reason=reason)


def register(app: App, ctx: SlackContext) -> None:
    """The answer's buttons and the feedback modal: acknowledged at once, handled by lazy listeners."""
    def ack_now(ack: Ack) -> None:
        ack()

    def share(body: dict[str, Any]) -> None:
        share_answer(ctx, body)

    def sources(body: dict[str, Any]) -> None:
        show_sources(ctx, body)

    def record_helpful(body: dict[str, Any]) -> None:
        feedback(ctx, body, helpful=True)

    def record_not_helpful(body: dict[str, Any]) -> None:
        feedback(ctx, body, helpful=False)

    def record_reason(body: dict[str, Any]) -> None:
        feedback_reason(ctx, body)

    app.action(ui.SHARE_ACTION)(ack=ack_now, lazy=[share])
    app.action(ui.SOURCES_ACTION)(ack=ack_now, lazy=[sources])
    app.action(ui.HELPFUL_ACTION)(ack=ack_now, lazy=[record_helpful])
    app.action(ui.NOT_HELPFUL_ACTION)(ack=ack_now, lazy=[record_not_helpful])
    app.view(ui.FEEDBACK_VIEW)(ack=ack_now, lazy=[record_reason])
