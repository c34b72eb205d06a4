"""What each Slack request does, listener by listener: find the user and twin, call the domain, post the blocks."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import Interaction, Twin, User
from service.db import session_scope
from service.errors import BadInput, PitchTooShort, UnderstudyError
from service.ops.ratelimit import AskLimiter, ask_limiter, user_key
from service.rehearsal import answer_turn, ensure_available, start_rehearsal
from service.rehearsal.pitch import check_pitch_substance
from service.twin.engine import answer_question
from slack_app import blocks as ui
from slack_app.client import Destination, Poster
from slack_app.escape import text_from_slack
from slack_app.files import SharedFile, download_file, max_bytes, too_big_message
from slack_app.identity import NotAllowed, public_viewer, resolve_viewer
from slack_app.routing import (
    USAGE,
    answer_source_ids,
    channel_allows_public,
    choose_twin,
    is_channel,
    parse_public,
    parse_twin_command,
    shareable,
    split_slug,
    strip_mentions,
)

log = logging.getLogger("understudy.slack")

SOMETHING_WRONG = "Sorry, something went wrong on our side and I could not answer. Please try again in a minute."
EMPTY_MENTION = "Ask me something after the mention, e.g. “@Understudy what do you look for in a pitch?”"
PITCH_SUFFIXES = (".docx", ".pdf")


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
        return {ui.PITCH_TEXT_BLOCK: "Paste your pitch here, or attach it as a .docx or .pdf below."}
    if text and files:
        return {ui.PITCH_FILE_BLOCK: "Give the pitch as text or as a file, not both."}
    if len(files) > 1:
        return {ui.PITCH_FILE_BLOCK: "Attach one file."}
    if text and not files:
        try:
            check_pitch_substance(text, int(settings.rehearsal_min_pitch_words))
        except PitchTooShort as exc:
            return {ui.PITCH_TEXT_BLOCK: exc.message}
    if files:
        name = str(files[0].get("name") or "")
        if name and not name.lower().endswith(PITCH_SUFFIXES):
            return {ui.PITCH_FILE_BLOCK: f"{name} is not a .docx or .pdf file."}
        size = int(files[0].get("size") or 0)
        if size > max_bytes(settings):
            return {ui.PITCH_FILE_BLOCK: too_big_message(name or "The file", size, settings)}
    return {}


class Flows:
    """The work behind every listener; each method takes Slack's request body and posts its own replies."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], client: WebClient,
                 limiter: AskLimiter | None = None):
        self.settings = settings
        self.sessions = sessions
        self.client = client
        self.poster = Poster(client)
        # The web app's limiter in HTTP mode: asking in Slack spends from the same per-user allowance.
        self.limiter = limiter or ask_limiter(settings)

    # --- plumbing ---------------------------------------------------------------------------------

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work on the database: committed on success, rolled back on any error."""
        with session_scope(self.sessions) as s:
            yield s

    @contextmanager
    def reporting(self, to: Destination) -> Iterator[None]:
        """Turn a refusal or a domain error into a message to the user; log anything else and apologise."""
        try:
            yield
        except (NotAllowed, UnderstudyError) as exc:
            self.tell(to, exc.message)
        except Exception:
            log.exception("Slack request failed")
            self.tell(to, SOMETHING_WRONG)

    def tell(self, to: Destination, message: str) -> None:
        """Post a short notice; a failure to do so is logged, never raised."""
        try:
            self.poster.post(to, ui.fallback_text(message), ui.notice_blocks(message))
        except Exception:
            log.exception("could not post a notice to Slack")

    def viewer(self, s: Session, slack_user_id: str) -> Viewer:
        """The viewer this Slack user's request runs as (NotAllowed when refused)."""
        return resolve_viewer(s, self.settings, self.client, slack_user_id)

    def spend(self, viewer: Viewer, slack_user_id: str) -> None:
        """Take one question or rehearsal from the person's allowance (RateLimited when it is used up)."""
        self.limiter.check(user_key(viewer.user_id, f"slack:{slack_user_id}"))

    def _keep_answer(self, s: Session, data: dict[str, Any], twin: Twin, *, slack_user_id: str, channel_id: str,
                     public: bool, question: str) -> None:
        payload = {"answer": data["answer"], "citations": data["citations"], "disclaimer": data["disclaimer"],
                   "twin_slug": twin.slug, "question": question}
        store.save_slack_answer(s, data["interaction_id"], slack_user_id=slack_user_id, channel_id=channel_id,
                                public=public, twin_name=twin.name, payload=payload)

    def _thread_twin(self, s: Session, channel: str, root: str, text: str,
                     channel_for_twin: str | None) -> tuple[Twin, str | None, str]:
        """The twin, conversation id and question of a message in a thread (a new thread picks its twin)."""
        thread = store.get_slack_thread(s, channel, root)
        if thread is not None and thread.conversation_id is not None:
            twin = s.get(Twin, thread.twin_id)
            if twin is not None:
                return twin, thread.conversation_id, text
        slug, question = split_slug(s, text)
        return choose_twin(s, self.settings, explicit=slug, channel_id=channel_for_twin), None, question

    @staticmethod
    def _action(body: dict[str, Any]) -> tuple[str, int, Destination]:
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

    # --- /twin --------------------------------------------------------------------------------------

    def twin_command(self, body: dict[str, Any]) -> None:
        """`/twin [slug] question`: the answer to the asker alone, with a share button where sharing is allowed."""
        user, channel = body["user_id"], body.get("channel_id")
        to = Destination(response_url=body.get("response_url"), channel=channel, user=user)
        with self.reporting(to):
            with self.session() as s:
                command = parse_twin_command(s, text_from_slack(body.get("text") or ""))
                if command.kind == "help":
                    message, blocks = USAGE, [ui.section(USAGE)]
                elif command.kind == "config":
                    message = self.configure_channel(s, user, channel, command.options)
                    blocks = ui.notice_blocks(message)
                else:
                    viewer = self.viewer(s, user)
                    self.spend(viewer, user)
                    twin = choose_twin(s, self.settings, explicit=command.slug, channel_id=channel)
                    answer = answer_question(s, self.settings, twin.slug, command.question, viewer, channel="slack")
                    data = answer.to_dict()
                    can_share = channel_allows_public(s, self.settings, channel) and shareable(
                        s, self.settings, answer_source_ids(s, answer.interaction_id, data["citations"]))
                    self._keep_answer(s, data, twin, slack_user_id=user, channel_id=channel or "", public=False,
                                      question=command.question)
                    message = data["answer"]
                    blocks = ui.answer_blocks(data, twin_name=twin.name, interaction_id=answer.interaction_id,
                                              can_share=can_share, question=command.question)
            self.poster.post(to, ui.fallback_text(message), blocks)

    def configure_channel(self, s: Session, user: str, channel: str | None, options: dict[str, str]) -> str:
        """`/twin config [twin=SLUG] [public=yes|no]`: show, or (for admins) change, this channel's settings."""
        viewer = self.viewer(s, user)
        if not is_channel(channel):
            raise BadInput("Channel settings belong to channels: run `/twin config` in the channel.")
        if options:
            if not viewer.may("admin"):
                raise NotAllowed("Only Understudy admins can change a channel's settings.")
            public = parse_public(options["public"]) if "public" in options else None
            store.set_slack_channel(s, str(channel), twin_slug=options.get("twin", "").lower() or None, public=public,
                                    actor=viewer.email or f"slack:{user}")
        setting = store.get_slack_channel(s, str(channel))
        twin = s.get(Twin, setting.twin_id) if setting is not None and setting.twin_id is not None else None
        who = f"`{twin.slug}`" if twin else (f"`{self.settings.slack_default_twin}` (the default)"
                                              if self.settings.slack_default_twin else "the default twin")
        public_here = channel_allows_public(s, self.settings, channel)
        return (f"In this channel {who} answers, and answers {'may' if public_here else 'may not'} be posted "
                "for everyone here to read.")

    # --- mentions and direct messages ---------------------------------------------------------------

    def mention(self, body: dict[str, Any], bot_user_id: str | None) -> None:
        """A mention in a channel: answered in its thread, for everyone if the channel allows, else privately."""
        event = body["event"]
        user, channel = event.get("user") or "", event["channel"]
        root = event.get("thread_ts") or event["ts"]
        personal = Destination(channel=channel, thread_ts=root, user=user, ephemeral=True)
        with self.reporting(personal):
            text = text_from_slack(strip_mentions(event.get("text") or "", bot_user_id))
            with self.session() as s:
                viewer = self.viewer(s, user)
                public = channel_allows_public(s, self.settings, channel)
                twin, conversation_id, question = self._thread_twin(s, channel, root, text, channel)
                if not question.strip():
                    raise BadInput(EMPTY_MENTION)
                self.spend(viewer, user)
                # Everyone in the channel reads a public answer, so it stands only on what everyone may see.
                asker = public_viewer(viewer, self.settings) if public else viewer
                answer = answer_question(s, self.settings, twin.slug, question, asker,
                                         conversation_id=conversation_id, channel="slack")
                if conversation_id is None:
                    store.save_slack_thread(s, channel, root, twin=twin, slack_user_id=user,
                                            conversation_id=answer.conversation_id)
                data = answer.to_dict()
                self._keep_answer(s, data, twin, slack_user_id=user, channel_id=channel, public=public,
                                  question=question)
                blocks = ui.answer_blocks(data, twin_name=twin.name, interaction_id=answer.interaction_id,
                                          can_share=False)
            to = Destination(channel=channel, thread_ts=root, user=user, ephemeral=not public)
            self.poster.post(to, ui.fallback_text(data["answer"]), blocks)

    def direct_message(self, body: dict[str, Any]) -> None:
        """A direct message: a question (one conversation per thread), a rehearsal reply, or a pitch file."""
        event = body["event"]
        user, channel = event.get("user") or "", event["channel"]
        root = event.get("thread_ts") or event["ts"]
        text = text_from_slack(event.get("text") or "")
        to = Destination(channel=channel, thread_ts=root, ephemeral=False)
        with self.reporting(to):
            with self.session() as s:
                viewer = self.viewer(s, user)
                thread = store.get_slack_thread(s, channel, root)
                if thread is not None and thread.slack_user_id != user:
                    raise NotAllowed("This thread belongs to someone else's conversation with the twin.")
                rehearsal_id = thread.rehearsal_id if thread is not None else None
            files = [f for f in event.get("files") or [] if isinstance(f, dict) and f.get("id")]
            if rehearsal_id is not None:
                self._rehearsal_turn(to, user, rehearsal_id, viewer, text)
            elif files and thread is None:
                self._rehearse_shared_file(to, user, viewer, text, str(files[0]["id"]))
            else:
                self._dm_answer(to, user, viewer, text)

    def _dm_answer(self, to: Destination, user: str, viewer: Viewer, text: str) -> None:
        channel, root = str(to.channel), str(to.thread_ts)
        with self.session() as s:
            twin, conversation_id, question = self._thread_twin(s, channel, root, text, None)
            self.spend(viewer, user)
            answer = answer_question(s, self.settings, twin.slug, question, viewer, conversation_id=conversation_id,
                                     channel="slack")
            if conversation_id is None:
                store.save_slack_thread(s, channel, root, twin=twin, slack_user_id=user,
                                        conversation_id=answer.conversation_id)
            data = answer.to_dict()
            self._keep_answer(s, data, twin, slack_user_id=user, channel_id=channel, public=False, question=question)
            blocks = ui.answer_blocks(data, twin_name=twin.name, interaction_id=answer.interaction_id,
                                      can_share=False)
        self.poster.post(to, ui.fallback_text(data["answer"]), blocks)

    # --- rehearsals ---------------------------------------------------------------------------------

    def rehearse_command(self, body: dict[str, Any]) -> None:
        """`/rehearse [slug]`: open the pitch modal (or say why not)."""
        user, channel = body["user_id"], body.get("channel_id")
        to = Destination(response_url=body.get("response_url"), channel=channel, user=user)
        with self.reporting(to):
            with self.session() as s:
                self.viewer(s, user)
                slug, rest = split_slug(s, text_from_slack(body.get("text") or ""))
                if slug is None and rest:
                    raise BadInput(f"There is no twin called “{rest.split()[0]}”. Use `/rehearse` or "
                                   "`/rehearse TWIN`.")
                twin = choose_twin(s, self.settings, explicit=slug, channel_id=channel)
                ensure_available(twin)
                view = ui.rehearse_view(twin.slug, twin.name, channel)
            self.client.views_open(trigger_id=body["trigger_id"], view=view)

    def rehearse_submission(self, body: dict[str, Any]) -> None:
        """The pitch modal was sent: rehearse, and start the rounds in a direct-message thread."""
        view = body["view"]
        if pitch_errors(view, self.settings):
            return  # the modal showed the errors and stays open
        user = body["user"]["id"]
        meta = json.loads(view.get("private_metadata") or "{}")
        text, files = submitted_pitch(view)
        dm = self.client.conversations_open(users=user)["channel"]["id"]
        to = Destination(channel=dm, ephemeral=False)
        with self.reporting(to):
            with self.session() as s:
                viewer = self.viewer(s, user)
                twin = store.get_twin(s, str(meta.get("twin") or ""))
            shared = download_file(self.client, self.settings, str(files[0]["id"])) if files else None
            self._rehearse(to, user, viewer, twin.slug, text=None if shared else text, shared=shared)

    def _rehearse_shared_file(self, to: Destination, user: str, viewer: Viewer, text: str, file_id: str) -> None:
        with self.session() as s:
            slug, _rest = split_slug(s, text)
            twin = choose_twin(s, self.settings, explicit=slug, channel_id=None)
            ensure_available(twin)
        shared = download_file(self.client, self.settings, file_id)
        self._rehearse(to, user, viewer, twin.slug, text=None, shared=shared)

    def _rehearse(self, to: Destination, user: str, viewer: Viewer, twin_slug: str, *, text: str | None,
                  shared: SharedFile | None) -> None:
        """Run the rehearsal, post its reaction and first question in a thread, and remember the thread."""
        self.spend(viewer, user)
        with self.session() as s:
            result = start_rehearsal(s, self.settings, twin_slug, viewer, pitch_text=text,
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
            root = self.poster.post(to, ui.fallback_text(intro), ui.notice_blocks(intro))
            if root is None:
                raise RuntimeError("chat.postMessage returned no ts for the rehearsal message")
        with self.session() as s:
            store.save_slack_thread(s, str(to.channel), root, twin=twin, slack_user_id=user,
                                    rehearsal_id=result.rehearsal_id)
        thread = Destination(channel=to.channel, thread_ts=root, ephemeral=False)
        self.poster.post(thread, ui.fallback_text(f"{twin.name}'s twin's questions"),
                         ui.rehearsal_blocks(data, twin.name))
        first = ui.first_round_blocks(data, twin.name)
        self.poster.post(thread, ui.fallback_text("Round 1"), first)

    def _rehearsal_turn(self, to: Destination, user: str, rehearsal_id: int, viewer: Viewer, text: str) -> None:
        self.spend(viewer, user)
        with self.session() as s:
            turn = answer_turn(s, self.settings, rehearsal_id, viewer, text).to_dict()
        self.poster.post(to, ui.fallback_text(turn["text"]), ui.turn_blocks(turn))

    # --- buttons and modals -------------------------------------------------------------------------

    def share_answer(self, body: dict[str, Any]) -> None:
        """"Share in channel": post one's private answer for the channel, if its sources are for everyone."""
        user, interaction_id, to = self._action(body)
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        with self.reporting(to):
            with self.session() as s:
                row = store.get_slack_answer(s, interaction_id)
                if row is None or row.slack_user_id != user:
                    raise NotAllowed("Only the person who asked can share this answer.")
                if not channel_allows_public(s, self.settings, channel):
                    raise NotAllowed("Answers cannot be posted publicly in this channel.")
                if not shareable(s, self.settings,
                                 answer_source_ids(s, interaction_id, row.payload.get("citations") or [])):
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
                self.client.chat_postMessage(channel=str(channel), text=text, blocks=blocks, unfurl_links=False,
                                             unfurl_media=False)
            except SlackApiError as exc:
                if exc.response.get("error") not in ("not_in_channel", "channel_not_found") or not to.response_url:
                    raise
                # The bot is not in the channel: the command's response_url may still post there.
                self.poster.respond(to.response_url, response_type="in_channel", text=text, blocks=blocks)
            with self.session() as s:
                row = store.get_slack_answer(s, interaction_id)
                if row is not None:
                    store.mark_slack_answer_public(s, row)
            if to.response_url:
                self.poster.respond(to.response_url, delete_original=True, replace_original=None,
                                    unfurl_links=None, unfurl_media=None)

    def show_sources(self, body: dict[str, Any]) -> None:
        """"Show sources": every source of the answer in a modal."""
        user, interaction_id, to = self._action(body)
        with self.reporting(to):
            with self.session() as s:
                row = store.get_slack_answer(s, interaction_id)
                if row is None or not (row.public or row.slack_user_id == user):
                    raise NotAllowed("These sources belong to someone else's private answer.")
                view = ui.sources_view(dict(row.payload), row.twin_name)
            self.client.views_open(trigger_id=body["trigger_id"], view=view)

    def feedback(self, body: dict[str, Any], helpful: bool) -> None:
        """Helpful / not helpful: record it at once, then offer a modal for the reason."""
        user, interaction_id, to = self._action(body)
        with self.reporting(to):
            with self.session() as s:
                self._record_feedback(s, user, interaction_id, helpful, "")
                curator = not helpful and self._asked_by_a_curator(s, interaction_id)
            self.client.views_open(trigger_id=body["trigger_id"],
                                   view=ui.feedback_view(interaction_id, helpful, curator=curator))

    @staticmethod
    def _asked_by_a_curator(s: Session, interaction_id: int) -> bool:
        """Whether the answer's asker (who alone may rate it) may correct it in the console."""
        interaction = s.get(Interaction, interaction_id)
        asker = s.get(User, interaction.user_id) if interaction is not None and interaction.user_id else None
        return asker is not None and Viewer.of(asker.id, asker.email, asker.role, []).may("curator")

    def feedback_reason(self, body: dict[str, Any]) -> None:
        """The feedback modal was sent: keep the reason with the rating."""
        view = body["view"]
        meta = json.loads(view.get("private_metadata") or "{}")
        values = (view.get("state") or {}).get("values") or {}
        reason = ((values.get(ui.REASON_BLOCK) or {}).get(ui.REASON_ACTION) or {}).get("value") or ""
        if not reason.strip():
            return
        try:
            with self.session() as s:
                self._record_feedback(s, body["user"]["id"], int(meta["interaction_id"]), bool(meta["helpful"]),
                                      reason)
        except (NotAllowed, UnderstudyError, KeyError, ValueError) as exc:
            log.warning("feedback reason not recorded: %s", exc)

    def _record_feedback(self, s: Session, user: str, interaction_id: int, helpful: bool, reason: str) -> None:
        row = store.get_slack_answer(s, interaction_id)
        interaction = s.get(Interaction, interaction_id)
        if row is None or interaction is None or row.slack_user_id != user:
            raise NotAllowed("Only the person who asked can rate this answer.")
        store.record_feedback(s, interaction_id, user_id=interaction.user_id, helpful=helpful, reason=reason)
