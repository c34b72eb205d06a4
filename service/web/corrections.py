"""The Corrections pages of the console: list, correct an answer (passages searched in place, their order, a
framing line) or mark a question refused, edit (a new version), withdraw. Plain forms with CSRF; no script needed."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from service.corpus import corrections as stored
from service.corpus import store
from service.corpus.models import Correction, Interaction, Twin
from service.errors import UnderstudyError
from service.http.auth import actor, current_viewer, page_role
from service.http.extension import commit, db, settings
from service.twin import corrections
from service.web.blueprint import curate_context, flash_failure, twin_or_404, web_bp

SEARCH_RESULTS = 12


def _context(twin: Twin) -> dict[str, Any]:
    return {**curate_context(twin, "corrections"), "threshold": settings().correction_similarity}


def _readable(twin: Twin, correction_id: int) -> Correction:
    try:
        row = stored.get_correction(db(), correction_id, twin=twin)
    except UnderstudyError:
        abort(404)
    if not stored.visible_to(row, stored.correction_sources(db(), [row]), current_viewer()):
        abort(404)
    return row


def _ids(values: list[str]) -> list[int]:
    return list(dict.fromkeys(int(v) for v in values if v.strip().isdigit()))


def _chosen_from_form() -> list[int]:
    """The ticked passages in the order the curator numbered them (unnumbered ones keep their place, after)."""
    ticked = _ids(request.form.getlist("passage"))
    position = {pid: i for i, pid in enumerate(ticked)}

    def rank(pid: int) -> tuple[float, int]:
        raw = request.form.get(f"order-{pid}", "").strip()
        try:
            return (float(raw), position[pid])
        except ValueError:
            return (float("inf"), position[pid])
    return sorted(ticked, key=rank)


def _editor(twin: Twin, *, values: dict[str, Any], chosen: list[int], correction: dict[str, Any] | None = None,
            versions: list[dict[str, Any]] | None = None, status: int = 200, query: str | None = None,
            answered: str | None = None) -> tuple[str, int]:
    """The form page: the question, the chosen passages in order, search in place, framing, refusal."""
    viewer = current_viewer()
    query = (request.args.get("q", "") if query is None else query).strip()[:500]
    live = stored.live_passages(db(), twin.id, chosen)
    picked = []
    for pid in chosen:
        if pid in live and viewer.sees(live[pid].source.audience):
            source, passage = live[pid].source, live[pid].passage
            picked.append({"passage_id": pid, "title": source.title, "locator": passage.locator,
                           "date": source.date.isoformat() if source.date else None, "text": passage.text})
    hits: list[dict[str, Any]] = []
    if query:
        from service.search import search_as_configured

        hits = [h.to_dict() for h in search_as_configured(db(), settings(), twin, query, viewer, k=SEARCH_RESULTS,
                                                          executive_only=True) if h.passage_id not in chosen]
    return render_template("correction_edit.html", **_context(twin), values=values, picked=picked, hits=hits,
                           query=query, chosen=chosen, correction=correction, versions=versions or [],
                           answered=answered), status


def _values_from_args() -> dict[str, Any]:
    interaction = request.args.get("interaction", type=int)
    return {"question": request.args.get("question", "").strip()[:2000],
            "kind": "refusal" if request.args.get("kind") == "refusal" else "answer",
            "framing": request.args.get("framing", "")[:300], "topic": request.args.get("topic", "")[:200],
            "phrasings": request.args.get("phrasings", "")[:4000], "note": request.args.get("note", "")[:2000],
            "interaction": interaction}


def _searching() -> bool:
    """Whether the form was sent by its Search button: show passages, keeping what was typed and ticked."""
    return request.form.get("action") == "search"


def _values_from_form() -> dict[str, Any]:
    return {"question": request.form.get("question", ""), "kind": request.form.get("kind", "answer"),
            "framing": request.form.get("framing", ""), "topic": request.form.get("topic", ""),
            "phrasings": request.form.get("phrasings", ""), "note": request.form.get("note", ""),
            "interaction": request.form.get("interaction", type=int)}


@web_bp.get("/curate/<slug>/corrections")
@page_role("curator")
def corrections_page(slug: str) -> str:
    """The twin's corrections: in force, withdrawn and retired, with the similarity threshold in force."""
    twin = twin_or_404(slug)
    viewer = current_viewer()
    rows = stored.list_corrections(db(), twin)
    sources = stored.correction_sources(db(), rows)
    shown = [r for r in rows if stored.visible_to(r, sources, viewer)]
    items = stored.describe(db(), shown, viewer)
    return render_template("corrections.html", **_context(twin), hidden=len(rows) - len(shown),
                           active=[i for i in items if i["status"] == "active"],
                           ended=[i for i in items if i["status"] != "active"])


@web_bp.get("/curate/<slug>/corrections/new")
@page_role("curator")
def correction_new(slug: str) -> tuple[str, int]:
    """Correct an answer: the question (from an answer, the unanswered list, or typed), then the passages."""
    twin = twin_or_404(slug)
    values = _values_from_args()
    answered = None
    if values["interaction"]:
        row = db().get(Interaction, values["interaction"])
        if row is not None and row.twin_id == twin.id:
            values["question"] = values["question"] or row.question
            answered = _answer_shown(row)
    return _editor(twin, values=values, chosen=_ids(request.args.getlist("chosen")), answered=answered)


def _answer_shown(row: Interaction) -> str | None:
    """The answer being corrected, for a curator who holds the audiences of every source it stood on."""
    audiences = store.audiences_by_source(db(), {int(p["source_id"]) for p in row.passages or []})
    viewer = current_viewer()
    if all(viewer.sees(audiences.get(int(p["source_id"]), "")) for p in row.passages or []):
        return row.answer
    return None


@web_bp.post("/curate/<slug>/corrections")
@page_role("curator")
def correction_create(slug: str) -> Any:
    """Save a new correction; it is in force at once (or, from the Search button, show passages to choose)."""
    twin = twin_or_404(slug)
    values = _values_from_form()
    chosen = _chosen_from_form()
    if _searching():
        return _editor(twin, values=values, chosen=chosen, query=request.form.get("q", ""))
    try:
        row = corrections.create(
            db(), twin, values["question"], kind=values["kind"], passage_ids=chosen if values["kind"] == "answer"
            else [], framing=values["framing"], topic=values["topic"],
            phrasings=values["phrasings"].splitlines(), note=values["note"], interaction_id=values["interaction"],
            viewer=current_viewer(), actor=actor())
        commit()
    except UnderstudyError as exc:
        db().rollback()
        flash(exc.message, "error")
        return _editor(twin, values=values, chosen=chosen, status=exc.status)
    flash("Saved: this question and those that mean the same are answered from your choice from now on."
          if row.kind == "answer" else "Saved: the twin declines this question and those that mean the same.", "info")
    return redirect(url_for("web.correction_page", slug=slug, correction_id=row.root_id or row.id))


@web_bp.get("/curate/<slug>/corrections/<int:correction_id>")
@page_role("curator")
def correction_page(slug: str, correction_id: int) -> tuple[str, int]:
    """One correction: its current version (editable: saving makes a new version), its history, withdraw."""
    twin = twin_or_404(slug)
    row = _readable(twin, correction_id)
    viewer = current_viewer()
    described = stored.describe(db(), [row], viewer)[0]
    values = {"question": row.question, "kind": row.kind, "framing": row.framing, "topic": row.topic,
              "phrasings": "\n".join(row.phrasings or []), "note": row.note, "interaction": row.interaction_id}
    chosen = [int(p) for p in row.passage_ids or []] + [i for i in _ids(request.args.getlist("chosen"))
                                                         if i not in (row.passage_ids or [])]
    return _editor(twin, values=values, chosen=chosen, correction=described,
                   versions=stored.describe(db(), stored.correction_versions(db(), row), viewer))


@web_bp.post("/curate/<slug>/corrections/<int:correction_id>")
@page_role("curator")
def correction_edit(slug: str, correction_id: int) -> Any:
    """Save changes as a new version, in force at once (or, from the Search button, show passages to choose)."""
    twin = twin_or_404(slug)
    row = _readable(twin, correction_id)
    values = _values_from_form()
    chosen = _chosen_from_form()
    if _searching():
        viewer = current_viewer()
        return _editor(twin, values=values, chosen=chosen, correction=stored.describe(db(), [row], viewer)[0],
                       versions=stored.describe(db(), stored.correction_versions(db(), row), viewer),
                       query=request.form.get("q", ""))
    try:
        corrections.edit(db(), row.id, question=values["question"], kind=values["kind"],
                               passage_ids=chosen if values["kind"] == "answer" else [], framing=values["framing"],
                               topic=values["topic"], phrasings=values["phrasings"].splitlines(),
                               note=values["note"], viewer=current_viewer(), actor=actor())
        commit()
    except UnderstudyError as exc:
        db().rollback()
        flash(exc.message, "error")
        described = stored.describe(db(), [row], current_viewer())[0]
        return _editor(twin, values=values, chosen=chosen, correction=described, status=exc.status)
    flash("Saved as a new version, in force now.", "info")
    return redirect(url_for("web.correction_page", slug=slug, correction_id=correction_id))


@web_bp.post("/curate/<slug>/corrections/<int:correction_id>/withdraw")
@page_role("curator")
def correction_withdraw(slug: str, correction_id: int) -> WerkzeugResponse:
    """Withdraw a correction: its questions are answered from the whole corpus again."""
    twin = twin_or_404(slug)
    row = _readable(twin, correction_id)
    with flash_failure():
        stored.withdraw_correction(db(), row.id, actor=actor(), reason=request.form.get("reason", ""))
        commit()
        flash("Withdrawn: the question is answered from the sources as before.", "info")
    return redirect(url_for("web.correction_page", slug=slug, correction_id=correction_id))
