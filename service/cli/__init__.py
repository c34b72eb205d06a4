"""The `understudy` command: the CLI face of the corpus, search, answers and the service.

One module per command group; rendering in render.py; what every command shares (settings, database, the
schema check, errors) in runtime.py."""

from __future__ import annotations

import click

from service.cli import (
    ask,
    corrections,
    demo,
    gaps,
    ingest,
    rehearse,
    server,
    setup,
    sources,
    transfer,
    twins,
    users,
)
from service.cli.runtime import Runtime, fail
from service.cli.server import development_secret
from service.config import load_settings

__all__ = ["main", "development_secret"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--database-url", envvar="UNDERSTUDY_DATABASE_URL", help="SQLAlchemy URL of the corpus database.")
@click.version_option(package_name="understudy")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """Understudy: an executive twin that answers and rehearses in the executive's voice, with citations."""
    overrides = {"DATABASE_URL": database_url} if database_url else {}
    try:
        ctx.obj = Runtime(load_settings(overrides))
    except ValueError as exc:
        fail(str(exc))
    ctx.call_on_close(ctx.obj.close)


for command in (setup.init, setup.show_settings, setup.show_model, setup.embed, twins.twin, ingest.ingest,
                sources.sources, users.users, ask.search, ask.ask, gaps.gaps_command, rehearse.rehearse,
                corrections.corrections, server.serve, server.slack, server.worker, transfer.export_command,
                transfer.import_command, demo.demo):
    main.add_command(command)
