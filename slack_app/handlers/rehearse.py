"""Rehearsing in Slack: `/rehearse [slug]` opens the pitch modal; a submitted pitch (or a file shared in a direct
message) is rehearsed and its rounds go on in a direct-message thread."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App

from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.errors import BadInput, PitchTooShort
from service.rehearsal import answer_turn, ensure_available, start_rehearsal
from service.rehearsal.pitch import PITCH_SUFFIXES, check_pitch_substance
from slack_app import blocks as ui
from slack_app.client import Destination
from slack_app.escape import text_from_slack
from slack_app.files import SharedFile, download_file, max_bytes, too_big_message
from slack_app.handlers.base import SlackContext
from slack_app.routing import choose_twin, split_slug


def submitted_pitch(view: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The pasted text and attached files of a /rehearse modal submission."""
    values = (view.get("state") or {}).get("values") or {}
    text = ((values.get(ui.PITCH_TEXT_BLOCK) or {}).get(ui.PITCH_TEXT_ACTION) or {}).get("value") or ""
    files = ((values.get(ui.PITCH_FILE_BLOCK) or {}).get(ui.PITCH_FILE_ACTION) or {}).get("files") or []
    return text.strip(), [f for f in files if isinstance(f, dict) and f.get("id")]


def pitch_errors(view: dict[str, Any], settings: Settings) -> dict[str, str]:
    """What is wrong with a /rehearse submission, by block, for Slack to show in the modal (empty when fine)."""
    text, files = submitted_pitch(view)
    if not text and not files:
        return {ui.PITCH_TEXT_BLOCK: "Paste your pitch here, or attach it as a .docx, .pdf, .md or .txt file below."}
    if text and files:
        return {ui.PITCH_FILE_BLOCK: "Give the pitch as text or as a file, not both."}
    if len(files) > 1:
        return {ui.PITCH_FILE_BLOCK: "Attach one file."}
    if text and not files:
        try:
            check_pitch_substance(text, settings.rehearsal_min_pitch_words)
        except PitchTooShort as exc:
            return {ui.PITCH_TEXT_BLOCK: exc.message}
    if files:
        name = str(files[0].get("name") or "")
        if name and not name.lower().endswith(PITCH_SUFFIXES):
            return {ui.PITCH_FILE_BLOCK: f"{name} is not a .docx, .pdf, .md or .txt file."}
        size = int(files[0].get("size") or 0)
        if size > max_bytes(settings):
            return {ui.PITCH_FILE_BLOCK: too_big_message(name or "The file", size, settings)}
    return {}


def rehearse_command(ctx: SlackContext, body: dict[str, Any]) -> None:
    """`/rehearse [slug]`: open the pitch modal (or say why not)."""
    user, channel = body["user_id"], body.get("channel_id")
    to = Destination(response_url=body.get("response_url"), channel=channel, user=user)
    with ctx.reporting(to):
        with ctx.session() as s:
            ctx.viewer(s, user)
            slug, rest = split_slug(s, text_from_slack(body.get("text") or ""))
            if slug is None and rest:
                raise BadInput(f"There is no twin called “{rest.split()[0]}”. Use `/rehearse` or "
                               "`/rehearse TWIN`.")
            twin = choose_twin(s, ctx.settings, explicit=slug, channel_id=channel)
            ensure_available(twin)
            view = ui.rehearse_view(twin.slug, twin.name, channel)
        ctx.client.views_open(trigger_id=body["trigger_id"], view=view)


def rehearse_submission(ctx: SlackContext, body: dict[str, Any]) -> None:
    """The pitch modal was sent: rehearse, and start the rounds in a direct-message thread."""
    view = body["view"]
    if pitch_errors(view, ctx.settings):
        return  # the modal showed the errors and stays open
    user = body["user"]["id"]
    meta = json.loads(view.get("private_metadata") or "{}")
    text, files = submitted_pitch(view)
    dm = ctx.client.conversations_open(users=user)["channel"]["id"]
    to = Destination(channel=dm, ephemeral=False)
    with ctx.reporting(to):
        with ctx.session() as s:
            viewer = ctx.viewer(s, user)
            twin = store.get_twin(s, str(meta.get("twin") or ""))
        shared = download_file(ctx.client, ctx.settings, str(files[0]["id"])) if files else None
        rehearse(ctx, to, user, viewer, twin.slug, text=None if shared else text, shared=shared)


def rehearse_shared_file(ctx: SlackContext, to: Destination, user: str, viewer: Viewer, text: str,
                         file_id: str) -> None:
    """A pitch file shared in a direct message (its text may name the twin): rehearse it."""
    with ctx.session() as s:
        slug, _rest = split_slug(s, text)
        twin = choose_twin(s, ctx.settings, explicit=slug, channel_id=None)
        ensure_available(twin)
    shared = download_file(ctx.client, ctx.settings, file_id)
    rehearse(ctx, to, user, viewer, twin.slug, text=None, shared=shared)


def rehearse(ctx: SlackContext, to: Destination, user: str, viewer: Viewer, twin_slug: str, *, text: str | None,
             shared: SharedFile | None) -> None:
    """Run the rehearsal, post its reaction and first question in a thread, and remember the thread."""
    ctx.spend(viewer, user)
    with ctx.session() as s:
        result = start_rehearsal(s, ctx.settings, twin_slug, viewer, pitch_text=text,
                                 file_bytes=shared.data if shared else None,
                                 filename=shared.name if shared else None, channel="slack")
        twin = store.get_twin(s, twin_slug)
    data = result.to_dict()
    root = to.thread_ts
    if root is None:
        what = shared.name if shared else "your pitch"
        score = data.get("scorecard") or {}
        intro = (f"Rehearsal of {what} with {twin.name}'s twin: scorecard {ui.number(score.get('total'))} of "
                 f"{ui.number(score.get('max'))}. The questions, push-back and first round are in the thread.")
        root = ctx.poster.post(to, ui.fallback_text(intro), ui.notice_blocks(intro))
        if root is None:
            raise RuntimeError("chat.postMessage returned no ts for the rehearsal message")
    with ctx.session() as s:
        store.save_slack_thread(s, str(to.channel), root, twin=twin, slack_user_id=user,
                                rehearsal_id=result.rehearsal_id)
    thread = Destination(channel=to.channel, thread_ts=root, ephemeral=False)
    ctx.poster.post(thread, ui.fallback_text(f"{twin.name}'s twin's questions"), ui.rehearsal_blocks(data, twin.name))
    first = ui.first_round_blocks(data, twin.name)
    ctx.poster.post(thread, ui.fallback_text("Round 1"), first)


def rehearsal_turn(ctx: SlackContext, to: Destination, user: str, rehearsal_id: int, viewer: Viewer,
                   text: str) -> None:
    """A reply in a rehearsal's thread: the twin follows up or accepts, or sums up after the last round."""
    ctx.spend(viewer, user)
    with ctx.session() as s:
        turn = answer_turn(s, ctx.settings, rehearsal_id, viewer, text).to_dict()
    ctx.poster.post(to, ui.fallback_text(turn["text"]), ui.turn_blocks(turn))


def register(app: App, ctx: SlackContext) -> None:
    """`/rehearse` and its modal: the modal's errors are the acknowledgement; the rehearsal runs lazily."""
    def ack_now(ack: Ack) -> None:
        ack()

    def ack_pitch(ack: Ack, view: dict[str, Any]) -> None:
        errors = pitch_errors(view, ctx.settings)
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    def open_rehearse_modal(body: dict[str, Any]) -> None:
        rehearse_command(ctx, body)

    def rehearse_pitch(body: dict[str, Any]) -> None:
        rehearse_submission(ctx, body)

    app.command("/rehearse")(ack=ack_now, lazy=[open_rehearse_modal])
    app.view(ui.REHEARSE_VIEW)(ack=ack_pitch, lazy=[rehearse_pitch])
