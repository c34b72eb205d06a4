"""What every Slack handler shares: the unit of work, error reporting, who is asking, the allowance, and the one
answer-and-post step behind /twin, mentions and direct messages."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.corpus import store
from service.corpus.access import Viewer
from service.corpus.models import Twin
from service.db import session_scope
from service.errors import UnderstudyError
from service.ops.ratelimit import AskLimiter, ask_limiter, user_key
from service.twin.engine import answer_question
from slack_app import blocks as ui
from slack_app.client import Destination, Poster
from slack_app.identity import NotAllowed, resolve_viewer
from slack_app.routing import answer_source_ids, channel_allows_public, choose_twin, shareable, split_slug

log = logging.getLogger("understudy.slack")

SOMETHING_WRONG = "Sorry, something went wrong on our side and I could not answer. Please try again in a minute."


class SlackContext:
    """Settings, database sessions, the Web API client and the allowance every handler works with."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], client: WebClient,
                 limiter: AskLimiter | None = None):
        self.settings = settings
        self.sessions = sessions
        self.client = client
        self.poster = Poster(client)
        # The web app's limiter in HTTP mode: asking in Slack spends from the same per-user allowance.
        self.limiter = limiter or ask_limiter(settings)

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

    def thread_twin(self, s: Session, channel: str, root: str, text: str,
                    channel_for_twin: str | None) -> tuple[Twin, str | None, str]:
        """The twin, conversation id and question of a message in a thread (a new thread picks its twin)."""
        thread = store.get_slack_thread(s, channel, root)
        if thread is not None and thread.conversation_id is not None:
            twin = s.get(Twin, thread.twin_id)
            if twin is not None:
                return twin, thread.conversation_id, text
        slug, question = split_slug(s, text)
        return choose_twin(s, self.settings, explicit=slug, channel_id=channel_for_twin), None, question


@dataclass(frozen=True)
class Reply:
    """Blocks to post and where."""

    to: Destination
    text: str
    blocks: list[dict[str, Any]]


@dataclass(frozen=True)
class Question:
    """A question to answer in Slack: who asks (already allowed and charged), which twin, and where it goes."""

    slack_user: str
    channel: str | None
    twin: Twin
    text: str
    asker: Viewer
    reply_to: Destination
    conversation_id: str | None = None
    # A thread to remember the new conversation in (mentions and direct messages; not /twin).
    thread_root: str | None = None
    public: bool = False
    # /twin: the asker alone sees it, headed by their question, with a share button where sharing is allowed.
    command: bool = False


def answer_and_post(ctx: SlackContext, report_to: Destination,
                    prepare: Callable[[Session], Question | Reply]) -> None:
    """Prepare (who, which twin, the allowance), answer, keep the answer and its thread, commit, then post."""
    with ctx.reporting(report_to):
        with ctx.session() as s:
            prepared = prepare(s)
            reply = prepared if isinstance(prepared, Reply) else _answer(ctx, s, prepared)
        ctx.poster.post(reply.to, ui.fallback_text(reply.text), reply.blocks)


def _answer(ctx: SlackContext, s: Session, q: Question) -> Reply:
    answer = answer_question(s, ctx.settings, q.twin.slug, q.text, q.asker, conversation_id=q.conversation_id,
                             channel="slack")
    if q.thread_root is not None and q.conversation_id is None:
        store.save_slack_thread(s, str(q.channel), q.thread_root, twin=q.twin, slack_user_id=q.slack_user,
                                conversation_id=answer.conversation_id)
    data = answer.to_dict()
    can_share = q.command and channel_allows_public(s, ctx.settings, q.channel) and shareable(
        s, ctx.settings, answer_source_ids(s, answer.interaction_id, data["citations"]))
    payload = {"answer": data["answer"], "citations": data["citations"], "disclaimer": data["disclaimer"],
               "twin_slug": q.twin.slug, "question": q.text}
    store.save_slack_answer(s, data["interaction_id"], slack_user_id=q.slack_user, channel_id=q.channel or "",
                            public=q.public, twin_name=q.twin.name, payload=payload)
    blocks = ui.answer_blocks(data, twin_name=q.twin.name, interaction_id=answer.interaction_id,
                              can_share=can_share, question=q.text if q.command else None)
    return Reply(q.reply_to, data["answer"], blocks)
