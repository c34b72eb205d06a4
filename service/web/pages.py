"""The curation console: a twin's sources (upload, parsed preview, approve, retire, audience), persona, search,
unanswered questions and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ingestion.model import KINDS
from service.corpus import store
from service.corpus.models import Twin
from service.errors import BadInput
from service.http.auth import actor, current_viewer, page_role, require_audience
from service.http.extension import commit, db, settings
from service.http.queries import filter_sources, unanswered_groups, visible_audit
from service.http.serialize import passage_dict, source_dict
from service.ingest import IngestOptions, Upload, ingest
from service.search import search_as_configured
from service.twin.labels import change_speaker_labels, source_label_hints
from service.twin.persona import persona_settings, validate_persona_changes
from service.web.blueprint import (
    all_twins,
    curate_context,
    flash_failure,
    list_field,
    source_or_404,
    twin_or_404,
    web_bp,
)
from textkit.saying import counted


def _date_arg(name: str) -> dt.date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        flash(f"{name.replace('_', ' ')} must be a date like 2025-03-01", "error")
        return None



@web_bp.get("/curate")
@page_role("curator")
def curate_home() -> Any:
    """The curation console opens on the first twin's sources."""
    twins = all_twins()
    if not twins:
        return render_template("curate_empty.html", nav="curate")
    wanted = request.args.get("twin", "")
    slug = wanted if any(t.slug == wanted for t in twins) else twins[0].slug
    return redirect(url_for("web.sources_page", slug=slug))



@web_bp.get("/curate/<slug>")
@page_role("curator")
def sources_page(slug: str) -> str:
    """A twin's sources with filters, and the upload forms."""
    twin = twin_or_404(slug)
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
    return render_template("sources.html", **curate_context(twin, "sources"), filters=filters, kinds=KINDS,
                           audiences=audiences, default_audience=settings().default_audience,
                           sources=[source_dict(s, twin.slug, counts.get(s.id, 0)) for s in sources])


@web_bp.post("/curate/<slug>/upload")
@page_role("curator")
def upload_submit(slug: str) -> WerkzeugResponse:
    """Upload files without JavaScript (the page's script uploads one file at a time with progress)."""
    twin = twin_or_404(slug)
    uploads = [Upload(f.filename or "upload", f.read())
               for field in ("file", "folder") for f in request.files.getlist(field) if f.filename]
    if not uploads:
        flash("Choose one or more files to upload.", "error")
        return redirect(url_for("web.sources_page", slug=slug))
    try:
        outcomes = ingest(db(), settings(), twin, uploads,
                          IngestOptions(audience=request.form.get("audience") or settings().default_audience,
                                        actor=actor(), kind=request.form.get("kind") or None))
    except BadInput as exc:
        flash(exc.message, "error")
        return redirect(url_for("web.sources_page", slug=slug))
    for outcome in outcomes:
        if outcome.failed:
            flash(f"{outcome.path}: {outcome.error}", "error")
        else:
            hint = f" {outcome.speaker_hint['message']}" if outcome.speaker_hint else ""
            flash(f"{outcome.path}: {outcome.status} ({outcome.passages} passages) — review it before "
                  f"approving.{hint}", "info")
    return redirect(url_for("web.sources_page", slug=slug, status="draft"))



@web_bp.get("/curate/sources/<int:source_id>")
@page_role("curator")
def source_page(source_id: int) -> str:
    """How a source was parsed (passages with speaker, executive flag, locator), its versions and actions."""
    source = source_or_404(source_id)
    require_audience(source.audience)  # the preview is the source's text: for its audience's holders only
    twin = db().get(Twin, source.twin_id)
    assert twin is not None
    passages = store.source_passages(db(), source.id)
    passage_list = [passage_dict(p) for p in passages]
    versions = [source_dict(v, twin.slug, 0) for v in store.source_versions(db(), source)]
    return render_template("source.html", **curate_context(twin, "sources"),
                           source=source_dict(source, twin.slug, len(passage_list)), passages=passage_list,
                           versions=versions, speakers=sorted({p["speaker"] for p in passage_list if p["speaker"]}),
                           executive_speakers=sorted({p["speaker"] for p in passage_list
                                                      if p["speaker"] and p["executive"]}),
                           speaker_hint=source_label_hints(db(), twin, [source.id]).get(source.id),
                           byline=(source.meta or {}).get("byline"))


def _twin_and_label(source_id: int) -> tuple[Twin, str]:
    """The twin of a source a curator is reading, and the speaker label the form names."""
    source = source_or_404(source_id)
    twin = db().get(Twin, source.twin_id)
    assert twin is not None
    return twin, request.form.get("label", "").strip()


@web_bp.post("/curate/sources/<int:source_id>/speaker-label")
@page_role("curator")
def add_speaker_label(source_id: int) -> WerkzeugResponse:
    """Make a transcript label the executive's and re-attribute every stored source of the twin."""
    twin, label = _twin_and_label(source_id)
    with flash_failure():
        done = change_speaker_labels(db(), twin, add=[label], actor=actor()).reattributed
        commit()
        flash(f"{label} now marks {twin.name}'s turns: {done.to_executive} passages in "
              f"{counted(done.sources, 'source')} are their words now.", "info")
    return redirect(url_for("web.source_page", source_id=source_id))


@web_bp.post("/curate/sources/<int:source_id>/speaker-label/remove")
@page_role("curator")
def remove_speaker_label(source_id: int) -> WerkzeugResponse:
    """Undo a label that is not the executive's: remove it from the twin and re-attribute every stored source."""
    twin, label = _twin_and_label(source_id)
    with flash_failure():
        done = change_speaker_labels(db(), twin, remove=[label], actor=actor()).reattributed
        commit()
        if done.from_executive:
            flash(f"{label} no longer marks {twin.name}'s turns: {done.from_executive} passages in "
                  f"{counted(done.sources, 'source')} are not their words now.", "info")
        else:
            flash(f"{label} still marks {twin.name}'s turns here: it was given with the file when it was ingested "
                  "(understudy ingest --speaker).", "info")
    return redirect(url_for("web.source_page", source_id=source_id))


@web_bp.post("/curate/sources/<int:source_id>/<any(approve, retire, restore, audience):action>")
@page_role("curator")
def source_action(source_id: int, action: str) -> WerkzeugResponse:
    """Approve, retire, restore or set the audience of a source."""
    source = source_or_404(source_id)
    # Acting on a source needs its audience; changing who reads it needs the new audience too.
    require_audience(source.audience, *([request.form.get("audience", "").strip()] if action == "audience" else []))
    with flash_failure():
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
    return redirect(url_for("web.source_page", source_id=source_id))


PERSONA_TEXT_FIELDS = ("no_answer_message", "refusal_message", "disclaimer")


@web_bp.route("/curate/<slug>/persona", methods=["GET", "POST"])
@page_role("curator")
def persona_page(slug: str) -> Any:
    """Edit the no-answer message, the topics the twin must not speak to, and the disclaimer."""
    twin = twin_or_404(slug)
    persona = persona_settings(twin)
    values = {k: str(getattr(persona, k)) for k in PERSONA_TEXT_FIELDS}
    values["refused_topics"] = "\n".join(_topic_line(t.to_dict()) for t in persona.refused_topics)
    values["signature_phrases"] = "\n".join(persona.signature_phrases)
    values["pronoun"] = persona.pronoun
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in (*PERSONA_TEXT_FIELDS, "refused_topics", "signature_phrases")}
        changes: dict[str, Any] = {k: values[k] for k in PERSONA_TEXT_FIELDS}
        changes["refused_topics"] = _topics_from_form(twin, values["refused_topics"])
        changes["signature_phrases"] = [line.strip() for line in values["signature_phrases"].splitlines()
                                        if line.strip()]
        values["pronoun"] = changes["pronoun"] = request.form.get("pronoun", persona.pronoun)
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
    return render_template("persona.html", **curate_context(twin, "persona"), values=values, errors=errors,
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
            topics.append({**base, "name": base.get("name", name), "keywords": list_field(keywords)})
        else:
            topics.append({"name": name, "keywords": [name]})
    return topics


@web_bp.get("/curate/<slug>/search")
@page_role("curator")
def search_page(slug: str) -> str:
    """Search the approved passages, as you would see them in answers."""
    twin = twin_or_404(slug)
    query = request.args.get("q", "").strip()[:500]
    hits: list[dict[str, Any]] = []
    if query:
        hits = [h.to_dict() for h in search_as_configured(db(), settings(), twin, query, current_viewer(), k=20)]
    return render_template("search.html", **curate_context(twin, "search"), query=query, hits=hits)


@web_bp.get("/curate/<slug>/unanswered")
@page_role("curator")
def unanswered_page(slug: str) -> str:
    """Unanswered questions and negative feedback by question, newest first, with what was done about each."""
    twin = twin_or_404(slug)
    viewer = current_viewer()
    groups = unanswered_groups(db(), twin, viewer=viewer)
    sources = [s for s in store.list_sources(db(), twin, status="approved") if viewer.sees(s.audience)]
    titles = {s.id: s.title for s in store.list_sources(db(), twin) if viewer.sees(s.audience)}
    return render_template("unanswered.html", **curate_context(twin, "unanswered"),
                           open_items=[g for g in groups if not g["review"]],
                           done_items=[g for g in groups if g["review"]], sources=sources, titles=titles)


@web_bp.post("/curate/<slug>/unanswered")
@page_role("curator")
def unanswered_review(slug: str) -> WerkzeugResponse:
    """Mark a question handled, link the source that answers it, or note why it will not be answered."""
    twin = twin_or_404(slug)
    form = request.form
    source = form.get("source_id", type=int)
    with flash_failure():
        store.review_question(db(), twin, form.get("question", ""), status=form.get("action", ""),
                              source_id=source, note=form.get("note", ""), actor=actor())
        commit()
        flash({"handled": "Marked handled.", "answered": "Linked: the source answers it now.",
               "declined": "Noted why it will not be answered."}.get(form.get("action", ""), "Saved."), "info")
    return redirect(url_for("web.unanswered_page", slug=slug))


@web_bp.get("/curate/<slug>/audit")
@page_role("curator")
def audit_page(slug: str) -> str:
    """The audit log of this twin (or of everything), newest first."""
    twin = twin_or_404(slug)
    scope = request.args.get("scope", "twin")
    before = request.args.get("before", type=int)
    events = store.list_audit(db(), twin_slug=None if scope == "all" else slug, limit=100, before_id=before)
    return render_template("audit.html", **curate_context(twin, "audit"),
                           events=visible_audit(db(), events, current_viewer()), scope=scope)
