"""What the `understudy` command prints when its output is a pipe or a file, not a terminal."""

from __future__ import annotations

from click.testing import CliRunner

from service.cli import main
from tests.cli.conftest import write_memo

LONG_TITLE = "Why our refrigerated lanes across the northern corridor matter more than any other network investment"


def test_a_piped_table_keeps_long_titles_on_one_line(cli, twin, tmp_path, database_url) -> None:
    memo = write_memo(tmp_path / "lanes.docx", LONG_TITLE, "I chose cold chain because customers pay for reliability.")
    assert cli("ingest", twin, str(memo)).exit_code == 0
    piped = CliRunner().invoke(main, ["sources", "list", twin],
                               env={"UNDERSTUDY_DATABASE_URL": database_url, "COLUMNS": None})
    assert piped.exit_code == 0
    assert any(LONG_TITLE in line for line in piped.output.splitlines()), piped.output
