"""The Ask page: ask a twin, read the conversation so far, say whether an answer helped (no script needed)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from service.corpus import store
from service.http.auth import current_user, current_viewer, page_role
from service.http.extension import commit, db, settings
from service.http.limits import asking
from service.http.queries import conversation_turns
from service.http.serialize import twin_dict
from service.twin import engine
from service.twin.persona import persona_settings
from service.web.blueprint import all_twins, choose_twin, flash_failure, web_bp


@web_bp.get("/")
@page_role("employee")
def home() -> WerkzeugResponse:
    """Start on the Ask page (on the twin asked for, if any)."""
    slug = request.args.get("twin", "").strip()
    return redirect(url_for("web.ask_page", twin=slug or None))


def _ask_context(slug: str | None, conversation_id: str = "") -> dict[str, Any]:
    twins = all_twins()
    twin, has_sources = choose_twin(twins, slug)
    disclaimer = persona_settings(twin).disclaimer_text if twin else ""
    user = current_user()
    turns = (conversation_turns(db(), twin, conversation_id, user_id=user.id if user else None)
             if twin and conversation_id else [])
    admins = [u.email for u in store.list_users(db()) if u.role == "admin" and u.active][:3]
    return {"nav": "ask", "twins": [twin_dict(t) for t in twins], "twin": twin_dict(twin) if twin else None,
            "disclaimer": disclaimer, "turns": turns, "conversation_id": conversation_id if turns else "",
            "max_question": engine.MAX_QUESTION_CHARS, "admins": admins, "draft": "",
            "has_sources": has_sources}


@web_bp.get("/ask")
@page_role("employee")
def ask_page() -> str:
    """Ask a twin; the conversation so far (from the server) stays until "New conversation"."""
    return render_template("ask.html", **_ask_context(request.args.get("twin"),
                                                      request.args.get("conversation", "").strip()[:64]))


@web_bp.post("/ask")
@asking
@page_role("employee")
def ask_submit() -> Any:
    """Answer a question without JavaScript, then show the whole conversation; a refused question is not kept."""
    slug = request.form.get("twin", "")
    question = request.form.get("question", "").strip()
    conversation_id = request.form.get("conversation_id", "").strip()[:64]
    if question:
        with flash_failure():
            answer = engine.answer_question(db(), settings(), slug, question, current_viewer(),
                                            conversation_id=conversation_id or None, channel="web").to_dict()
            commit()
            return redirect(url_for("web.ask_page", twin=slug, conversation=answer.get("conversation_id")))
    else:
        flash("Type a question first.", "error")
    context = _ask_context(slug, conversation_id)
    context["draft"] = question
    return render_template("ask.html", **context), 400


@web_bp.post("/feedback/<int:interaction_id>")
@page_role("employee")
def feedback_submit(interaction_id: int) -> WerkzeugResponse:
    """Helpful / not helpful without JavaScript."""
    user = current_user()
    helpful = request.form.get("helpful") == "yes"
    store.record_feedback(db(), interaction_id, user_id=user.id if user else None, helpful=helpful,
                          reason=request.form.get("reason", ""))
    commit()
    flash("Thank you: your feedback goes to the communications team.", "info")
    return redirect(url_for("web.ask_page", twin=request.form.get("twin", ""),
                            conversation=request.form.get("conversation_id", "")[:64] or None))
