"""Page views: ask, curate and admin. Thin: they call the store, search and the twin engine."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from ingestion.model import KINDS
from service.api.queries import UploadedFile, filter_sources, ingest_uploads, unanswered
from service.api.serialize import audit_dict, passage_dict, source_dict, twin_dict, unanswered_dict, user_dict
from service.corpus import store
from service.corpus.access import ROLES
from service.corpus.models import Passage, Source, Twin
from service.errors import BadInput, UnderstudyError
from service.twin.persona import persona_settings, validate_persona_changes
from service.web.auth import actor, current_user, current_viewer, has_role, page_role
from service.web.extension import commit, db, settings

web_bp = Blueprint("web", __name__)

CITATION_RE = re.compile(r"\[(\d{1,3})\]")


@web_bp.app_context_processor
def _page_context() -> dict[str, Any]:
    return {"user": current_user(), "may": has_role}


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


def _ask_context(slug: str | None) -> dict[str, Any]:
    twins = _twins()
    available = [t for t in twins if t.has_consent and not t.paused]
    twin = next((t for t in twins if t.slug == slug), None) or (available[0] if available else None)
    disclaimer = persona_settings(twin).disclaimer_text if twin else ""
    return {"nav": "ask", "twins": [twin_dict(t) for t in twins], "twin": twin_dict(twin) if twin else None,
            "disclaimer": disclaimer}


@web_bp.get("/ask")
@page_role("employee")
def ask_page() -> str:
    """Ask a twin; the answer streams in (JavaScript) or arrives with the page (without)."""
    return render_template("ask.html", **_ask_context(request.args.get("twin")), turns=[],
                           conversation_id=request.args.get("conversation", "")[:64])


@web_bp.post("/ask")
@page_role("employee")
def ask_submit() -> str:
    """Answer a question without JavaScript: the same answer, rendered with the page."""
    from service.twin import engine

    slug = request.form.get("twin", "")
    question = request.form.get("question", "").strip()
    conversation_id = request.form.get("conversation_id", "").strip()[:64] or None
    context = _ask_context(slug)
    turns: list[dict[str, Any]] = []
    if not question:
        flash("Type a question first.", "error")
    else:
        try:
            answer = engine.answer_question(db(), settings(), slug, question[:4000], current_viewer(),
                                            conversation_id=conversation_id, channel="web")
            commit()
            turns.append({"question": question, **answer.to_dict()})
            conversation_id = answer.to_dict().get("conversation_id")
        except UnderstudyError as exc:
            db().rollback()
            flash(exc.message, "error")
    return render_template("ask.html", **context, turns=turns, conversation_id=conversation_id or "")


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
    return redirect(url_for("web.ask_page", twin=request.form.get("twin", "")))


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
    if filters["status"] not in ("", "draft", "approved", "retired"):
        filters["status"] = ""
    sources = filter_sources(db(), twin, status=filters["status"], kind=filters["kind"],
                             audience=filters["audience"], q=filters["q"], date_from=_date_arg("date_from"),
                             date_to=_date_arg("date_to"))
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
            flash(f"{result['path']}: {result['status']} ({result['passages']} passages) — review it before "
                  "approving.", "info")
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
    twin = db().get(Twin, source.twin_id)
    assert twin is not None
    passages = db().scalars(select(Passage).where(Passage.source_id == source.id).order_by(Passage.ordinal))
    passage_list = [passage_dict(p) for p in passages]
    versions = [source_dict(v, twin.slug, 0) for v in store.source_versions(db(), source)]
    return render_template("source.html", **_curate_context(twin, "sources"),
                           source=source_dict(source, twin.slug, len(passage_list)), passages=passage_list,
                           versions=versions, speakers=sorted({p["speaker"] for p in passage_list if p["speaker"]}))


@web_bp.post("/curate/sources/<int:source_id>/<any(approve, retire, audience):action>")
@page_role("curator")
def source_action(source_id: int, action: str) -> WerkzeugResponse:
    """Approve, retire or set the audience of a source."""
    _source_or_404(source_id)
    try:
        if action == "approve":
            store.approve_source(db(), source_id, actor=actor())
            message = "Approved: answers may cite this source from now on."
        elif action == "retire":
            store.retire_source(db(), source_id, actor=actor(), reason=request.form.get("reason", ""))
            message = "Retired: no answer cites this source any more."
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
def persona_page(slug: str) -> str:
    """Edit the no-answer message, the topics the twin must not speak to, and the disclaimer."""
    twin = _twin_or_404(slug)
    errors: list[str] = []
    if request.method == "POST":
        changes: dict[str, Any] = {k: request.form.get(k, "") for k in PERSONA_TEXT_FIELDS}
        changes["refused_topics"] = _topics_from_form(twin, request.form.get("refused_topics", ""))
        changes["signature_phrases"] = [line.strip() for line in request.form.get("signature_phrases", "").splitlines()
                                        if line.strip()]
        try:
            store.update_persona(db(), slug, validate_persona_changes(changes), actor=actor())
            commit()
            flash("Persona saved.", "info")
        except BadInput as exc:
            db().rollback()
            errors.append(exc.message)
    persona = persona_settings(twin)
    topics = "\n".join(_topic_line(t.to_dict()) for t in persona.refused_topics)
    return render_template("persona.html", **_curate_context(twin, "persona"), persona=persona.to_dict(),
                           topics_text=topics, errors=errors)


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
    """Unanswered questions and negative feedback, newest first: what the corpus is missing."""
    twin = _twin_or_404(slug)
    items = [unanswered_dict(row, email) for row, email in unanswered(db(), twin, limit=200)]
    return render_template("unanswered.html", **_curate_context(twin, "unanswered"), items=items)


@web_bp.get("/curate/<slug>/audit")
@page_role("curator")
def audit_page(slug: str) -> str:
    """The audit log of this twin (or of everything), newest first."""
    twin = _twin_or_404(slug)
    scope = request.args.get("scope", "twin")
    before = request.args.get("before", type=int)
    events = store.list_audit(db(), twin_slug=None if scope == "all" else slug, limit=100, before_id=before)
    return render_template("audit.html", **_curate_context(twin, "audit"),
                           events=[audit_dict(e) for e in events], scope=scope)


# --- admin -----------------------------------------------------------------------------------------

def _admin_page(new_token: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("admin.html", nav="admin", users=[user_dict(u) for u in store.list_users(db())],
                           twins=[twin_dict(t) for t in _twins()], roles=ROLES, new_token=new_token), status


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


from service.web import rehearse  # noqa: E402,F401  (registers the Rehearse pages on web_bp)
