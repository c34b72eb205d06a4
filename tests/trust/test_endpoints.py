"""Every route of the app (enumerated from the url_map, so a new one is covered or fails here) tried as every
role: the expected status by role from a table, never a server error, never a canary for those outside."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.corpus import corrections as stored
from service.corpus import store
from service.corpus.models import Passage
from service.web.auth import make_dev_login_link
from tests.trust.conftest import CANARY_PROBES, CANARY_SECRETS, TrustWorld, leaked

ROLES = ("anonymous", "employee", "curator", "admin")
RANK = {"anonymous": -1, "public": -1, "employee": 0, "curator": 1, "admin": 2}
# The least role each endpoint needs ("public": anyone; "slack": Slack's signature instead of a user).
NEEDS = {
    "static": "public", "healthz": "public", "readyz": "public", "metrics_endpoint": "public", "openapi": "public",
    "auth.dev_login": "public", "auth.oidc_login": "public", "auth.oidc_callback": "public", "auth.login": "public",
    "auth.logout": "public", "web.home": "public",
    "api.ask": "employee", "api.feedback": "employee", "api.list_twins": "employee",
    "api.start_rehearsal": "employee", "api.answer_rehearsal": "employee", "api.get_rehearsal": "employee",
    "api.list_rehearsals": "employee", "web.ask_page": "employee", "web.ask_submit": "employee",
    "web.feedback_submit": "employee", "web.rehearse_page": "employee", "web.rehearse_start": "employee",
    "web.rehearsal_page": "employee", "web.rehearsal_answer": "employee", "web.rehearsal_download": "employee",
    "api.get_persona": "curator", "api.patch_persona": "curator", "api.search": "curator",
    "api.list_unanswered": "curator", "api.list_sources": "curator", "api.upload_sources": "curator",
    "api.get_job": "curator", "api.list_jobs": "curator", "api.get_source": "curator",
    "api.approve_source": "curator", "api.retire_source": "curator", "api.set_audience": "curator",
    "api.restore_source": "curator", "api.change_speaker_labels": "curator", "web.add_speaker_label": "curator",
    "web.remove_speaker_label": "curator",
    "web.unanswered_review": "curator", "web.admin_user_link": "admin",
    "api.audit": "curator", "web.curate_home": "curator", "web.sources_page": "curator",
    "web.upload_submit": "curator", "web.source_page": "curator", "web.source_action": "curator",
    "web.persona_page": "curator", "web.search_page": "curator", "web.unanswered_page": "curator",
    "web.audit_page": "curator",
    "api.source_revisions": "curator", "api.mark_revision": "curator", "api.withdraw_revision": "curator",
    "web.mark_revision": "curator", "web.withdraw_revision": "curator",
    "api.gap_map": "curator", "api.gap_map_csv": "curator", "api.link_gap_theme": "curator",
    "api.unlink_gap_theme": "curator", "web.gaps_page": "curator", "web.gaps_link": "curator",
    "web.gaps_unlink": "curator",
    "api.list_corrections": "curator", "api.create_correction": "curator", "api.get_correction": "curator",
    "api.edit_correction": "curator", "api.withdraw_correction": "curator", "web.corrections_page": "curator",
    "web.correction_new": "curator", "web.correction_create": "curator", "web.correction_page": "curator",
    "web.correction_edit": "curator", "web.correction_withdraw": "curator",
    "api.create_twin": "admin", "api.record_consent": "admin", "api.pause_twin": "admin", "api.resume_twin": "admin",
    "api.list_users": "admin", "api.add_user": "admin", "api.update_user": "admin", "web.admin_page": "admin",
    "web.admin_add_user": "admin", "web.admin_update_user": "admin", "web.admin_create_twin": "admin",
    "web.admin_twin_action": "admin",
    "slack_events": "slack",
}
# Routes that act on the (leadership-only) canary source: refused to every role outside leadership, even admins.
AUDIENCE_BOUND = {"api.get_source", "web.source_page", "api.approve_source", "api.retire_source", "api.restore_source",
                  "api.set_audience", "web.source_action", "api.source_revisions", "api.mark_revision",
                  "api.withdraw_revision", "web.mark_revision", "web.withdraw_revision"}
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def routes(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return sorted(found, key=lambda r: r[0] == "auth.logout")  # signing out last


def fill(rule: str, world: TrustWorld, ids: dict[str, int]) -> str:
    values = {"slug": "dana", "source_id": world.canaries[0], "interaction_id": ids["interaction"],
              "rehearsal_id": ids["rehearsal"], "job_id": 1, "email": "nobody@example.com", "token": "x",
              "correction_id": ids.get("correction", 1),
              "filename": "app.css", "fmt": "json", "theme": "0123456789abcdef", "link_id": 1,
              "later_id": world.canaries[0]}

    def one(match: re.Match[str]) -> str:
        if match[2] == "action":  # a harmless action of each kind: resuming a running twin, retiring the canary
            return "resume" if "pause" in match[0] else "retire"
        return str(values[match[2]])

    return PARAM.sub(one, rule)


def test_every_route_is_in_the_table(app: Flask) -> None:
    missing = sorted({endpoint for endpoint, _, _ in routes(app)} - set(NEEDS))
    assert not missing, f"add these endpoints to NEEDS with the least role they require: {missing}"


@pytest.mark.parametrize("who", ROLES)
def test_every_route_for_every_role(app: Flask, world: TrustWorld, session_factory: sessionmaker[Session],
                                    who: str) -> None:
    with session_factory() as session:
        twin = store.get_twin(session, "dana")
        leader = store.get_user(session, "leader@example.com")
        interaction = store.record_interaction(session, twin=twin, user_id=leader.id, question="Halcyon?",
                                               answer="Nordwind", conversation_id="lead", passages=[],
                                               mode="extractive", grounded=True, latency_ms=1.0).id
        session.commit()
    client = app.test_client()
    leader_answer = client.post("/api/v1/twins/dana/rehearsals", json={"pitch": "Acquire Nordwind for the lanes. "
                                                                             "We ask you to approve it this month."},
                                headers=world.people["leader"].headers).get_json()
    # The leader's answer quoting the canary, marked unhelpful: it reaches the unanswered list and the feedback.
    quoted = client.post("/api/v1/twins/dana/ask", json={"question": CANARY_PROBES[0]},
                         headers=world.people["leader"].headers).get_json()
    assert "Nordwind" in quoted["answer"]
    client.post(f"/api/v1/interactions/{quoted['interaction_id']}/feedback",
                json={"helpful": False, "reason": "say more about Nordwind"}, headers=world.people["leader"].headers)
    ids = {"interaction": interaction, "rehearsal": leader_answer["rehearsal_id"]}
    with session_factory() as session:  # a correction standing on the canary: only leadership may read it
        canary = session.scalar(select(Passage.id).where(Passage.source_id == world.canaries[0],
                                                         Passage.executive.is_(True)))
        ids["correction"] = stored.create_correction(session, store.get_twin(session, "dana"), "What is Halcyon?",
                                                     passage_ids=[canary]).id
        session.commit()
    csrf = ""
    if who != "anonymous":
        page = client.get(make_dev_login_link(app, f"{who}@example.com"), follow_redirects=True)
        meta = CSRF_META.search(page.get_data(as_text=True))
        assert meta is not None
        csrf = meta.group(1)
    problems = []
    for endpoint, method, rule in routes(app):
        path = fill(rule, world, ids)
        is_api = path.startswith("/api/")
        headers = world.people[who].headers if is_api and who != "anonymous" else {}
        kwargs: dict[str, Any] = {"json": {}} if is_api and method != "GET" else ({"data": {"csrf_token": csrf}}
                                                                   if method != "GET" else {})
        if endpoint == "api.upload_sources":
            kwargs = {"data": {}, "content_type": "multipart/form-data"}
        response = client.open(path, method=method, headers=headers, **kwargs)
        status, body = response.status_code, response.get_data(as_text=True)
        need = NEEDS[endpoint]
        if status >= 500 and not (endpoint == "readyz" and status == 503):
            problems.append((endpoint, method, who, status, "server error"))
        if need == "slack":
            if status not in (401, 403, 404):
                problems.append((endpoint, method, who, status, "unsigned Slack request accepted"))
            continue
        if who == "employee" and leaked(body):  # curators and admins curate every source by design
            problems.append((endpoint, method, who, status, f"leaked {leaked(body)}"))
        restricted = [w for w in CANARY_SECRETS if w.lower() in body.lower()]
        if restricted:  # ...but leadership-only words reach no one outside leadership, whatever the role
            problems.append((endpoint, method, who, status, f"leaked restricted {restricted}"))
        if endpoint in AUDIENCE_BOUND and RANK[who] >= RANK[need]:
            if status != 403 and not (endpoint in ("api.set_audience", "api.mark_revision")
                                      and status == 400):  # {} is refused first
                problems.append((endpoint, method, who, status, "restricted source not refused"))
            continue
        if RANK[who] >= RANK[need]:
            if status in (401, 403) and endpoint not in ("auth.oidc_login", "auth.oidc_callback", "auth.dev_login"):
                problems.append((endpoint, method, who, status, "refused a permitted role"))
        elif who == "anonymous":
            if status not in (401, 302, 303, 400):
                problems.append((endpoint, method, who, status, "anonymous not refused"))
        elif status != 403 and not (method != "GET" and status == 400 and not is_api):
            problems.append((endpoint, method, who, status, "lower role not 403"))
    assert not problems, "\n".join(map(str, problems))
