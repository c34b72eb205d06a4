"""`understudy users link`: the sign-in link points at the web UI people actually reach."""

from __future__ import annotations

import json


def test_users_link_uses_the_configured_public_url(cli, twin, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("UNDERSTUDY_PUBLIC_URL", "https://twin.example.com:8443/")
    assert cli("users", "add", "lee@example.com", "--role", "curator").exit_code == 0
    printed = cli("users", "link", "lee@example.com")
    assert printed.exit_code == 0
    assert printed.output.strip().splitlines()[-1].startswith("https://twin.example.com:8443/auth/dev/")
    given = json.loads(cli("users", "link", "lee@example.com", "--url", "http://10.0.0.5:9000", "--json").output)
    assert given["url"].startswith("http://10.0.0.5:9000/auth/dev/")


def test_users_link_says_where_its_link_points_and_how_to_change_it(cli, twin, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert cli("users", "add", "lee@example.com").exit_code == 0
    printed = cli("users", "link", "lee@example.com").output
    assert "to the web UI at http://127.0.0.1:8000 (served elsewhere? give --url or set UNDERSTUDY_PUBLIC_URL)" in printed
    assert "UNDERSTUDY_PUBLIC_URL, else http://127.0.0.1:8000" in " ".join(cli("users", "link", "--help").output.split())


def test_serve_on_another_port_names_the_link_command_for_that_port(cli, twin, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    served: list[int] = []
    monkeypatch.setattr("flask.Flask.run", lambda app, **options: served.append(options["port"]))
    assert cli("users", "add", "lee@example.com").exit_code == 0
    default = cli("serve").output
    assert "serving on http://127.0.0.1:8000/" in default and "users link" not in default
    elsewhere = cli("serve", "--port", "8123").output
    assert served == [8000, 8123]
    assert "Sign-in links for this server: `understudy users link EMAIL --url http://127.0.0.1:8123`" in elsewhere
    link = json.loads(cli("users", "link", "lee@example.com", "--url", "http://127.0.0.1:8123", "--json").output)
    assert link["url"].startswith("http://127.0.0.1:8123/auth/dev/")


def test_the_demo_on_another_port_prints_links_and_the_command_for_that_port(cli, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr("flask.Flask.run", lambda app, **options: None)
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "twin.toml").write_text('slug = "sam"\nname = "Sam Ortiz"\nbatches = [{path = "*.md"}]\n')
    (examples / "2025-03-01-depots.md").write_text("# Depots\n\nEvery depot gets chargers before the vans arrive, "
                                                   "starting with the northern depots next spring.\n")
    printed = cli("demo", "--port", "8123", "--examples", str(examples)).output
    assert "Understudy demo is up at http://127.0.0.1:8123/" in printed
    assert "`understudy users link EMAIL --url http://127.0.0.1:8123` prints a new one" in printed
    links = [line.split()[-1] for line in printed.splitlines() if "/auth/dev/" in line]
    assert len(links) == 3 and all(link.startswith("http://127.0.0.1:8123/auth/dev/") for link in links)


def test_the_demo_without_a_server_says_how_to_serve_and_sign_in(cli, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "twin.toml").write_text('slug = "sam"\nname = "Sam Ortiz"\nbatches = [{path = "*.md"}]\n')
    (examples / "2025-03-01-depots.md").write_text("# Depots\n\nEvery depot gets chargers before the vans arrive.\n")
    printed = " ".join(cli("demo", "--no-serve", "--examples", str(examples)).output.split())
    assert "Understudy demo is up" not in printed
    assert ("To use the web UI: `understudy serve`, then `understudy users link EMAIL` prints a one-time sign-in "
            "link (demo users: employee@halvorsen.example (employee)") in printed
    link = json.loads(cli("users", "link", "employee@halvorsen.example", "--json").output)
    assert link["url"].startswith("http://127.0.0.1:8000/auth/dev/")
