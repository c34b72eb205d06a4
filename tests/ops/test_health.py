"""/readyz: ready only when the database answers at the migration head and Redis answers when configured."""

from __future__ import annotations

import socket
from pathlib import Path

from service.migrate import head_revision


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_ready_on_a_migrated_database(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "database": "ok", "migrations": "head",
                                   "redis": "not configured"}
    assert client.get("/healthz").status_code == 200


def test_not_ready_on_an_unmigrated_database(make_app, tmp_path: Path) -> None:
    app = make_app(database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert "understudy init" in body["migrations"] and head_revision() in body["migrations"]


def test_not_ready_when_the_database_is_unreachable(make_app) -> None:
    app = make_app(database_url=f"postgresql+psycopg://nobody@127.0.0.1:{closed_port()}/none?connect_timeout=2")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    assert app.test_client().get("/healthz").status_code == 503


def test_redis_is_checked_when_configured(make_app, redis_url: str) -> None:
    ready = make_app(redis_url=redis_url).test_client().get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["redis"] == "ok"
    down = make_app(redis_url=f"redis://127.0.0.1:{closed_port()}/0").test_client().get("/readyz")
    assert down.status_code == 503
    assert down.get_json()["redis"] == "unreachable" and down.get_json()["database"] == "ok"
