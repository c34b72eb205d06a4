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
