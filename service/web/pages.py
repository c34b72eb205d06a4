"""Page views: ask, curate and admin. Thin: they call the store, search and the twin engine."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.wrappers import Response as WerkzeugResponse

from ingestion.model import KINDS
from service.api.queries import (
    UploadedFile,
    conversation_turns,
    filter_sources,
    ingest_uploads,
    unanswered_groups,
    visible_audit,
)
from service.api.serialize import passage_dict, source_dict, twin_dict, user_dict
from service.corpus import store
from service.corpus.access import ROLES
from service.corpus.models import Source, Twin
from service.errors import BadInput, UnderstudyError
from service.twin.labels import change_speaker_labels, source_label_hints
from service.twin.persona import persona_settings, validate_persona_changes
from service.web.auth import (
    DEV_LOGIN_MAX_AGE_S,
    actor,
    current_user,
    current_viewer,
    dev_login_enabled,
    has_role,
    make_dev_login_link,
    page_role,
    require_audience,
)
from service.web.extension import commit, db, settings

web_bp = Blueprint("web", __name__)

CITATION_RE = re.compile(r"\[(\d{1,3})\]")
AUDIT_LABELS = {"supersedes": "replaces", "superseded_by": "replaced by", "source_id": "source", "by": "given by",
                "from": "from", "to": "to", "sha256": "content digest"}


@web_bp.app_context_processor
def _page_context() -> dict[str, Any]:
    return {"user": current_user(), "may": has_role}


@web_bp.app_template_filter("audit_detail")
def audit_detail(detail: dict[str, Any]) -> list[tuple[str, str]]:
    """An audit event's detail as (label, text) pairs people read: lists joined, empty values as none."""
    pairs: list[tuple[str, str]] = []
    for key, value in (detail or {}).items():
        if key == "nonce":
            continue
        label = AUDIT_LABELS.get(key, key.replace("_", " "))
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif value is None or value == "" or value == [] or value == {}:
            text = "none"
        elif isinstance(value, list | tuple):
            text = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            text = "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items())
        elif key == "sha256":
            text = str(value)[:12] + "…"
        else:
            text = str(value)
        pairs.append((label, text))
    return pairs


@web_bp.app_template_filter("cited")
def cited(text: str, prefix: str = "c") -> Markup:
    """Answer text with each [n] turned into a link to its numbered footnote."""
    parts: list[str] = []
    last = 0
    for match in CITATION_RE.finditer(text or ""):
        parts.append(str(escape(text[last:match.start()])))
        n = match.group(1)
        parts.append(f'<sup class="cite"><a href="#{escape(prefix)}-{n}" aria-label="source {n}">[{n}]</a></sup>')
        last = match.end()
    parts.append(str(escape((text or "")[last:])))
    return Markup("".join(parts))


def _twins() -> list[Twin]:
    return store.list_twins(db())


def _twin_or_404(slug: str) -> Twin:
    try:
        return store.get_twin(db(), slug)
    except UnderstudyError:
        abort(404)


def _list_field(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\n]", value or "") if part.strip()]


def _date_arg(name: str) -> dt.date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        flash(f"{name.replace('_', ' ')} must be a date like 2025-03-01", "error")
        return None


# --- ask -------------------------------------------------------------------------------------------

@web_bp.get("/")
@page_role("employee")
def home() -> WerkzeugResponse:
    """Start on the Ask page."""
    return redirect(url_for("web.ask_page"))


def _ask_context(slug: str | None, conversation_id: str = "") -> dict[str, Any]:
    from service.twin.engine import MAX_QUESTION_CHARS

    twins = _twins()
    available = [t for t in twins if t.has_consent and not t.paused]
    twin = next((t for t in twins if t.slug == slug), None) or (available[0] if available else None)
    disclaimer = persona_settings(twin).disclaimer_text if twin else ""
    user = current_user()
    turns = (conversation_turns(db(), twin, conversation_id, user_id=user.id if user else None)
             if twin and conversation_id else [])
    admins = [u.email for u in store.list_users(db()) if u.role == "admin" and u.active][:3]
    return {"nav": "ask", "twins": [twin_dict(t) for t in twins], "twin": twin_dict(twin) if twin else None,
            "disclaimer": disclaimer, "turns": turns, "conversation_id": conversation_id if turns else "",
            "max_question": MAX_QUESTION_CHARS, "admins": admins, "draft": ""}


@web_bp.get("/ask")
@page_role("employee")
def ask_page() -> str:
    """Ask a twin; the conversation so far (from the server) stays until "New conversation"."""
    return render_template("ask.html", **_ask_context(request.args.get("twin"),
                                                      request.args.get("conversation", "").strip()[:64]))


@web_bp.post("/ask")
@page_role("employee")
def ask_submit() -> Any:
    """Answer a question without JavaScript, then show the whole conversation; a refused question is not kept."""
    from service.twin import engine

    slug = request.form.get("twin", "")
    question = request.form.get("question", "").strip()
    conversation_id = request.form.get("conversation_id", "").strip()[:64]
    if question:
        try:
            answer = engine.answer_question(db(), settings(), slug, question, current_viewer(),
                                            conversation_id=conversation_id or None, channel="web").to_dict()
            commit()
            return redirect(url_for("web.ask_page", twin=slug, conversation=answer.get("conversation_id")))
        except UnderstudyError as exc:
            db().rollback()
            flash(exc.message, "error")
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


# --- curate ----------------------------------------------------------------------------------------

@web_bp.get("/curate")
@page_role("curator")
def curate_home() -> Any:
    """The curation console opens on the first twin's sources."""
    twins = _twins()
    if not twins:
        return render_template("curate_empty.html", nav="curate")
    wanted = request.args.get("twin", "")
    slug = wanted if any(t.slug == wanted for t in twins) else twins[0].slug
    return redirect(url_for("web.sources_page", slug=slug))


def _curate_context(twin: Twin, tab: str) -> dict[str, Any]:
    return {"nav": "curate", "tab": tab, "twin": twin_dict(twin), "twins": [twin_dict(t) for t in _twins()]}


@web_bp.get("/curate/<slug>")
@page_role("curator")
def sources_page(slug: str) -> str:
    """A twin's sources with filters, and the upload forms."""
    twin = _twin_or_404(slug)
    filters = {"status": request.args.get("status", ""), "kind": request.args.get("kind", ""),
               "audience": request.args.get("audience", ""), "q": request.args.get("q", ""),
               "date_from": request.args.get("date_from", ""), "date_to": request.args.get("date_to", "")}
    if filters["status"] not in ("", "draft", "approved", "superseded", "retired"):
        filters["status"] = ""
    sources = filter_sources(db(), twin, status=filters["status"], kind=filters["kind"],
                             audience=filters["audience"], q=filters["q"], date_from=_date_arg("date_from"),
                             date_to=_date_arg("date_to"), viewer=current_viewer())
    counts = store.passage_counts(db(), [s.id for s in sources])
    audiences = sorted({s.audience for s in store.list_sources(db(), twin)} | {settings().default_audience})
    return render_template("sources.html", **_curate_context(twin, "sources"), filters=filters, kinds=KINDS,
                           audiences=audiences, default_audience=settings().default_audience,
                           sources=[source_dict(s, twin.slug, counts.get(s.id, 0)) for s in sources])


@web_bp.post("/curate/<slug>/upload")
@page_role("curator")
def upload_submit(slug: str) -> WerkzeugResponse:
    """Upload files without JavaScript (the page's script uploads one file at a time with progress)."""
    twin = _twin_or_404(slug)
    uploads = [UploadedFile(f.filename or "upload", f.read())
               for field in ("file", "folder") for f in request.files.getlist(field) if f.filename]
    if not uploads:
        flash("Choose one or more files to upload.", "error")
        return redirect(url_for("web.sources_page", slug=slug))
    try:
        results = ingest_uploads(db(), settings(), twin, uploads, kind=request.form.get("kind") or None,
                                 audience=request.form.get("audience") or settings().default_audience,
                                 approve=False, actor=actor())
    except BadInput as exc:
        flash(exc.message, "error")
        return redirect(url_for("web.sources_page", slug=slug))
    for result in results:
        if result["status"] == "error":
            flash(f"{result['path']}: {result['error']}", "error")
        else:
            hint = f" {result['speaker_hint']['message']}" if result.get("speaker_hint") else ""
            flash(f"{result['path']}: {result['status']} ({result['passages']} passages) — review it before "
                  f"approving.{hint}", "info")
    return redirect(url_for("web.sources_page", slug=slug, status="draft"))


def _source_or_404(source_id: int) -> Source:
    try:
        return store.get_source(db(), source_id)
    except UnderstudyError:
        abort(404)


@web_bp.get("/curate/sources/<int:source_id>")
@page_role("curator")
def source_page(source_id: int) -> str:
    """How a source was parsed (passages with speaker, executive flag, locator), its versions and actions."""
    source = _source_or_404(source_id)
    require_audience(source.audience)  # the preview is the source's text: for its audience's holders only
    twin = db().get(Twin, source.twin_id)
    assert twin is not None
    passages = store.source_passages(db(), source.id)
    passage_list = [passage_dict(p) for p in passages]
    versions = [source_dict(v, twin.slug, 0) for v in store.source_versions(db(), source)]
    return render_template("source.html", **_curate_context(twin, "sources"),
                           source=source_dict(source, twin.slug, len(passage_list)), passages=passage_list,
                           versions=versions, speakers=sorted({p["speaker"] for p in passage_list if p["speaker"]}),
                           speaker_hint=source_label_hints(db(), twin, [source.id]).get(source.id))


@web_bp.post("/curate/sources/<int:source_id>/speaker-label")
@page_role("curator")
def add_speaker_label(source_id: int) -> WerkzeugResponse:
    """Make a transcript label the executive's and re-attribute every stored source of the twin."""
    source = _source_or_404(source_id)
    twin = db().get(Twin, source.twin_id)
    assert twin is not None
    label = request.form.get("label", "").strip()
    try:
        done = change_speaker_labels(db(), twin, add=[label], actor=actor()).reattributed
        commit()
        flash(f"{label} now marks {twin.name}'s turns: {done.to_executive} passages in {done.sources} "
              f"source{'' if done.sources == 1 else 's'} are their words now.", "info")
    except UnderstudyError as exc:
        db().rollback()
        flash(exc.message, "error")
    return redirect(url_for("web.source_page", source_id=source_id))


@web_bp.post("/curate/sources/<int:source_id>/<any(approve, retire, restore, audience):action>")
@page_role("curator")
def source_action(source_id: int, action: str) -> WerkzeugResponse:
    """Approve, retire, restore or set the audience of a source."""
    source = _source_or_404(source_id)
    # Acting on a source needs its audience; changing who reads it needs the new audience too.
    require_audience(source.audience, *([request.form.get("audience", "").strip()] if action == "audience" else []))
    try:
        if action == "approve":
            store.approve_source(db(), source_id, actor=actor())
            message = "Approved: answers may cite this source from now on."
        elif action == "retire":
            store.retire_source(db(), source_id, actor=actor(), reason=request.form.get("reason", ""))
            message = "Retired: no answer cites this source any more. Restore it here if that was a mistake."
        elif action == "restore":
            restored = store.reinstate_source(db(), source_id, actor=actor(), reason=request.form.get("reason", ""))
            message = ("Restored: answers may cite this source again." if restored.status == "approved"
                       else "Restored as a draft: approve it when it is ready.")
        else:
            audience = request.form.get("audience", "")
            store.set_source_audience(db(), source_id, audience, actor=actor())
            message = f"Audience set to {audience.strip()}."
        commit()
        flash(message, "info")
    except UnderstudyError as exc:
        db().rollback()
        flash(exc.message, "error")
    return redirect(url_for("web.source_page", source_id=source_id))


PERSONA_TEXT_FIELDS = ("no_answer_message", "refusal_message", "disclaimer")


@web_bp.route("/curate/<slug>/persona", methods=["GET", "POST"])
@page_role("curator")
def persona_page(slug: str) -> Any:
    """Edit the no-answer message, the topics the twin must not speak to, and the disclaimer."""
    twin = _twin_or_404(slug)
    persona = persona_settings(twin)
    values = {k: str(getattr(persona, k)) for k in PERSONA_TEXT_FIELDS}
    values["refused_topics"] = "\n".join(_topic_line(t.to_dict()) for t in persona.refused_topics)
    values["signature_phrases"] = "\n".join(persona.signature_phrases)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in (*PERSONA_TEXT_FIELDS, "refused_topics", "signature_phrases")}
        changes: dict[str, Any] = {k: values[k] for k in PERSONA_TEXT_FIELDS}
        changes["refused_topics"] = _topics_from_form(twin, values["refused_topics"])
        changes["signature_phrases"] = [line.strip() for line in values["signature_phrases"].splitlines()
                                        if line.strip()]
        for key, value in changes.items():
            try:
                validate_persona_changes({key: value})
            except BadInput as exc:
                errors[key] = exc.message
        if not errors:
            store.update_persona(db(), slug, validate_persona_changes(changes), actor=actor())
            commit()
            flash("Persona saved.", "info")
            return redirect(url_for("web.persona_page", slug=slug))
    return render_template("persona.html", **_curate_context(twin, "persona"), values=values, errors=errors,
                           phrases_in_force=persona.phrases(limit=50), curated_phrases=persona.signature_phrases), 400 if errors else 200


def _topic_line(topic: dict[str, Any]) -> str:
    keywords = topic.get("keywords") or []
    name = topic["name"]
    return f"{name}: {', '.join(keywords)}" if keywords else name


def _topics_from_form(twin: Twin, text: str) -> list[Any]:
    """One topic a line: `name: keyword, keyword`; a built-in topic's bare name keeps its patterns."""
    existing = {t.name: t.to_dict() for t in persona_settings(twin).refused_topics}
    existing.update({t.label: t.to_dict() for t in persona_settings(twin).refused_topics})
    topics: list[Any] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        name, _, keywords = line.partition(":")
        name = name.strip()
        if not keywords.strip() and name in existing:
            topics.append(existing[name])
        elif keywords.strip():
            base = existing.get(name, {"name": name})
            topics.append({**base, "name": base.get("name", name), "keywords": _list_field(keywords)})
        else:
            topics.append({"name": name, "keywords": [name]})
    return topics


@web_bp.get("/curate/<slug>/search")
@page_role("curator")
def search_page(slug: str) -> str:
    """Search the approved passages, as you would see them in answers."""
    twin = _twin_or_404(slug)
    query = request.args.get("q", "").strip()[:500]
    hits: list[dict[str, Any]] = []
    if query:
        from service.search import search_as_configured

        hits = [h.to_dict() for h in search_as_configured(db(), settings(), twin, query, current_viewer(), k=20)]
    return render_template("search.html", **_curate_context(twin, "search"), query=query, hits=hits)


@web_bp.get("/curate/<slug>/unanswered")
@page_role("curator")
def unanswered_page(slug: str) -> str:
    """Unanswered questions and negative feedback by question, newest first, with what was done about each."""
    twin = _twin_or_404(slug)
    viewer = current_viewer()
    groups = unanswered_groups(db(), twin, viewer=viewer)
    sources = [s for s in store.list_sources(db(), twin, status="approved") if viewer.sees(s.audience)]
    titles = {s.id: s.title for s in store.list_sources(db(), twin) if viewer.sees(s.audience)}
    return render_template("unanswered.html", **_curate_context(twin, "unanswered"),
                           open_items=[g for g in groups if not g["review"]],
                           done_items=[g for g in groups if g["review"]], sources=sources, titles=titles)


@web_bp.post("/curate/<slug>/unanswered")
@page_role("curator")
def unanswered_review(slug: str) -> WerkzeugResponse:
    """Mark a question handled, link the source that answers it, or note why it will not be answered."""
    twin = _twin_or_404(slug)
    form = request.form
    source = form.get("source_id", type=int)
    try:
        store.review_question(db(), twin, form.get("question", ""), status=form.get("action", ""),
                              source_id=source, note=form.get("note", ""), actor=actor())
        commit()
        flash({"handled": "Marked handled.", "answered": "Linked: the source answers it now.",
               "declined": "Noted why it will not be answered."}.get(form.get("action", ""), "Saved."), "info")
    except UnderstudyError as exc:
        db().rollback()
        flash(exc.message, "error")
    return redirect(url_for("web.unanswered_page", slug=slug))


@web_bp.get("/curate/<slug>/audit")
@page_role("curator")
def audit_page(slug: str) -> str:
    """The audit log of this twin (or of everything), newest first."""
    twin = _twin_or_404(slug)
    scope = request.args.get("scope", "twin")
    before = request.args.get("before", type=int)
    events = store.list_audit(db(), twin_slug=None if scope == "all" else slug, limit=100, before_id=before)
    return render_template("audit.html", **_curate_context(twin, "audit"),
                           events=visible_audit(db(), events, current_viewer()), scope=scope)


# --- admin -----------------------------------------------------------------------------------------

def _admin_page(new_token: dict[str, str] | None = None, status: int = 200,
                new_link: dict[str, Any] | None = None) -> tuple[str, int]:
    twins = []
    for twin in _twins():
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
                                     audiences=_list_field(form.get("audiences", "")), name=form.get("name", ""),
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
    from flask import current_app

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
    try:
        store.update_user(db(), email, role=form.get("role") or None, audiences=_list_field(form.get("audiences", "")),
                          active=form.get("active") == "yes", actor=actor())
        commit()
        flash(f"Saved {email}.", "info")
    except UnderstudyError as exc:
        db().rollback()
        flash(exc.message, "error")
    return redirect(url_for("web.admin_page"))


@web_bp.post("/admin/twins")
@page_role("admin")
def admin_create_twin() -> WerkzeugResponse:
    """Create a twin; it answers only after consent is recorded."""
    form = request.form
    try:
        store.create_twin(db(), form.get("slug", "").strip(), form.get("name", ""), title=form.get("title", ""),
                          actor=actor())
        commit()
        flash("Twin created. Record the executive's consent before it can answer.", "info")
    except UnderstudyError as exc:
        db().rollback()
        flash(exc.message, "error")
    return redirect(url_for("web.admin_page"))


@web_bp.post("/admin/twins/<slug>/<any(consent, revoke, pause, resume):action>")
@page_role("admin")
def admin_twin_action(slug: str, action: str) -> WerkzeugResponse:
    """Record or withdraw consent; pause or resume a twin."""
    try:
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
    except UnderstudyError as exc:
        db().rollback()
        flash(exc.message, "error")
    return redirect(url_for("web.admin_page"))


import service.web.corrections  # noqa: E402,F401  (registers the Corrections pages on web_bp)
import service.web.gaps  # noqa: E402,F401  (registers the Messaging gaps page on web_bp)
import service.web.positions  # noqa: E402,F401  (registers the dated-positions forms on web_bp)
from service.web import rehearse  # noqa: E402,F401  (registers the Rehearse pages on web_bp)
