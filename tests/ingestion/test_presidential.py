"""The transcript parser on real press conferences (../shared/data/presidential-speeches); skips without it."""

from __future__ import annotations

from pathlib import Path

from ingestion.pipeline import parse_path


def press_conferences(folder: Path, marker: str) -> list[Path]:
    """Press and news conferences whose turns use `marker` at the start of a line."""
    found = []
    for path in sorted(folder.glob("*.txt")):
        if "press-conference" not in path.name and "news-conference" not in path.name:
            continue
        if any(line.startswith(marker) for line in path.read_text(encoding="utf-8").splitlines()):
            found.append(path)
    return found


def test_period_form_press_conferences_attribute_the_presidents_turns(speeches_dir: Path) -> None:
    files = press_conferences(speeches_dir, "THE PRESIDENT. ")
    assert len(files) >= 5
    for path in files[:8]:
        document = parse_path(path, speaker_labels=["THE PRESIDENT"])
        assert document.kind == "transcript", path.name
        executive = [p for p in document.passages if p.executive]
        questions = [p for p in document.passages if p.speaker == "Q"]
        assert executive and questions, path.name
        # An opening statement before the first question is unlabelled and his.
        assert all(p.speaker in ("THE PRESIDENT", None) for p in executive), path.name
        assert not any(p.executive for p in questions), path.name
        # A question is never folded into the President's words.
        assert not any(p.text.startswith("Q. ") or "\nQ. " in p.text for p in executive), path.name
        assert all(p.locator.startswith(("turn ", "\u00b6 ")) for p in document.passages)


def test_colon_form_press_conferences_attribute_the_presidents_turns(speeches_dir: Path) -> None:
    files = press_conferences(speeches_dir, "THE PRESIDENT: ")
    assert files
    for path in files[:5]:
        document = parse_path(path, speaker_labels=["THE PRESIDENT"])
        assert document.kind == "transcript", path.name
        assert any(p.executive for p in document.passages), path.name
        others = [p for p in document.passages if p.speaker not in (None, "THE PRESIDENT")]
        assert others and not any(p.executive for p in others), path.name


def test_an_ordinary_speech_is_the_speakers_own_words(speeches_dir: Path) -> None:
    path = next(speeches_dir.glob("*first-inaugural-address.txt"))
    document = parse_path(path, speaker_labels=["THE PRESIDENT"])
    assert document.kind == "memo"
    assert document.date is not None and document.date.isoformat() == path.name[:10]
    assert all(p.executive and p.speaker is None for p in document.passages)
