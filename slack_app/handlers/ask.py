"""Asking in Slack: `/twin [slug] question` (and its help and config), a mention in a channel, a direct message."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from sqlalchemy.orm import Session

from service.corpus import store
from service.corpus.access import Viewer
from service.errors import BadInput
from slack_app import blocks as ui
from slack_app.client import Destination
from slack_app.escape import text_from_slack
from slack_app.handlers.base import Question, Reply, SlackContext, answer_and_post
from slack_app.handlers.channel_settings import configure_channel
from slack_app.handlers.rehearse import rehearsal_turn, rehearse_shared_file
from slack_app.identity import NotAllowed, public_viewer
from slack_app.routing import USAGE, channel_allows_public, choose_twin, parse_twin_command, strip_mentions

THINKING = "_Thinking…_"
EMPTY_MENTION = "Ask me something after the mention, e.g. “@Understudy what do you look for in a pitch?”"


def is_person_in_dm(event: dict[str, Any]) -> bool:
    """A message a person wrote (or a file they shared) in a direct message with the app."""
    return (event.get("channel_type") == "im" and bool(event.get("user")) and not event.get("bot_id")
            and event.get("subtype") in (None, "file_share"))


def twin_command(ctx: SlackContext, body: dict[str, Any]) -> None:
    """`/twin [slug] question`: the answer to the asker alone, with a share button where sharing is allowed."""
    user, channel = body["user_id"], body.get("channel_id")
    to = Destination(response_url=body.get("response_url"), channel=channel, user=user)

    def prepare(s: Session) -> Question | Reply:
        command = parse_twin_command(s, text_from_slack(body.get("text") or ""))
        if command.kind == "help":
            return Reply(to, USAGE, [ui.section(USAGE)])
        if command.kind == "config":
            message = configure_channel(ctx, s, user, channel, command.options)
            return Reply(to, message, ui.notice_blocks(message))
        viewer = ctx.viewer(s, user)
        ctx.spend(viewer, user)
        twin = choose_twin(s, ctx.settings, explicit=command.slug, channel_id=channel)
        return Question(user, channel, twin, command.question, viewer, reply_to=to, command=True)

    answer_and_post(ctx, to, prepare)


def mention(ctx: SlackContext, body: dict[str, Any], bot_user_id: str | None) -> None:
    """A mention in a channel: answered in its thread, for everyone if the channel allows, else privately."""
    event = body["event"]
    user, channel = event.get("user") or "", event["channel"]
    root = event.get("thread_ts") or event["ts"]

    def prepare(s: Session) -> Question:
        text = text_from_slack(strip_mentions(event.get("text") or "", bot_user_id))
        viewer = ctx.viewer(s, user)
        public = channel_allows_public(s, ctx.settings, channel)
        twin, conversation_id, question = ctx.thread_twin(s, channel, root, text, channel)
        if not question.strip():
            raise BadInput(EMPTY_MENTION)
        ctx.spend(viewer, user)
        # Everyone in the channel reads a public answer, so it stands only on what everyone may see.
        asker = public_viewer(viewer, ctx.settings) if public else viewer
        return Question(user, channel, twin, question, asker,
                        reply_to=Destination(channel=channel, thread_ts=root, user=user, ephemeral=not public),
                        conversation_id=conversation_id, thread_root=root, public=public)

    answer_and_post(ctx, Destination(channel=channel, thread_ts=root, user=user, ephemeral=True), prepare)


def direct_message(ctx: SlackContext, body: dict[str, Any]) -> None:
    """A direct message: a question (one conversation per thread), a rehearsal reply, or a pitch file."""
    event = body["event"]
    user, channel = event.get("user") or "", event["channel"]
    root = event.get("thread_ts") or event["ts"]
    text = text_from_slack(event.get("text") or "")
    to = Destination(channel=channel, thread_ts=root, ephemeral=False)
    with ctx.reporting(to):
        with ctx.session() as s:
            viewer = ctx.viewer(s, user)
            thread = store.get_slack_thread(s, channel, root)
            if thread is not None and thread.slack_user_id != user:
                raise NotAllowed("This thread belongs to someone else's conversation with the twin.")
            rehearsal_id = thread.rehearsal_id if thread is not None else None
        files = [f for f in event.get("files") or [] if isinstance(f, dict) and f.get("id")]
        if rehearsal_id is not None:
            rehearsal_turn(ctx, to, user, rehearsal_id, viewer, text)
        elif files and thread is None:
            rehearse_shared_file(ctx, to, user, viewer, text, str(files[0]["id"]))
        else:
            answer_and_post(ctx, to, lambda s: _dm_question(ctx, s, to, user, viewer, text))


def _dm_question(ctx: SlackContext, s: Session, to: Destination, user: str, viewer: Viewer, text: str) -> Question:
    channel, root = str(to.channel), str(to.thread_ts)
    twin, conversation_id, question = ctx.thread_twin(s, channel, root, text, None)
    ctx.spend(viewer, user)
    return Question(user, channel, twin, question, viewer, reply_to=to, conversation_id=conversation_id,
                    thread_root=root)


def register(app: App, ctx: SlackContext) -> None:
    """`/twin`, mentions and direct messages: acknowledged at once, answered by lazy listeners."""
    def ack_now(ack: Ack) -> None:
        ack()

    def ack_twin(ack: Ack, body: dict[str, Any]) -> None:
        words = (body.get("text") or "").split()
        if words and words[0].lower() not in ("config", "help"):
            ack(THINKING)
        else:
            ack()

    def answer_twin_command(body: dict[str, Any]) -> None:
        twin_command(ctx, body)

    def answer_mention(body: dict[str, Any], context: BoltContext) -> None:
        mention(ctx, body, context.bot_user_id)

    def answer_direct_message(body: dict[str, Any]) -> None:
        direct_message(ctx, body)

    app.command("/twin")(ack=ack_twin, lazy=[answer_twin_command])
    app.event("app_mention")(ack=ack_now, lazy=[answer_mention])
    app.event("message", matchers=[is_person_in_dm])(ack=ack_now, lazy=[answer_direct_message])
    app.event("message")(ack_now)  # every other message event (edits, bots, channels): nothing to do
