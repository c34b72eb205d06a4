"""The Rehearse pages: paste or upload a pitch, see the twin's questions, push-back and scorecard, answer round by
round, print or save the result. Plain form posts and redirects; the page's script only enhances them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.wrappers import Response as WerkzeugResponse

from service import rehearsal
from service.corpus import store
from service.errors import NotFound, UnderstudyError
from service.http.auth import current_viewer, page_role
from service.http.extension import commit, db, settings
from service.http.limits import asking
from service.http.rehearsals import PITCH_TYPES, REHEARSAL_ID, check_pitch_file
from service.http.serialize import twin_dict
from service.rehearsal.pitch import PITCH_SUFFIXES
from service.rehearsal.pushback import NO_PUSH_BACK
from service.twin.persona import persona_settings
from service.web.blueprint import choose_twin, disclaimer_line, web_bp
from textkit.saying import counted, spoken_duration

# The last round's closing words where a Summary section follows (the page and its Markdown).
END_OF_ROUNDS = "That's the end of this rehearsal: the summary is below."

# The input accepts these; the server checks again.
PITCH_ACCEPT = ",".join([*PITCH_SUFFIXES, "application/pdf", "text/plain", "text/markdown",
                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"])


def kind_labels(pronoun: str = "they") -> dict[str, str]:
    """How each kind of question is labelled, with the persona's pronoun ("A concern she repeats")."""
    repeats = "repeat" if pronoun == "they" else "repeats"
    return {"question": "Asked in a meeting", "concern": f"A concern {pronoun} {repeats}"}


def _form_context(slug: str | None) -> dict[str, Any]:
    twins = store.list_twins(db())
    twin, has_sources = choose_twin(twins, slug)
    persona = persona_settings(twin) if twin else None
    return {"nav": "rehearse", "twins": [twin_dict(t) for t in twins], "twin": twin_dict(twin) if twin else None,
            "disclaimer": persona.disclaimer_text if persona else "",
            "pronoun": persona.pronoun if persona else "they",
            "history": rehearsal.list_rehearsals(db(), current_viewer()),
            "names": {t.slug: t.name for t in twins}, "accept": PITCH_ACCEPT, "suffixes": ",".join(PITCH_SUFFIXES), "pitch_types": PITCH_TYPES,
            "max_mb": settings().max_file_mb, "max_words": settings().rehearsal_max_pitch_words,
            "has_sources": has_sources}


@web_bp.get("/rehearse")
@page_role("employee")
def rehearse_page() -> str:
    """The pitch form (paste or upload) and the list of my past rehearsals."""
    return render_template("rehearse.html", **_form_context(request.args.get("twin")), pitch="")


@web_bp.post("/rehearse")
@asking
@page_role("employee")
def rehearse_start() -> ResponseReturnValue:
    """Start a rehearsal from the form, then show it (post, redirect, get)."""
    slug = request.form.get("twin", "")
    pitch = request.form.get("pitch", "")
    upload = request.files.get("file")
    try:
        if upload is not None and upload.filename:
            try:
                name = check_pitch_file(upload.filename)
            except UnsupportedMediaType as exc:
                flash(f"{exc.description}.", "error")
                return render_template("rehearse.html", **_form_context(slug), pitch=pitch), 415
            result = rehearsal.start_rehearsal(db(), settings(), slug, current_viewer(), file_bytes=upload.read(),
                                               filename=name, pitch_text=pitch if pitch.strip() else None,
                                               channel="web")
        else:
            result = rehearsal.start_rehearsal(db(), settings(), slug, current_viewer(), pitch_text=pitch,
                                               channel="web")
        commit()
    except UnderstudyError as exc:
        db().rollback()
        flash(exc.message, "error")
        return render_template("rehearse.html", **_form_context(slug), pitch=pitch), exc.status
    return redirect(url_for("web.rehearsal_page", rehearsal_id=result.rehearsal_id))


def _twin_names(slug: str | None) -> dict[str, str]:
    try:
        twin = store.get_twin(db(), slug or "")
    except NotFound:
        return {"name": slug or "the executive", "title": ""}
    return {"name": twin.name, "title": twin.title or "", "pronoun": persona_settings(twin).pronoun}


def _pending(data: dict[str, Any]) -> dict[str, Any] | None:
    """The question on the table, with its citation when it is one of the first questions."""
    ref = data.get("next_question")
    if data.get("done") or not ref:
        return None
    asked = next((q for q in data.get("questions", []) if q["question"] == ref.get("question")), None)
    return {"question": ref.get("question", ""), "kind": ref.get("kind"),
            "citation": asked["citation"] if asked and data.get("round") == 0 else None}


@web_bp.get(f"/rehearse/<{REHEARSAL_ID}>")
@page_role("employee")
def rehearsal_page(rehearsal_id: int) -> str:
    """One of my rehearsals: questions, push-back, scorecard, the rounds so far and the answer box."""
    data = rehearsal.get_rehearsal(db(), rehearsal_id, current_viewer())
    twin = _twin_names(data.get("twin"))
    return render_template("rehearse_result.html", nav="rehearse", r=data, twin=twin, pending=_pending(data),
                           kinds=kind_labels(twin.get("pronoun", "they")), end_of_rounds=END_OF_ROUNDS,
                           no_push_back=NO_PUSH_BACK)


@web_bp.post(f"/rehearse/<{REHEARSAL_ID}>/turns")
@asking
@page_role("employee")
def rehearsal_answer(rehearsal_id: int) -> WerkzeugResponse:
    """Answer the question on the table and go another round."""
    try:
        result = rehearsal.answer_turn(db(), settings(), rehearsal_id, current_viewer(), request.form.get("reply", ""))
        commit()
    except NotFound:
        raise
    except UnderstudyError as exc:
        db().rollback()
        flash(exc.message, "error")
        return redirect(url_for("web.rehearsal_page", rehearsal_id=rehearsal_id, _anchor="answer"))
    anchor = "summary" if result.done else f"round-{result.round}"
    return redirect(url_for("web.rehearsal_page", rehearsal_id=rehearsal_id, _anchor=anchor))


@web_bp.get(f"/rehearse/<{REHEARSAL_ID}>/save.<any(md, json):fmt>")
@page_role("employee")
def rehearsal_download(rehearsal_id: int, fmt: str) -> WerkzeugResponse:
    """Save a rehearsal as Markdown (to read, share or print) or as JSON (what the API returns)."""
    data = rehearsal.get_rehearsal(db(), rehearsal_id, current_viewer())
    if fmt == "json":
        body, mimetype = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", "application/json"
    else:
        body, mimetype = rehearsal_markdown(data, _twin_names(data.get("twin"))), "text/markdown"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="rehearsal-{rehearsal_id}.{fmt}"'})


# --- Markdown --------------------------------------------------------------------------------------

def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _reaction(text: str, data: dict[str, Any]) -> str:
    """A round's reaction without the summary run into it: the Summary section sets that out (as on the page)."""
    summary = (data.get("summary") or {}).get("text") or ""
    if summary and text.endswith(summary):
        return text[:len(text) - len(summary)] + END_OF_ROUNDS
    return text


def _source_line(c: dict[str, Any], prefix: str = "") -> str:
    where = ", ".join(str(x) for x in (c.get("title"), c.get("date") or "undated", c.get("locator")) if x)
    return f"{prefix}[{c['n']}] {where}: “{_cell(c.get('quote', ''))}”"


@web_bp.app_template_filter("spoken")
def spoken(minutes: float) -> str:
    """A pitch's speaking time as people say it: 'about 35 seconds', 'about 1 minute', 'about 2.5 minutes'."""
    return spoken_duration(minutes)


@web_bp.app_template_filter("counted")
def counted_filter(n: int, word: str) -> str:
    """A count with its noun agreeing: '1 round', '2 rounds'."""
    return counted(int(n), word)


def _score(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def rehearsal_markdown(data: dict[str, Any], twin: dict[str, str]) -> str:
    """A rehearsal as a Markdown document: questions, push-back, scorecard, sources, rounds, summary, the pitch."""
    name = twin["name"]
    created = str(data.get("created_at") or "")[:16].replace("T", " ")
    card = data.get("scorecard", {})
    analysis = data.get("analysis", {})
    lines = [f"# Rehearsal with {name}{', ' + twin['title'] if twin.get('title') else ''}", "",
             f"*{disclaimer_line(data.get('disclaimer', ''))}*", ""]
    what = data.get("filename") or "pasted pitch"
    lines += [f"Rehearsal {data['rehearsal_id']} · {created} · {what} · {analysis.get('words', card.get('words', '?'))} "
              f"words, {spoken(card.get('speaking_minutes', 0))} spoken · round {data.get('round', 0)} "
              f"of {data.get('max_rounds', 0)}{' · finished' if data.get('done') else ''}", ""]
    lines += [f"## Questions {name} would ask", ""]
    for q in data.get("questions", []):
        lines.append(f"{q['n']}. {q['question']} [{q['citation']['n']}]")
    if not data.get("questions"):
        lines.append("None of the approved sources bears on this pitch.")
    lines += ["", f"## Where {name} would push back", ""]
    for p in data.get("push_back", []):
        mark = " (your pitch contradicts this)" if p.get("contradicts") else ""
        lines.append(f"- **{p['priority']}**{mark}: {p['why']} [{p['citation']['n']}]")
    if not data.get("push_back"):
        lines.append("Nothing: the pitch does not ignore or cross a priority the sources show.")
    lines += ["", f"## Scorecard: {_score(card.get('total', 0))} of {_score(card.get('max', 0))}", "",
              "| Criterion | Score | Why |", "|---|---|---|"]
    for c in card.get("criteria", []):
        lines.append(f"| {_cell(c['label'])} | {_score(c['score'])}/{_score(c['max'])} | {_cell(c['reason'])} |")
    lines += ["", "## Sources", ""]
    lines += [_source_line(c, "- ") for c in data.get("citations", [])]
    if data.get("turns"):
        lines += ["", "## Rounds"]
    for t in data.get("turns", []):
        lines += ["", f"### Round {t['round']}", "", f"**{name} asked:** {t['question']}", "",
                  f"**You answered:** {t['reply']}", "", f"**{name} (AI twin):** {_reaction(t['text'], data)}", ""]
        lines += [_source_line(c, "- ") for c in t.get("citations", [])]
    summary = data.get("summary")
    if summary:
        lines += ["", "## Summary", ""]
        for heading, key in (("Strong", "strong"), ("To fix", "fix")):
            if summary.get(key):
                lines += [f"**{heading}**", ""] + [f"- {_cell(p['point'])}: {_cell(p['detail'])}"
                                                   for p in summary[key]] + [""]
        if summary.get("prepare"):
            lines += [f"**Prepare for** (sources numbered as in round {summary.get('rounds', '')})", ""]
            lines += [f"- {p['question']} [{p['citation']['n']}]" for p in summary["prepare"]] + [""]
    lines += ["", "## Your pitch", ""] + [f"> {line}" if line.strip() else ">" for line in
                                           str(data.get("pitch", "")).splitlines()]
    lines += ["", f"Saved {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC from Understudy."]
    return "\n".join(lines).rstrip() + "\n"
