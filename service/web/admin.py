"""The admin page: users, roles and audiences, one-time sign-in links; twins and the executive's consent."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from service.corpus import store
from service.corpus.access import ROLES
from service.errors import UnderstudyError
from service.http.auth import actor, page_role
from service.http.extension import commit, db, settings
from service.http.serialize import twin_dict, user_dict
from service.web.auth import DEV_LOGIN_MAX_AGE_S, dev_login_enabled, make_dev_login_link
from service.web.blueprint import all_twins, flash_failure, list_field, web_bp


def _admin_page(new_token: dict[str, str] | None = None, status: int = 200,
                new_link: dict[str, Any] | None = None) -> tuple[str, int]:
    twins = []
    for twin in all_twins():
        last = store.last_consent(db(), twin.slug) or {}
        twins.append({**twin_dict(twin), "last_by": last.get("by") or twin.name, "last_scope": last.get("scope", "")})
    return render_template("admin.html", nav="admin", users=[user_dict(u) for u in store.list_users(db())],
                           twins=twins, roles=ROLES, new_token=new_token, new_link=new_link,
                           links=dev_login_enabled(settings())), status


@web_bp.get("/admin")
@page_role("admin")
def admin_page() -> tuple[str, int]:
    """Users, roles and audiences; twins and the executive's consent."""
    return _admin_page()


@web_bp.post("/admin/users")
@page_role("admin")
def admin_add_user() -> Any:
    """Add a user; their API token is shown on this page only."""
    form = request.form
    try:
        user, token = store.add_user(db(), form.get("email", ""), role=form.get("role", "employee"),
                                     audiences=list_field(form.get("audiences", "")), name=form.get("name", ""),
                                     actor=actor())
        commit()
    except UnderstudyError as exc:
        db().rollback()
        flash(exc.message, "error")
        return _admin_page(status=exc.status)
    flash(f"Added {user.email}.", "info")
    return _admin_page(new_token={"email": user.email, "token": token})


@web_bp.post("/admin/users/<email>/link")
@page_role("admin")
def admin_user_link(email: str) -> Any:
    """Make a one-time sign-in link for a user (when single sign-on is not configured)."""
    if not dev_login_enabled(settings()):
        abort(404)
    try:
        user = store.get_user(db(), email)
    except UnderstudyError as exc:
        flash(exc.message, "error")
        return redirect(url_for("web.admin_page"))
    if not user.active:
        flash(f"{user.email} is inactive: make them active first.", "error")
        return redirect(url_for("web.admin_page"))
    link = request.host_url.rstrip("/") + make_dev_login_link(current_app, user.email)
    return _admin_page(new_link={"email": user.email, "url": link, "minutes": DEV_LOGIN_MAX_AGE_S // 60})


@web_bp.post("/admin/users/<email>")
@page_role("admin")
def admin_update_user(email: str) -> WerkzeugResponse:
    """Change a user's role, audiences or whether they may sign in."""
    form = request.form
    with flash_failure():
        store.update_user(db(), email, role=form.get("role") or None, audiences=list_field(form.get("audiences", "")),
                          active=form.get("active") == "yes", actor=actor())
        commit()
        flash(f"Saved {email}.", "info")
    return redirect(url_for("web.admin_page"))


@web_bp.post("/admin/twins")
@page_role("admin")
def admin_create_twin() -> WerkzeugResponse:
    """Create a twin; it answers only after consent is recorded."""
    form = request.form
    with flash_failure():
        store.create_twin(db(), form.get("slug", "").strip(), form.get("name", ""), title=form.get("title", ""),
                          actor=actor())
        commit()
        flash("Twin created. Record the executive's consent before it can answer.", "info")
    return redirect(url_for("web.admin_page"))


@web_bp.post("/admin/twins/<slug>/<any(consent, revoke, pause, resume):action>")
@page_role("admin")
def admin_twin_action(slug: str, action: str) -> WerkzeugResponse:
    """Record or withdraw consent; pause or resume a twin."""
    with flash_failure():
        if action == "consent":
            store.record_consent(db(), slug, by=request.form.get("by", ""), scope=request.form.get("scope", ""),
                                 actor=actor())
        elif action == "revoke":
            store.revoke_consent(db(), slug, actor=actor())
        else:
            store.set_twin_paused(db(), slug, action == "pause", actor=actor())
        commit()
        flash({"consent": "Consent recorded.", "revoke": "Consent withdrawn: the twin no longer answers.",
               "pause": "Paused.", "resume": "Resumed."}[action], "info")
    return redirect(url_for("web.admin_page"))
