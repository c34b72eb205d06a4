"""Slack listeners by job (ask, rehearse, buttons, channel settings): each acknowledges at once and leaves the
work to a lazy function over the shared helpers in base.py."""
