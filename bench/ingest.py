"""Ingestion throughput and peak memory, end to end through `understudy ingest`, per format and corpus.

Each run is a fresh child process on a fresh SQLite database (or --database-url), so peak memory is the
child's own maximum resident set (PDF workers included). Prints a table and writes bench/out/ingest.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
EXAMPLES = ROOT / "examples" / "dana-reyes"
console = Console(width=170)


@dataclass
class Run:
    corpus: str
    fmt: str
    files: int
    megabytes: float
    pages: int
    seconds: float
    peak_mb: float
    ingested: int
    failed: int
    passages: int

    @property
    def files_per_s(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0


def run_ingest(paths: list[Path], *, slug: str, extra: list[str], database_url: str | None) -> tuple[float, float, list[dict]]:
    """Run init, twin create and ingest in one child; return (seconds of ingest, peak MB, JSON lines)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{tmp}/bench.db"
        env = {**os.environ, "UNDERSTUDY_DATABASE_URL": url}
        cli = [sys.executable, "-m", "service.cli"]
        subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
        subprocess.run([*cli, "twin", "create", slug, "--name", "Bench Executive"], env=env, check=True,
                       capture_output=True)
        started = time.perf_counter()
        proc = subprocess.Popen([*cli, "ingest", slug, *map(str, paths), "--approve", "--json", *extra], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        stdout, stderr = proc.communicate()
        seconds = time.perf_counter() - started
        peak_mb = peak_rss_mb_of_last_child()
        lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
        if proc.returncode not in (0, 1) or not lines:
            console.print(f"[red]ingest failed ({proc.returncode}):[/] {stderr[-2000:]}")
        return seconds, peak_mb, lines


def peak_rss_mb_of_last_child() -> float:
    """Largest resident set of any child waited for so far (Linux reports kilobytes)."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def pdf_pages(paths: list[Path]) -> int:
    from pypdf import PdfReader

    total = 0
    for p in paths:
        if p.suffix.lower() == ".pdf":
            with contextlib.suppress(Exception):  # a broken file counts no pages
                total += len(PdfReader(p).pages)
    return total


def measure(corpus: str, fmt: str, paths: list[Path], extra: list[str], database_url: str | None) -> Run:
    # Measure each run in a fresh interpreter so RUSAGE_CHILDREN's maximum belongs to this run alone.
    payload = json.dumps({"corpus": corpus, "fmt": fmt, "paths": [str(p) for p in paths], "extra": extra,
                          "database_url": database_url})
    result = subprocess.run([sys.executable, __file__, "--child", payload], capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return Run(**json.loads(result.stdout.strip().splitlines()[-1]))


def _measure_here(job: dict) -> dict:
    paths = [Path(p) for p in job["paths"]]
    seconds, peak, lines = run_ingest(paths, slug="bench", extra=job["extra"], database_url=job["database_url"])
    size = sum(p.stat().st_size for p in paths if p.is_file()) or sum(
        f.stat().st_size for p in paths if p.is_dir() for f in p.rglob("*") if f.is_file())
    return asdict(Run(
        corpus=job["corpus"], fmt=job["fmt"], files=len(lines), megabytes=size / 1e6, pages=pdf_pages(paths),
        seconds=seconds, peak_mb=peak, ingested=sum(1 for r in lines if r["status"] in ("ingested", "updated")),
        failed=sum(1 for r in lines if r["status"] == "failed"), passages=sum(r["passages"] or 0 for r in lines),
    ))


def qmsum_as_transcripts(target: Path, limit: int | None) -> list[Path]:
    """Write each QMSum meeting as a speaker-labelled text transcript."""
    paths = []
    for split in ("train", "val", "test"):
        for src in sorted((SHARED / "qmsum" / split).glob("*.json")):
            meeting = json.loads(src.read_text())
            lines = [f"{turn['speaker'].upper().strip()}: {turn['content'].strip()}"
                     for turn in meeting["meeting_transcripts"] if turn["content"].strip()]
            out = target / f"{split}-{src.stem}.txt"
            out.write_text("\n".join(lines) + "\n")
            paths.append(out)
    return paths[:limit] if limit else paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="Run against this database instead of a fresh SQLite file.")
    parser.add_argument("--quick", action="store_true", help="Fewer shared files.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure_here(json.loads(args.child))))
        return
    runs: list[Run] = []
    if EXAMPLES.is_dir():
        by_format: dict[str, list[Path]] = defaultdict(list)
        for p in sorted(EXAMPLES.rglob("*")):
            if p.is_file() and p.suffix.lower() in {".docx", ".pdf", ".vtt", ".srt", ".txt", ".md", ".eml", ".html"}:
                by_format[p.suffix.lower()].append(p)
        for fmt, paths in sorted(by_format.items()):
            runs.append(measure("examples", fmt, paths, [], args.database_url))
        runs.append(measure("examples", "all", [EXAMPLES], [], args.database_url))
    else:
        console.print(f"[yellow]examples not found at {EXAMPLES}; skipping[/]")
    if SHARED.is_dir():
        speeches = sorted((SHARED / "presidential-speeches").glob("*.txt"))
        if args.quick:
            speeches = speeches[:200]
        runs.append(measure("presidential-speeches", ".txt", speeches, ["--speaker", "THE PRESIDENT"],
                            args.database_url))
        with tempfile.TemporaryDirectory() as tmp:
            qm = qmsum_as_transcripts(Path(tmp), 40 if args.quick else None)
            runs.append(measure("qmsum (as labelled text)", ".txt", qm, ["--kind", "transcript"], args.database_url))
    else:
        console.print(f"[yellow]shared data not found at {SHARED}; only the examples are measured[/]")

    table = Table(title="Ingestion, end to end (parse + store + index), one process per run")
    for col in ("corpus", "format", "files", "failed", "passages", "MB", "pages", "seconds", "files/s", "MB/s",
                "pages/s", "peak MB"):
        table.add_column(col, justify="left" if col in ("corpus", "format") else "right")
    for r in runs:
        table.add_row(r.corpus, r.fmt, str(r.files), str(r.failed), str(r.passages), f"{r.megabytes:.2f}",
                      str(r.pages or ""), f"{r.seconds:.2f}", f"{r.files_per_s:.1f}",
                      f"{r.megabytes / r.seconds:.2f}" if r.seconds else "",
                      f"{r.pages / r.seconds:.1f}" if r.pages and r.seconds else "", f"{r.peak_mb:.0f}")
    console.print(table)
    speeches_run = next((r for r in runs if r.corpus == "presidential-speeches"), None)
    if speeches_run and not args.quick:
        ok = speeches_run.seconds < 60 and speeches_run.peak_mb < 500
        console.print(f"Goal (1,010 speeches < 60 s, peak < 500 MB): {speeches_run.seconds:.1f} s, "
                      f"{speeches_run.peak_mb:.0f} MB: {'met' if ok else 'NOT met'}")
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "ingest.json").write_text(json.dumps([asdict(r) for r in runs], indent=2))


if __name__ == "__main__":
    main()
