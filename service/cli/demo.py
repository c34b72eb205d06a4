"""`understudy demo`: the example executive's corpus ingested, a sample question answered, the web UI started."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ingestion.pipeline import iter_files
from service.cli.ingest import ingest_files
from service.cli.render import err, out, print_answer
from service.cli.runtime import Runtime, fail
from service.cli.server import (
    DEVELOPMENT_HOST,
    DEVELOPMENT_PORT,
    DEVELOPMENT_URL,
    local_web_settings,
    users_link_command,
)
from service.config import default_database_url

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples" / "dana-reyes"
DEMO_USERS: tuple[tuple[str, str, list[str]], ...] = (
    ("employee@halvorsen.example", "employee", []),
    ("curator@halvorsen.example", "curator", ["leadership"]),
    ("admin@halvorsen.example", "admin", ["leadership"]),
)


def load_demo_twin(folder: Path) -> dict[str, Any]:
    """The demo twin's description (twin.toml beside the example files)."""
    manifest = folder / "twin.toml"
    if not manifest.is_file():
        fail(f"the example corpus is missing: {manifest} not found")
    with manifest.open("rb") as fh:
        return tomllib.load(fh)


@click.command()
@click.option("--host", default=DEVELOPMENT_HOST, show_default=True)
@click.option("--port", default=DEVELOPMENT_PORT, show_default=True, type=int)
@click.option("--fresh/--keep", default=True, show_default=True,
              help="Start from an empty database (a default database holding more than the demo is moved aside).")
@click.option("--no-serve", is_flag=True, help="Stop after ingesting and answering a sample question.")
@click.option("--examples", "folder", type=click.Path(path_type=Path, file_okay=False), default=EXAMPLES_DIR,
              show_default=False, help="Folder of the example corpus.")
@click.pass_obj
def demo(rt: Runtime, host: str, port: int, fresh: bool, no_serve: bool, folder: Path) -> None:
    """Ingest the example executive's corpus into the CLI's database, answer a sample question, start the web UI."""
    from service.migrate import upgrade_database

    spec = load_demo_twin(folder)
    if fresh and rt.settings.database_url == default_database_url():
        start_default_database_afresh(rt, spec["slug"])
    upgrade_database(rt.engine)
    out.print(f"Demo database: {rt.database}")
    with rt.session() as s:
        create_demo_twin(s, spec)
        tokens = add_demo_users(s)
    for batch in spec.get("batches", [{"path": "."}]):
        ingest_demo_batch(rt, spec["slug"], folder, batch)
    answer_sample_question(rt, spec)
    if tokens:
        out.print("\nAPI tokens (shown once):")
        for email, token in tokens.items():
            out.print(f"  {email}: {token}")
    if no_serve:
        out.print(f"\nTo use the web UI: `understudy serve`, then `{users_link_command(rt.settings, DEVELOPMENT_URL)}` "
                  f"prints a one-time sign-in link (demo users: "
                  + ", ".join(f"{email} ({role})" for email, role, _ in DEMO_USERS) + ").")
    else:
        serve_demo(rt, host, port)


def create_demo_twin(s: Session, spec: dict[str, Any]) -> None:
    """The demo twin with its consent and persona, unless it exists already."""
    from service.corpus import store
    from service.rehearsal.rubric import validate_rubric
    from service.twin.persona import validate_persona_changes

    slug = spec["slug"]
    if slug in {t.slug for t in store.list_twins(s)}:
        return
    store.create_twin(s, slug, spec["name"], title=spec.get("title", ""), speaker_labels=spec.get("speaker_labels"),
                      actor="demo")
    consent = spec.get("consent", {})
    store.record_consent(s, slug, by=consent.get("by", spec["name"]),
                         scope=consent.get("scope", "Demo: internal questions and pitch rehearsal"), actor="demo")
    persona = spec.get("persona", {})
    changes = {"no_answer_message": persona.get("no_answer"),
               "answer_openers": list(persona.get("openings") or [])
               or ([persona["opening"]] if persona.get("opening") else None),
               "signature_phrases": list(persona.get("signature_phrases") or []) or None,
               "pronoun": persona.get("pronoun"),
               "refused_topics": demo_refused_topics(persona.get("refuse_topics") or []),
               "rehearsal_rubric": list(persona.get("rubric") or []) or None}
    changes = validate_persona_changes({k: v for k, v in changes.items() if v}, check_rubric=validate_rubric)
    if changes:
        store.update_persona(s, slug, changes, actor="demo")


def demo_refused_topics(entries: list[Any]) -> list[dict[str, Any]]:
    """twin.toml's refuse_topics on top of the built-in topics: an entry a built-in topic names or already recognises
    ("redundancies") is that topic; `name: keyword, keyword` (as on the persona page) or a table is a topic of its own
    (replacing a built-in of that name); any other text is a topic recognised by its own words."""
    from service.twin.persona import DEFAULT_TOPICS, RefusedTopic

    topics = [dict(t) for t in DEFAULT_TOPICS]
    built_in = [RefusedTopic.from_dict(t) for t in DEFAULT_TOPICS]
    for entry in entries:
        if isinstance(entry, dict):
            topic = dict(entry)
        else:
            text = " ".join(str(entry).split())
            name, _, keywords = text.partition(":")
            if not keywords.strip() and any(text in (t.name, t.label) or t.matches(text) for t in built_in):
                continue
            topic = {"name": name.strip(), "keywords": [k.strip() for k in keywords.split(",") if k.strip()] or [text]}
        topics = [t for t in topics if t["name"] != topic.get("name")] + [topic]
    return topics


def add_demo_users(s: Session) -> dict[str, str]:
    """The demo's employee, curator and admin, unless they exist; the API token of each one added."""
    from service.corpus import store

    known = {u.email for u in store.list_users(s)}
    return {email: store.add_user(s, email, role=role, audiences=audiences, actor="demo")[1]
            for email, role, audiences in DEMO_USERS if email not in known}


def ingest_demo_batch(rt: Runtime, slug: str, folder: Path, batch: dict[str, Any]) -> None:
    """Ingest one batch of twin.toml (a path or glob, with its kind, speaker and audience), approved, and say how it went."""
    from service.ingest import IngestOptions

    pattern = batch["path"]
    paths = sorted(folder.glob(pattern)) if any(c in pattern for c in "*?[") else [folder / pattern]
    files = [f for f in iter_files(paths) if f.name != "twin.toml"]
    options = IngestOptions(audience=batch.get("audience", rt.settings.default_audience), actor="demo",
                            kind=batch.get("kind"), approve=True,
                            speakers=(batch["speaker"],) if batch.get("speaker") else ())
    outcomes = list(ingest_files(rt, slug, files, options))
    for o in outcomes:
        if o.failed:
            err.print(f"[red]failed[/] {o.path}: {o.error}")
    done = sum(1 for o in outcomes if o.status in ("ingested", "updated"))
    already = sum(1 for o in outcomes if o.status == "duplicate")
    out.print(f"Ingested {done} of {len(files)} files from {pattern}"
              + (f" for audience {batch['audience']}" if batch.get("audience") else "")
              + (f" ({already} already stored in this database)" if already else "") + ".")


def answer_sample_question(rt: Runtime, spec: dict[str, Any]) -> None:
    """The twin's answer to the first sample question, asked as the demo employee."""
    from service.corpus import store
    from service.twin.engine import answer_question

    question = (spec.get("sample_questions") or ["What matters most to you?"])[0]
    with rt.session() as s:
        employee = store.get_user(s, DEMO_USERS[0][0])
        answer = answer_question(s, rt.settings, spec["slug"], question, store.viewer_for(employee), channel="cli")
        out.print(f"\n[bold]Q:[/] {question}")
        print_answer(answer.to_dict())


def start_default_database_afresh(rt: Runtime, slug: str) -> None:
    """Delete the default SQLite database if it holds only a demo; move it aside (and say so) if it holds more."""
    from sqlalchemy import inspect, select

    from service.corpus.models import Twin, User

    database = rt.engine.url.database
    if not database or not Path(database).is_file():
        return
    demo_only = True
    if inspect(rt.engine).has_table("twins"):
        with rt.session() as s:
            twins = set(s.scalars(select(Twin.slug)))
            users = set(s.scalars(select(User.email)))
        demo_only = twins <= {slug} and users <= {email for email, _, _ in DEMO_USERS}
    rt.engine.dispose()
    path = Path(database)
    if demo_only:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    kept = path.with_name(f"{path.stem}-{dt.datetime.now():%Y%m%d-%H%M%S}{path.suffix}")
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            Path(f"{path}{suffix}").rename(f"{kept}{suffix}")
    out.print(f"The database held more than the demo: moved it to {kept} (use --keep to add the demo to it).")


def serve_demo(rt: Runtime, host: str, port: int) -> None:
    """Start the web UI and print one-time sign-in links for the demo users."""
    try:
        from service.app import create_app
        from service.web.auth import DEV_LOGIN_MAX_AGE_S, make_dev_login_link
    except ImportError:
        out.print("The web service is not available in this build; stopping after the sample answer.")
        return
    app = create_app(local_web_settings(rt, host))
    base = f"http://{host}:{port}"
    out.print(f"\n[bold green]Understudy demo is up at {base}/[/]")
    out.print(f"Sign-in links (each works once, within {DEV_LOGIN_MAX_AGE_S // 60} minutes; "
              f"`{users_link_command(rt.settings, base)}` prints a new one):")
    for email, role, _ in DEMO_USERS:
        out.print(f"  {role:<9} {base}{make_dev_login_link(app, email)}")
    app.run(host=host, port=port, threaded=True, use_reloader=False)
