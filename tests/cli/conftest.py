"""The CLI tests' fixtures: a CliRunner on the test database, a consenting twin, a folder of memos."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from service.cli import main


@pytest.fixture
def cli(database_url):
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(main, list(args), env={"UNDERSTUDY_DATABASE_URL": database_url}, input=input,
                             catch_exceptions=False)

    return run


def write_memo(path: Path, heading: str, *paragraphs: str) -> Path:
    document = docx.Document()
    document.core_properties.title = heading
    document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(path)
    return path


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@pytest.fixture
def twin(cli):
    assert cli("twin", "create", "dana", "--name", "Dana Reyes", "--title", "CEO").exit_code == 0
    assert cli("twin", "consent", "dana", "--by", "Dana Reyes", "--scope", "internal Q&A").exit_code == 0
    return "dana"


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_memo(folder / "2025-03-01-cold-chain.docx", "Why cold chain",
               "I chose cold chain because pharmaceutical customers pay for reliability, and reliability is what we "
               "do best. Our on-time rate in temperature-controlled lanes reached ninety-seven percent.")
    write_memo(folder / "2025-04-02-fleet.docx", "Electric vans",
               "I want forty percent of our urban vans electric by the end of 2026, because our drivers deserve "
               "quieter cabs and our customers ask for lower emissions.")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog")
    (folder / "empty.txt").write_bytes(b"")
    return folder
