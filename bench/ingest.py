"""Ingestion throughput and peak memory, end to end through `understudy ingest`, per format and corpus.

Each run is a fresh child process on a fresh SQLite database (or --database-url), so peak memory is the
child's own maximum resident set (PDF workers and the embedded model included). Prints a table and writes
bench/out/ingest.json.

Passage vectors are stored at ingestion by default (the embedded all-MiniLM-L6-v2, inside `understudy ingest`
via service.search.vectors.index_new_sources). The speeches are ingested twice: with vectors (the default) and
with UNDERSTUDY_EMBEDDINGS_MODEL=off, and the vectors run is split into its phases: parse + store (until the
last file's JSON line), then embedding (the CLI's own "Stored N passage vectors ... in X s" line when it prints
one; with --json it does not, and the embedding is what follows the last file's line until the process ends).
CPU s is the ingest process's CPU time over all its threads: less disturbed by the machine's other load. `--threads 1,2` adds a vectors run per UNDERSTUDY_EMBEDDINGS_THREADS value.
The examples and QMSum rows follow the default (vectors on) except QMSum, whose 134,000 short passages would
take about half an hour to embed here: it runs lexical unless --qmsum-vectors.

    .venv/bin/python bench/ingest.py [--quick] [--only examples,speeches,qmsum] [--threads 1,2] [--qmsum-vectors]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import SHARED, load_average_1m, new_table  # noqa: E402

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
    # "on" (the default: vectors stored at ingestion), "off" (UNDERSTUDY_EMBEDDINGS_MODEL=off), or "on, N threads"
    vectors: str = "on"
    vectors_stored: int = 0
    parse_store_s: float = 0.0  # from the start until the last file's JSON line
    # as the CLI reports it ("Stored N passage vectors (model) in X s."), else from the last file's line to the exit
    embed_s: float = 0.0
    cpu_s: float = 0.0  # CPU time of the ingest process, all threads (less disturbed by other load than seconds)
    load: str = ""  # the machine's load average when the run ended

    @property
    def passages_per_s(self) -> float:
        return self.passages / self.seconds if self.seconds else 0.0

    @property
    def files_per_s(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0


STORED_LINE = re.compile(r"Stored ([\d,]+) passage vectors \((.+?)\) in ([\d.]+) s")


@dataclass
class Timing:
    seconds: float  # the whole `understudy ingest` process, start to exit
    peak_mb: float
    lines: list[dict]
    parse_store_s: float  # until the last file's JSON line
    embed_s: float
    vectors_stored: int
    cpu_s: float


def run_ingest(paths: list[Path], *, slug: str, extra: list[str], database_url: str | None,
               env_extra: dict[str, str] | None = None) -> Timing:
    """Run init, twin create and ingest in one child; time the ingest and its phases."""
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{tmp}/bench.db"
        env = {**os.environ, "UNDERSTUDY_DATABASE_URL": url, **(env_extra or {})}
        # Not `-m service.cli`: run as __main__, the CLI module would be imported twice (its command groups import it).
        cli = [sys.executable, "-c", "from service.cli import main; main()"]
        subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
        subprocess.run([*cli, "twin", "create", slug, "--name", "Bench Executive"], env=env, check=True,
                       capture_output=True)
        import resource

        errors = Path(tmp) / "stderr.txt"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with errors.open("w") as err_file:
            started = time.perf_counter()
            proc = subprocess.Popen([*cli, "ingest", slug, *map(str, paths), "--approve", "--json", *extra], env=env,
                                    stdout=subprocess.PIPE, stderr=err_file, text=True)
            lines: list[dict] = []
            last_line = started
            assert proc.stdout is not None
            for line in proc.stdout:  # read as it comes, to time the end of parse + store
                if line.startswith("{"):
                    lines.append(json.loads(line))
                    last_line = time.perf_counter()
            proc.wait()
            seconds = time.perf_counter() - started
        peak_mb = peak_rss_mb_of_last_child()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        stderr = errors.read_text()
        if proc.returncode not in (0, 1) or not lines:
            console.print(f"[red]ingest failed ({proc.returncode}):[/] {stderr[-2000:]}")
        stored = STORED_LINE.search(stderr)
        parse_store_s = last_line - started
        if stored:
            embed_s, vectors = float(stored.group(3)), int(stored.group(1).replace(",", ""))
        else:  # `ingest --json` no longer prints the line: what follows the last file is the indexing
            vectors = stored_vectors(url)
            embed_s = seconds - parse_store_s if vectors else 0.0
        return Timing(seconds, peak_mb, lines, parse_store_s, embed_s, vectors, cpu_s)


def stored_vectors(url: str) -> int:
    """Passage vectors in the run's database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM passage_vectors")).scalar() or 0)
    except Exception:  # noqa: BLE001 - no such table (an older schema): nothing stored
        return 0
    finally:
        engine.dispose()


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


def measure(corpus: str, fmt: str, paths: list[Path], extra: list[str], database_url: str | None, *,
            vectors: str = "on", env: dict[str, str] | None = None) -> Run:
    # Measure each run in a fresh interpreter so RUSAGE_CHILDREN's maximum belongs to this run alone.
    console.print(f"[dim]{corpus} {fmt}, vectors {vectors}: {len(paths)} paths "
                  f"(load {load_average_1m()})…[/]")
    payload = json.dumps({"corpus": corpus, "fmt": fmt, "paths": [str(p) for p in paths], "extra": extra,
                          "database_url": database_url, "vectors": vectors, "env": env or {}})
    result = subprocess.run([sys.executable, __file__, "--child", payload], capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return Run(**json.loads(result.stdout.strip().splitlines()[-1]))


def _measure_here(job: dict) -> dict:
    paths = [Path(p) for p in job["paths"]]
    timing = run_ingest(paths, slug="bench", extra=job["extra"], database_url=job["database_url"],
                        env_extra=job.get("env"))
    lines = timing.lines
    size = sum(p.stat().st_size for p in paths if p.is_file()) or sum(
        f.stat().st_size for p in paths if p.is_dir() for f in p.rglob("*") if f.is_file())
    return asdict(Run(
        corpus=job["corpus"], fmt=job["fmt"], files=len(lines), megabytes=size / 1e6, pages=pdf_pages(paths),
        seconds=timing.seconds, peak_mb=timing.peak_mb,
        ingested=sum(1 for r in lines if r["status"] in ("ingested", "updated")),
        failed=sum(1 for r in lines if r["status"] == "failed"), passages=sum(r["passages"] or 0 for r in lines),
        vectors=job.get("vectors", "on"), vectors_stored=timing.vectors_stored, parse_store_s=timing.parse_store_s,
        embed_s=timing.embed_s, cpu_s=timing.cpu_s, load=load_average_1m(),
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


OFF = {"UNDERSTUDY_EMBEDDINGS_MODEL": "off"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="Run against this database instead of a fresh SQLite file.")
    parser.add_argument("--quick", action="store_true", help="Fewer shared files.")
    parser.add_argument("--only", default="examples,speeches,qmsum",
                        help="comma-separated parts: examples, speeches, qmsum")
    parser.add_argument("--threads", default="",
                        help="comma-separated UNDERSTUDY_EMBEDDINGS_THREADS values: one more speeches run with vectors each")
    parser.add_argument("--qmsum-vectors", action="store_true",
                        help="QMSum with vectors too (134,000 passages: about half an hour on 2 cores)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure_here(json.loads(args.child))))
        return
    parts = set(args.only.split(","))
    runs: list[Run] = []
    if "examples" in parts:
        if EXAMPLES.is_dir():
            by_format: dict[str, list[Path]] = defaultdict(list)
            for p in sorted(EXAMPLES.rglob("*")):
                if p.is_file() and p.suffix.lower() in {".docx", ".pdf", ".vtt", ".srt", ".txt", ".md", ".eml", ".html"}:
                    by_format[p.suffix.lower()].append(p)
            for fmt, paths in sorted(by_format.items()):
                runs.append(measure("examples", fmt, paths, [], args.database_url))
            runs.append(measure("examples", "all", [EXAMPLES], [], args.database_url))
            runs.append(measure("examples", "all", [EXAMPLES], [], args.database_url, vectors="off", env=OFF))
        else:
            console.print(f"[yellow]examples not found at {EXAMPLES}; skipping[/]")
    if SHARED.is_dir():
        speeches = sorted((SHARED / "presidential-speeches").glob("*.txt"))
        if args.quick:
            speeches = speeches[:200]
        if "speeches" in parts:
            # The speeches carry "THE PRESIDENT:" turn labels (press conferences, debates): the executive's label.
            label = ["--speaker", "THE PRESIDENT"]
            runs.append(measure("presidential-speeches", ".txt", speeches, label, args.database_url))
            for threads in [t for t in args.threads.split(",") if t.strip()]:
                runs.append(measure("presidential-speeches", ".txt", speeches, label, args.database_url,
                                    vectors=f"on, {int(threads)} thread{'s' if int(threads) != 1 else ''}",
                                    env={"UNDERSTUDY_EMBEDDINGS_THREADS": str(int(threads))}))
            runs.append(measure("presidential-speeches", ".txt", speeches, label, args.database_url,
                                vectors="off", env=OFF))
        if "qmsum" in parts:
            with tempfile.TemporaryDirectory() as tmp:
                qm = qmsum_as_transcripts(Path(tmp), 40 if args.quick else None)
                runs.append(measure("qmsum (as labelled text)", ".txt", qm, ["--kind", "transcript"],
                                    args.database_url, vectors="on" if args.qmsum_vectors else "off",
                                    env=None if args.qmsum_vectors else OFF))
    else:
        console.print(f"[yellow]shared data not found at {SHARED}; only the examples are measured[/]")

    columns = ("corpus", "format", "vectors", "files", "failed", "passages", "MB", "pages", "seconds",
               "parse+store s", "embed s", "CPU s", "files/s", "passages/s", "MB/s", "pages/s", "peak MB",
               "load")
    table = new_table("Ingestion, end to end (parse + store + index + vectors), one process per run", columns,
                      left=3)
    for r in runs:
        table.add_row(r.corpus, r.fmt, r.vectors, str(r.files), str(r.failed), str(r.passages), f"{r.megabytes:.2f}",
                      str(r.pages or ""), f"{r.seconds:.2f}", f"{r.parse_store_s:.1f}",
                      f"{r.embed_s:.1f}" if r.embed_s else "", f"{r.cpu_s:.0f}", f"{r.files_per_s:.1f}", f"{r.passages_per_s:.0f}",
                      f"{r.megabytes / r.seconds:.2f}" if r.seconds else "",
                      f"{r.pages / r.seconds:.1f}" if r.pages and r.seconds else "", f"{r.peak_mb:.0f}", r.load)
    console.print(table)
    if not args.quick:
        for r in runs:
            if r.corpus != "presidential-speeches":
                continue
            if r.vectors == "off":
                ok = r.seconds < 60 and r.peak_mb < 500
                console.print(f"Goal without vectors (the speeches < 60 s, peak < 500 MB): {r.seconds:.1f} s, "
                              f"{r.peak_mb:.0f} MB: {'met' if ok else 'NOT met'}")
            else:
                ok = r.seconds <= 300 and r.peak_mb <= 1500
                embed_rate = f", {r.vectors_stored / r.embed_s:.0f} passages/s" if r.embed_s else ""
                console.print(f"Goal with vectors ({r.vectors}; issue 14: the speeches <= 5 minutes, peak <= 1.5 GB): "
                              f"{r.seconds:.1f} s, {r.peak_mb:.0f} MB: {'met' if ok else 'NOT met'} "
                              f"(parse + store {r.parse_store_s:.1f} s, embedding {r.vectors_stored:,} passages "
                              f"{r.embed_s:.1f} s{embed_rate}; CPU {r.cpu_s:.0f} s over all threads, so at least "
                              f"{r.cpu_s / (os.cpu_count() or 1):.0f} s on this machine's {os.cpu_count()} cores idle)")
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "ingest.json").write_text(json.dumps([asdict(r) for r in runs], indent=2))


if __name__ == "__main__":
    main()
