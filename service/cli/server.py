"""`understudy serve|slack|worker`: the web service, the Slack app in Socket Mode and the ingestion worker."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import click
import platformdirs

from service.cli.render import err, out
from service.cli.runtime import Runtime, fail, with_database
from service.config import Settings

# Where `understudy serve` and `understudy demo` listen unless given --host and --port.
DEVELOPMENT_HOST = "127.0.0.1"
DEVELOPMENT_PORT = 8000
DEVELOPMENT_URL = f"http://{DEVELOPMENT_HOST}:{DEVELOPMENT_PORT}"


def development_secret() -> str:
    """A secret kept in the user's data directory, shared by `serve`, `demo` and `users link` on this machine."""
    path = Path(platformdirs.user_data_dir("understudy", appauthor=False)) / "development-secret"
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(secret)
    return secret


def sign_in_base_url(settings: Settings) -> str:
    """Where `understudy users link` points: UNDERSTUDY_PUBLIC_URL, else the development server's default address."""
    return (settings.public_url or DEVELOPMENT_URL).rstrip("/")


def users_link_command(settings: Settings, served_url: str) -> str:
    """The `understudy users link` command that gives sign-in links for a server at served_url."""
    served_url = served_url.rstrip("/")
    return "understudy users link EMAIL" + ("" if served_url == sign_in_base_url(settings) else f" --url {served_url}")


def web_settings(rt: Runtime) -> dict[str, Any]:
    """Settings for the web process; this machine's development secret when none is configured."""
    values = dict(rt.settings)
    if not values.get("SECRET_KEY"):
        err.print("[yellow]UNDERSTUDY_SECRET_KEY is not set: using this machine's development secret "
                  "(set it in production).[/]")
        values["SECRET_KEY"] = development_secret()
    return values


def local_web_settings(rt: Runtime, host: str) -> dict[str, Any]:
    """Web settings for a plain-HTTP server on this machine: cookies cannot be Secure there."""
    values = web_settings(rt)
    if host in ("127.0.0.1", "localhost", "::1"):
        values["SECURE_COOKIES"] = False
    return values


@click.command()
@click.option("--host", default=DEVELOPMENT_HOST, show_default=True)
@click.option("--port", default=DEVELOPMENT_PORT, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Reload on code changes and show tracebacks.")
@with_database
def serve(rt: Runtime, host: str, port: int, debug: bool) -> None:
    """Run the web service for development (production: gunicorn -c infra/gunicorn.conf.py)."""
    from service.app import create_app

    app = create_app(local_web_settings(rt, host))
    try:  # the line below may be read, and Ctrl-C sent, before print() has returned
        out.print(f"Understudy is serving on http://{host}:{port}/ (Ctrl-C to stop)")
        if sign_in_base_url(rt.settings) != f"http://{host}:{port}":
            out.print(f"Sign-in links for this server: `{users_link_command(rt.settings, f'http://{host}:{port}')}`")
        app.run(host=host, port=port, debug=debug, threaded=True, use_reloader=debug)
    except KeyboardInterrupt:  # Ctrl-C is how the development server is stopped, even while it starts
        out.print("Stopped.")


@click.command()
@with_database
def slack(rt: Runtime) -> None:
    """Run the Slack app in Socket Mode (for workspaces without inbound access)."""
    from slack_app.socket import run_socket_mode

    out.print("Connecting to Slack in Socket Mode (Ctrl-C to stop)…")
    try:
        run_socket_mode(rt.settings)
    except ValueError as exc:
        fail(str(exc))


@click.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--name", "worker_name", help="Worker name (default: host and process id).")
@with_database
def worker(rt: Runtime, burst: bool, worker_name: str | None) -> None:
    """Work the background ingestion queue (needs UNDERSTUDY_REDIS_URL)."""
    from service.ops.jobs import run_worker

    try:
        run_worker(rt.settings, burst=burst, worker_name=worker_name)
    except ValueError as exc:
        fail(str(exc))
