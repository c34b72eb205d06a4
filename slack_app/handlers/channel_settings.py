"""`/twin config [twin=SLUG] [public=yes|no]`: which twin answers in a channel and whether answers may be public."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.corpus import store
from service.corpus.models import Twin
from service.errors import BadInput
from slack_app.handlers.base import SlackContext
from slack_app.identity import NotAllowed
from slack_app.routing import channel_allows_public, is_channel, parse_public


def configure_channel(ctx: SlackContext, s: Session, user: str, channel: str | None, options: dict[str, str]) -> str:
    """Show, or (for admins) change, this channel's settings; the message says what is in force."""
    viewer = ctx.viewer(s, user)
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
    who = f"`{twin.slug}`" if twin else (f"`{ctx.settings.slack_default_twin}` (the default)"
                                          if ctx.settings.slack_default_twin else "the default twin")
    public_here = channel_allows_public(s, ctx.settings, channel)
    return (f"In this channel {who} answers, and answers {'may' if public_here else 'may not'} be posted "
            "for everyone here to read.")
