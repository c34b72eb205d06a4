"""`understudy users …`: add users, list them, change roles and audiences, API tokens and sign-in links."""

from __future__ import annotations

from typing import Any

import click

from service.cli.render import emit_json, out, table
from service.cli.runtime import Runtime, actor_name, fail, with_database
from service.cli.server import DEVELOPMENT_URL, development_secret, sign_in_base_url
from service.corpus.access import ROLES


@click.group()
def users() -> None:
    """Add users and manage their roles, audiences and API tokens."""


@users.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="employee", show_default=True)
@click.option("--audience", "audiences", multiple=True, help="Audience the user may see (repeatable).")
@click.option("--name", default="")
@click.option("--json", "as_json", is_flag=True)
@with_database
def users_add(rt: Runtime, email: str, role: str, audiences: tuple[str, ...], name: str, as_json: bool) -> None:
    """Add a user and print their API token (shown only once)."""
    from service.corpus import store

    with rt.session() as s:
        user, token = store.add_user(s, email, role=role, audiences=list(audiences), name=name, actor=actor_name())
        data = {"email": user.email, "role": user.role, "audiences": user.audiences, "token": token}
    if as_json:
        emit_json(data)
        return
    out.print(f"Added {data['email']} as {role}" + (f" (audiences: {', '.join(data['audiences'])})"
                                                    if data["audiences"] else "") + ".")
    out.print("API token (shown once; store it safely):")
    click.echo(token)


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_database
def users_list(rt: Runtime, as_json: bool) -> None:
    """List users."""
    from service.corpus import store

    with rt.session() as s:
        rows: list[dict[str, Any]] = [{"email": u.email, "role": u.role, "audiences": u.audiences,
                                       "active": u.active} for u in store.list_users(s)]
    if as_json:
        emit_json(rows)
        return
    table("email", "role", "audiences", "active",
          rows=([r["email"], r["role"], ", ".join(r["audiences"]), "yes" if r["active"] else "no"] for r in rows))


@users.command("set")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES))
@click.option("--audience", "audiences", multiple=True, help="Replace the user's audiences (repeatable).")
@click.option("--active/--inactive", default=None)
@with_database
def users_set(rt: Runtime, email: str, role: str | None, audiences: tuple[str, ...], active: bool | None) -> None:
    """Change a user's role, audiences or whether they may sign in."""
    from service.corpus import store

    with rt.session() as s:
        u = store.update_user(s, email, role=role, audiences=list(audiences) if audiences else None, active=active,
                              actor=actor_name())
        out.print(f"{u.email}: {u.role}, audiences {', '.join(u.audiences) or '-'}, "
                  f"{'active' if u.active else 'inactive'}.")


@users.command("token")
@click.argument("email")
@with_database
def users_token(rt: Runtime, email: str) -> None:
    """Issue a new API token for a user (the old one stops working)."""
    from service.corpus import store

    with rt.session() as s:
        token = store.rotate_token(s, email, actor=actor_name())
    click.echo(token)


@users.command("link", short_help="Print a one-time sign-in link for the web UI.",
               help=f"Print a fresh one-time sign-in link for the web UI (when single sign-on is not configured). The "
                    f"link points at UNDERSTUDY_PUBLIC_URL, else {DEVELOPMENT_URL} (where `understudy serve` and "
                    "`understudy demo` listen without --port); --url points it elsewhere.")
@click.argument("email")
@click.option("--url", "base_url", help=f"Where the web UI is served (default: UNDERSTUDY_PUBLIC_URL, else {DEVELOPMENT_URL}).")
@click.option("--json", "as_json", is_flag=True)
@with_database
def users_link(rt: Runtime, email: str, base_url: str | None, as_json: bool) -> None:
    """Print a fresh one-time sign-in link for the web UI (the command's help says where it points)."""
    from service.corpus import store
    from service.web.auth import DEV_LOGIN_MAX_AGE_S, dev_login_enabled, make_dev_login_link

    if not dev_login_enabled(rt.settings):
        fail("sign-in links are off here (single sign-on is configured, or UNDERSTUDY_DEV_LOGIN is false)")
    with rt.session() as s:
        user = store.get_user(s, email)
        if not user.active:
            fail(f"{user.email} may not sign in (inactive): `understudy users set {user.email} --active` first")
        secret = rt.settings.secret_key or development_secret()
        guessed = not (base_url or rt.settings.public_url)
        base_url = base_url or sign_in_base_url(rt.settings)
        link = base_url.rstrip("/") + make_dev_login_link(rt.settings.replace(secret_key=secret), user.email)
    if as_json:
        emit_json({"email": user.email, "url": link, "expires_in_s": DEV_LOGIN_MAX_AGE_S, "single_use": True})
        return
    out.print(f"Sign-in link for {user.email} to the web UI at {base_url.rstrip('/')}"
              + (" (served elsewhere? give --url or set UNDERSTUDY_PUBLIC_URL)" if guessed else "")
              + f": it works once, within {DEV_LOGIN_MAX_AGE_S // 60} minutes, on the server that shares this "
              f"{'UNDERSTUDY_SECRET_KEY' if rt.settings.secret_key else 'development secret'}:")
    click.echo(link)
