"""The `understudy` command: the CLI face of the corpus, search, answers and the service.

One module per command group; rendering in render.py; what every command shares (settings, database, the
schema check, errors) in runtime.py."""

from __future__ import annotations

import importlib
from typing import Any

import click

from service.cli.runtime import Runtime, fail
from service.cli.server import development_secret
from service.config import load_settings

__all__ = ["main", "development_secret"]

# Each command's "module:attribute", imported only when that command is listed or run (Click's lazy-group
# pattern), so that `understudy --help` or `understudy settings` does not load the database layer.
COMMANDS = {
    "init": "service.cli.setup:init",
    "settings": "service.cli.setup:show_settings",
    "model": "service.cli.setup:show_model",
    "embed": "service.cli.setup:embed",
    "twin": "service.cli.twins:twin",
    "ingest": "service.cli.ingest:ingest",
    "sources": "service.cli.sources:sources",
    "users": "service.cli.users:users",
    "search": "service.cli.ask:search",
    "ask": "service.cli.ask:ask",
    "gaps": "service.cli.gaps:gaps_command",
    "rehearse": "service.cli.rehearse:rehearse",
    "corrections": "service.cli.corrections:corrections",
    "serve": "service.cli.server:serve",
    "slack": "service.cli.server:slack",
    "worker": "service.cli.server:worker",
    "export": "service.cli.transfer:export_command",
    "import": "service.cli.transfer:import_command",
    "demo": "service.cli.demo:demo",
}


class LazyGroup(click.Group):
    """A group whose subcommands are "module:attribute" strings, imported on first use."""

    def __init__(self, *args: Any, lazy_subcommands: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands and cmd_name not in self.commands:
            module_name, attribute = self.lazy_subcommands[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy_subcommands[cmd_name]} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy_subcommands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
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

