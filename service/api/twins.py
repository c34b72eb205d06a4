"""Twins: list and create them, consent, pause and resume; their speaker labels, persona, search and unanswered
questions."""

from __future__ import annotations

from typing import Any

from service.api import schemas as s
from service.api.blueprint import JSON_MIMETYPE, accepts, api_bp, responses, spec
from service.corpus import store
from service.corpus.models import Twin
from service.errors import BadInput
from service.http.auth import actor, api_role, current_viewer
from service.http.extension import commit, db, settings
from service.http.queries import unanswered
from service.http.serialize import twin_dict, unanswered_dict
from service.rehearsal.rubric import validate_rubric
from service.search import search_as_configured
from service.twin.labels import change_speaker_labels as change
from service.twin.persona import persona_settings, validate_persona_changes


@api_bp.get("/twins")
@api_role("employee")
@spec.validate(resp=responses(s.TwinList), tags=["twins"])
def list_twins() -> Any:
    """Every twin and whether it may answer."""
    return {"twins": [twin_dict(t) for t in store.list_twins(db())]}


@api_bp.post("/twins")
@api_role("admin")
@spec.validate(json=s.TwinCreate, resp=responses(s.TwinOut, 409, status=201), tags=["admin"])
@accepts(JSON_MIMETYPE)
def create_twin(json: s.TwinCreate) -> Any:
    """Create a twin (it answers only once the executive's consent is recorded)."""
    twin = store.create_twin(db(), json.slug, json.name, title=json.title, speaker_labels=json.speaker_labels,
                             actor=actor())
    commit()
    return twin_dict(twin), 201


@api_bp.post("/twins/<slug>/consent")
@api_role("admin")
@spec.validate(json=s.ConsentRequest, resp=responses(s.TwinOut), tags=["admin"])
@accepts(JSON_MIMETYPE)
def record_consent(slug: str, json: s.ConsentRequest) -> Any:
    """Record the executive's consent: who gave it and what it covers."""
    twin = store.record_consent(db(), slug, by=json.by, scope=json.scope, actor=actor())
    commit()
    return twin_dict(twin)


@api_bp.post("/twins/<slug>/pause")
@api_role("admin")
@spec.validate(resp=responses(s.TwinOut), tags=["admin"])
def pause_twin(slug: str) -> Any:
    """Stop a twin answering anywhere."""
    twin = store.set_twin_paused(db(), slug, True, actor=actor())
    commit()
    return twin_dict(twin)


@api_bp.post("/twins/<slug>/resume")
@api_role("admin")
@spec.validate(resp=responses(s.TwinOut), tags=["admin"])
def resume_twin(slug: str) -> Any:
    """Let a paused twin answer again."""
    twin = store.set_twin_paused(db(), slug, False, actor=actor())
    commit()
    return twin_dict(twin)


@api_bp.post("/twins/<slug>/speaker-labels")
@api_role("curator")
@spec.validate(json=s.SpeakerLabelsChange, resp=responses(s.SpeakerLabelsOut), tags=["curate"])
@accepts(JSON_MIMETYPE)
def change_speaker_labels(slug: str, json: s.SpeakerLabelsChange) -> Any:
    """Add or remove transcript labels of the executive's turns; the stored sources are re-attributed at once."""
    if not json.add and not json.remove:
        raise BadInput("send a label to add or to remove")
    result = change(db(), store.get_twin(db(), slug), add=json.add, remove=json.remove, actor=actor())
    commit()
    return result.to_dict()


def persona_of(twin: Twin) -> dict[str, Any]:
    """The persona settings as a curator edits them, defaults filled in."""
    return persona_settings(twin).to_dict()


@api_bp.get("/twins/<slug>/persona")
@api_role("curator")
@spec.validate(resp=responses(s.PersonaOut), tags=["curate"])
def get_persona(slug: str) -> Any:
    """The twin's persona settings: no-answer message, topics not to speak to, disclaimer…"""
    return persona_of(store.get_twin(db(), slug))


@api_bp.patch("/twins/<slug>/persona")
@api_role("curator")
@spec.validate(json=s.PersonaPatch, resp=responses(s.PersonaOut), tags=["curate"])
@accepts(JSON_MIMETYPE)
def patch_persona(slug: str, json: s.PersonaPatch) -> Any:
    """Change some persona settings."""
    changes = json.model_dump(exclude_unset=True)
    if not changes:
        raise BadInput("send at least one persona field to change")
    store.get_twin(db(), slug)
    twin = store.update_persona(db(), slug, validate_persona_changes(changes, check_rubric=validate_rubric), actor=actor())
    commit()
    return persona_of(twin)


@api_bp.get("/twins/<slug>/search")
@api_role("curator")
@spec.validate(query=s.SearchQuery, resp=responses(s.SearchResponse), tags=["curate"])
def search(slug: str, query: s.SearchQuery) -> Any:
    """Search the twin's approved passages that you may see."""
    twin = store.get_twin(db(), slug)
    hits = search_as_configured(db(), settings(), twin, query.q, current_viewer(), k=query.k)
    return {"hits": [h.to_dict() for h in hits]}


@api_bp.get("/twins/<slug>/unanswered")
@api_role("curator")
@spec.validate(query=s.UnansweredQuery, resp=responses(s.UnansweredList), tags=["curate"])
def list_unanswered(slug: str, query: s.UnansweredQuery) -> Any:
    """Questions the twin could not ground and answers marked not helpful, newest first."""
    twin = store.get_twin(db(), slug)
    return {"items": [unanswered_dict(row, email) for row, email in
                      unanswered(db(), twin, limit=query.limit, viewer=current_viewer())]}
