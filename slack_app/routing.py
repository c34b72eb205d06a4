"""What a Slack message asks for: which twin, what question, channel settings; and where replies may go."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.corpus import store
from service.corpus.models import Interaction, Source, Twin
from service.errors import BadInput

MENTION_RE = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
CONFIG_WORD = "config"
HELP_WORDS = ("", "help", "?")
YES = ("yes", "y", "true", "on", "1")
NO = ("no", "n", "false", "off", "0")
USAGE = ("*Ask the twin:* `/twin [twin] your question` (only you see the answer; share it with the button).\n"
         "*In a channel:* mention me with your question and I answer in a thread.\n"
         "*In a direct message:* just ask; reply in the thread to follow up.\n"
         "*Rehearse a pitch:* `/rehearse [twin]`.\n"
         "*Admins:* `/twin config twin=SLUG public=yes|no` sets this channel's twin and whether answers may be "
         "posted publicly here; `/twin config` shows them.")


@dataclass(frozen=True)
class TwinCommand:
    """A parsed `/twin` text: ask (with an optional twin slug), config (with options) or help."""

    kind: str
    slug: str | None = None
    question: str = ""
    options: dict[str, str] = field(default_factory=dict)


def twin_slugs(session: Session) -> list[str]:
    """Every twin's slug."""
    return [twin.slug for twin in store.list_twins(session)]


def split_slug(session: Session, text: str) -> tuple[str | None, str]:
    """A leading word that names a twin, and the rest; (None, text) when the first word is no twin's slug."""
    words = (text or "").strip().split(maxsplit=1)
    if words and words[0].lower() in twin_slugs(session):
        return words[0].lower(), words[1] if len(words) > 1 else ""
    return None, (text or "").strip()


def parse_twin_command(session: Session, text: str) -> TwinCommand:
    """Read the text after `/twin`."""
    stripped = (text or "").strip()
    first = stripped.split(maxsplit=1)[0].lower() if stripped else ""
    if first == CONFIG_WORD:
        options: dict[str, str] = {}
        for part in stripped.split()[1:]:
            key, sep, value = part.partition("=")
            if not sep or key.lower() not in ("twin", "public") or not value:
                raise BadInput(f"I did not understand {part!r}: use `/twin config twin=SLUG public=yes|no`")
            options[key.lower()] = value.strip()
        return TwinCommand("config", options=options)
    slug, question = split_slug(session, stripped)
    if stripped.lower() in HELP_WORDS or (slug is not None and not question.strip()):
        return TwinCommand("help", slug=slug)
    return TwinCommand("ask", slug=slug, question=question)


def parse_public(value: str) -> bool:
    """yes/no (and the like) as a boolean."""
    if value.lower() in YES:
        return True
    if value.lower() in NO:
        return False
    raise BadInput(f"public must be yes or no, not {value!r}")


def strip_mentions(text: str, bot_user_id: str | None) -> str:
    """A mention's text without the mention of the bot (other mentions stay, to be shown escaped)."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text or "")
    else:
        text = MENTION_RE.sub(" ", text or "", count=1)
    return " ".join(text.split())


def choose_twin(session: Session, settings: Settings, *, explicit: str | None, channel_id: str | None) -> Twin:
    """The twin that answers: the one named, else the channel's, else the default, else the only one."""
    if explicit:
        return store.get_twin(session, explicit)
    if channel_id:
        setting = store.get_slack_channel(session, channel_id)
        if setting is not None and setting.twin_id is not None:
            twin = session.get(Twin, setting.twin_id)
            if twin is not None:
                return twin
    if settings.slack_default_twin:
        return store.get_twin(session, settings.slack_default_twin)
    slugs = twin_slugs(session)
    if len(slugs) == 1:
        return store.get_twin(session, slugs[0])
    if not slugs:
        raise BadInput("There is no twin to ask yet.")
    raise BadInput("Which twin? Start with its name, e.g. `/twin " + slugs[0] + " your question`. Twins: "
                   + ", ".join(slugs) + ".")


def is_channel(channel_id: str | None) -> bool:
    """Whether a conversation id is a channel (public or private) rather than a direct message."""
    return bool(channel_id) and not str(channel_id).startswith("D")


def channel_allows_public(session: Session, settings: Settings, channel_id: str | None) -> bool:
    """Whether answers may be posted for everyone to read in this channel."""
    if not is_channel(channel_id):
        return False
    setting = store.get_slack_channel(session, str(channel_id))
    return bool(setting.public) if setting is not None else settings.slack_public_replies


def shareable(session: Session, settings: Settings, source_ids: Iterable[int]) -> bool:
    """Whether everyone may read these sources: each approved and for the default audience."""
    ids = set(source_ids)
    if not ids:
        return True
    rows = session.execute(select(Source.id, Source.status, Source.audience).where(Source.id.in_(ids))).all()
    return len(rows) == len(ids) and all(
        status == "approved" and audience == settings.default_audience for _id, status, audience in rows)


def answer_source_ids(session: Session, interaction_id: int, citations: Iterable[dict[str, Any]]) -> set[int]:
    """Every source an answer cited or was composed from (a model sees more passages than it cites)."""
    ids = {int(c["source_id"]) for c in citations if c.get("source_id") is not None}
    row = session.get(Interaction, interaction_id)
    if row is not None:
        ids |= {int(p["source_id"]) for p in row.passages or [] if p.get("source_id") is not None}
    return ids
