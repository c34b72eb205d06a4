"""The `understudy` command loads each command only when it is listed or run, not the database layer up front."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LOADED_BY = """
import sys
from service.cli import main
try:
    main({args!r}, prog_name="understudy")
except SystemExit:
    pass
print("LOADED", *sorted({{m.split(".")[0] for m in sys.modules}} & {{"sqlalchemy", "alembic"}}))
"""


def loaded_database_packages(*args: str, tmp_path: Path) -> str:
    """Which of sqlalchemy and alembic a fresh `understudy ARGS` process has imported by the time it ends."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "UNDERSTUDY_DATABASE_URL": f"sqlite:///{tmp_path}/u.db"}
    result = subprocess.run([sys.executable, "-c", LOADED_BY.format(args=list(args))], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["settings"], ["ask", "--help"]])
def test_help_version_and_settings_do_not_load_the_database_layer(args: list[str], tmp_path: Path) -> None:
    assert loaded_database_packages(*args, tmp_path=tmp_path) == "LOADED"


def test_help_still_lists_every_command_with_its_short_help(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from service.cli import main

    output = CliRunner().invoke(main, ["--help"]).output
    assert "  ask          Ask the twin; it answers in the executive's voice with..." in output
    assert "  worker       Work the background ingestion queue" in output
    names = [line.split()[0] for line in output.split("Commands:\n")[1].splitlines() if line.strip()]
    assert names == sorted(names) and {"init", "import", "export", "twin", "demo", "corrections"} <= set(names)
