"""Load: extractive answers per second and latency under gunicorn on loopback, SQLite and PostgreSQL.

    python -m bench.load                 # the full run: 10, 50, 200 users x 60 s on both databases, mixed, growth
    python -m bench.load --quick         # 10 s runs, growth to 20,000 passages only
    python -m bench.load --db sqlite --skip-mixed --skip-growth

Each database gets the example corpus (examples/dana-reyes, through `understudy demo --no-serve`) and bench
users of its own; gunicorn runs infra/gunicorn.conf.py on 127.0.0.1 (PostgreSQL runs with Redis for rate
limits and the job queue, as in production); wrk (Debian's `wrk`) drives closed-loop users who each ask the
twin.toml sample questions one after another with no pause. Every request is bounded (wrk --timeout) and every
run by its duration. Prints tables and writes bench/out/load.json.

- ask: requests/s, answers/s (200s), p50/p95/p99, non-2xx (429 counted apart) and socket errors per user count.
- mixed: the 50-user run again while 1,000 files are ingested (the CLI on SQLite; background jobs on
  PostgreSQL through the API and an rq worker), against the plain 50-user run.
- flood: one user's token on 64 connections as fast as wrk sends, against a per-user limit of 300/minute, while
  10 other users ask; beside the same 10 users with no flood: 429s, 5xx (must be 0), the others' latency.
- growth: PostgreSQL only; passages added to the twin by bulk COPY (20,000, 200,000, 1,000,000), then ask
  latency at 10 users, the web workers' memory and the database's size.
- approval: a twin of Obama's 50 speeches (../shared/data), 49 approved and one a draft; 10 users ask the
  bench's Obama questions on the warm service, then a curator approves the draft through the API and the first
  20 s after it are measured (the style profile is rebuilt in the background, never on the ask path).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import SPEECHES, load_average_1m, postgres_database, speeches_of, stop_process  # noqa: E402

EXAMPLES = ROOT / "examples" / "dana-reyes"
OUT = ROOT / "bench" / "out" / "load.json"
REDIS_URL = os.environ.get("UNDERSTUDY_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
GUNICORN = Path(sys.executable).with_name("gunicorn")
BENCH_USERS = 40
console = Console(width=170)

WRK_SCRIPT = r"""
local tokens = %(tokens)s
local questions = %(questions)s
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  n = id * 7919
end

function request()
  n = n + 1
  local token = tokens[(n %% #tokens) + 1]
  local question = questions[(n %% #questions) + 1]
  return wrk.format("POST", "/api/v1/twins/%(slug)s/ask",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, question)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, count in pairs(s) do merged[code] = (merged[code] or 0) + count end
  end
  local parts = {}
  for code, count in pairs(merged) do table.insert(parts, string.format('"%%d": %%d', code, count)) end
  io.write(string.format(
    'WRK_RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, ' ..
    '"max_us": %%d, "connect": %%d, "read": %%d, "write": %%d, "timeout": %%d, "statuses": {%%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    table.concat(parts, ", ")))
end
"""


@dataclass
class LoadResult:
    """One wrk run."""

    db: str
    scenario: str
    users: int
    seconds: float
    requests: int
    answers: int
    rps: float
    answers_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rate_limited: int
    server_errors: int
    other_errors: int
    socket_errors: int
    cpu_ms_per_answer: float = 0.0
    load_avg: float = 0.0
    note: str = ""


@dataclass
class GrowthResult:
    """Ask latency and memory at one corpus size."""

    passages: int
    insert_s: float
    database_mb: float
    passages_mb: float
    web_rss_mb: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


@dataclass
class Deployment:
    """A prepared database with the example twin and bench users."""

    db: str
    url: str
    slug: str
    tokens: list[str]
    curator_token: str
    questions: list[str]
    env: dict[str, str] = field(default_factory=dict)


# --- set-up ----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    with postgres_database(str(os.getpid())) as url:
        yield url


def bench_env(kind: str, url: str, queue: str) -> dict[str, str]:
    """The environment the CLI and the servers run in against the bench database (Redis with PostgreSQL only)."""
    env = {**os.environ, "UNDERSTUDY_DATABASE_URL": url, "UNDERSTUDY_SECRET_KEY": "bench-secret",
           "UNDERSTUDY_RATELIMIT_ASK": "1000000/minute", "UNDERSTUDY_INGEST_QUEUE_NAME": queue,
           "UNDERSTUDY_LOG_LEVEL": "WARNING"}
    env.pop("UNDERSTUDY_REDIS_URL", None)
    if kind == "postgresql":
        env["UNDERSTUDY_REDIS_URL"] = REDIS_URL
    return env


def add_bench_users(session: Session) -> tuple[list[str], str]:
    """BENCH_USERS employees and a curator; the employees' tokens and the curator's."""
    from service.corpus import store

    tokens = [store.add_user(session, f"bench-{i}@example.com", role="employee")[1] for i in range(BENCH_USERS)]
    return tokens, store.add_user(session, "bench-curator@example.com", role="curator")[1]


def prepare(kind: str, url: str, queue: str) -> Deployment:
    """The example corpus via `understudy demo --no-serve`, then bench users with their tokens."""
    from sqlalchemy import text

    from service.db import make_engine, make_session_factory, session_scope

    with open(EXAMPLES / "twin.toml", "rb") as fh:
        spec = tomllib.load(fh)
    env = bench_env(kind, url, queue)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "service.cli", "demo", "--no-serve"], env=env, check=True,
                   capture_output=True, cwd=ROOT)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        tokens, curator = add_bench_users(session)
        passages = session.execute(text("SELECT count(*) FROM passages")).scalar()
    engine.dispose()
    console.print(f"[dim]{kind}: example corpus ({passages} passages) and {BENCH_USERS} users ready in "
                  f"{time.perf_counter() - started:.1f} s[/]")
    return Deployment(kind, url, spec["slug"], tokens, curator, list(spec["sample_questions"]), env)


@contextlib.contextmanager
def gunicorn(dep: Deployment, workdir: Path, *, workers: int | None = None) -> Iterator[tuple[str, int]]:
    """gunicorn with infra/gunicorn.conf.py on a loopback port; yields (url, master pid)."""
    port = free_port()
    env = {**dep.env, "UNDERSTUDY_BIND": f"127.0.0.1:{port}",
           "PROMETHEUS_MULTIPROC_DIR": str(workdir / f"metrics-{port}")}
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    log = open(workdir / f"gunicorn-{port}.log", "wb")  # noqa: SIM115 - closed below
    # No worker recycling during a run: a recycled worker's CPU time would drop out of the count.
    process = subprocess.Popen([str(GUNICORN), "-c", "infra/gunicorn.conf.py", "--access-logfile", "/dev/null",
                                "--max-requests", "0", "service.app:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        import requests

        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {(workdir / f'gunicorn-{port}.log').read_text()[-2000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            time.sleep(0.1)
        for question in dep.questions:  # warm every worker's caches a little
            requests.post(f"{url}/api/v1/twins/{dep.slug}/ask", json={"question": question},
                          headers={"Authorization": f"Bearer {dep.tokens[0]}"}, timeout=30)
        yield url, process.pid
    finally:
        stop_process(process, signal.SIGTERM, timeout=30)
        log.close()


def worker_rss_mb(master_pid: int) -> float:
    """Resident memory of gunicorn's workers (children of the master), summed."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == master_pid:
                for line in (entry / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
    return total / 1024


# --- wrk -------------------------------------------------------------------------------------------

def lua_list(items: list[str]) -> str:
    return "{" + ", ".join(json.dumps(item, ensure_ascii=False) for item in items) + "}"


def workers_cpu_s(master_pid: int) -> float:
    """CPU seconds (user + system) spent so far by gunicorn's workers (children of the master)."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == master_pid:
                    ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def run_wrk(dep: Deployment, url: str, workdir: Path, *, users: int, seconds: int, scenario: str,
            note: str = "", master_pid: int | None = None, threads: int = 2) -> LoadResult:
    """Closed-loop users asking the sample questions for `seconds`; every request bounded by a time-out.

    With the master's pid, also the web workers' CPU per answer: unlike answers per second it does not depend
    on what else the machine runs, and 1000 x cores / it is what idle cores could serve."""
    script = workdir / f"ask-{uuid.uuid4().hex[:8]}.lua"
    bodies = [json.dumps({"question": q}) for q in dep.questions]
    script.write_text(WRK_SCRIPT % {"tokens": lua_list(dep.tokens), "questions": lua_list(bodies), "slug": dep.slug})
    threads = min(threads, users)
    cpu_before = workers_cpu_s(master_pid) if master_pid else 0.0
    proc = subprocess.run(["wrk", f"-t{threads}", f"-c{users}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
                           url], capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"WRK_RESULT (\{.*\})", proc.stdout)
    if not match:
        raise RuntimeError(f"wrk failed: {proc.stdout[-1000:]} {proc.stderr[-1000:]}")
    data = json.loads(match.group(1))
    cpu = workers_cpu_s(master_pid) - cpu_before if master_pid else 0.0
    statuses = {int(k): v for k, v in data["statuses"].items()}
    duration = data["duration_us"] / 1e6
    answers = statuses.get(200, 0)
    return LoadResult(
        db=dep.db, scenario=scenario, users=users, seconds=round(duration, 1), requests=data["requests"],
        answers=answers, rps=round(data["requests"] / duration, 1), answers_per_s=round(answers / duration, 1),
        p50_ms=round(data["p50_us"] / 1000, 1), p95_ms=round(data["p95_us"] / 1000, 1),
        p99_ms=round(data["p99_us"] / 1000, 1), max_ms=round(data["max_us"] / 1000, 1),
        rate_limited=statuses.get(429, 0), server_errors=sum(v for k, v in statuses.items() if k >= 500),
        other_errors=sum(v for k, v in statuses.items() if k not in (200, 429) and k < 500),
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        cpu_ms_per_answer=round(cpu * 1000 / answers, 2) if answers and master_pid else 0.0,
        load_avg=round(os.getloadavg()[0], 1), note=note)


# --- mixed load ------------------------------------------------------------------------------------

def ingestion_files(workdir: Path, count: int) -> list[Path]:
    """`count` files to ingest: presidential speeches when ../shared/data has them, else synthetic memos."""
    folder = workdir / "ingest"
    folder.mkdir(exist_ok=True)
    speeches = sorted(SPEECHES.glob("*.txt")) if SPEECHES.is_dir() else []
    rng = random.Random(7)
    files = []
    for i in range(count):
        target = folder / f"bulk-{i:04d}.txt"
        if speeches:
            target.write_bytes(speeches[i % len(speeches)].read_bytes() + f"\n\n(copy {i})\n".encode())
        else:
            words = " ".join(rng.choice(["freight", "drivers", "customers", "reliability", "cold", "chain", "margin",
                                         "dispatch", "safety", "weekend", "lanes", "pricing"]) for _ in range(900))
            target.write_text(f"Memo {i}\n\n{words}.\n")
        files.append(target)
    return files


def start_ingestion(dep: Deployment, url: str, files: list[Path], workdir: Path) -> subprocess.Popen[bytes]:
    """SQLite: `understudy ingest` beside the server. PostgreSQL: API uploads in batches become jobs for a worker."""
    if dep.db == "sqlite":
        return subprocess.Popen([sys.executable, "-m", "service.cli", "ingest", dep.slug, *map(str, files), "--json"],
                                env=dep.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import requests

    worker = subprocess.Popen([sys.executable, "-c", "from service.config import load_settings; "
                               "from service.ops.jobs import run_worker; run_worker(load_settings(), burst=True)"],
                              env=dep.env, cwd=ROOT, stdout=open(workdir / "worker.log", "wb"),  # noqa: SIM115
                              stderr=subprocess.STDOUT)
    for start in range(0, len(files), 100):
        batch = files[start:start + 100]
        response = requests.post(f"{url}/api/v1/twins/{dep.slug}/sources",
                                 files=[("file", (p.name, p.read_bytes())) for p in batch],
                                 data={"background": "true"}, headers={"Authorization": f"Bearer {dep.curator_token}"},
                                 timeout=120)
        if response.status_code != 202:
            raise RuntimeError(f"upload answered {response.status_code}: {response.text[:500]}")
    return worker


def ingested_files(dep: Deployment) -> int:
    from sqlalchemy import text

    from service.db import make_engine

    engine = make_engine(dep.url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM sources WHERE filename LIKE 'bulk-%'")).scalar()
    engine.dispose()
    return int(count or 0)


def mixed(dep: Deployment, url: str, workdir: Path, *, users: int, seconds: int, files: int,
          master_pid: int | None = None) -> LoadResult:
    """Answers while `files` files are ingested; the note says how far the ingestion got."""
    paths = ingestion_files(workdir, files)
    started = time.perf_counter()
    process = start_ingestion(dep, url, paths, workdir)
    try:
        deadline = time.monotonic() + 120
        while ingested_files(dep) == 0 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)  # answers are measured once files are being stored, not while the worker starts
        before = ingested_files(dep)
        result = run_wrk(dep, url, workdir, users=users, seconds=seconds, scenario="ask + ingest",
                         master_pid=master_pid)
        during = ingested_files(dep) - before
        process.wait(timeout=1800)
        total = time.perf_counter() - started
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
    done = ingested_files(dep)
    result.note = f"{during} of {files} files stored during the run ({during / result.seconds:.1f}/s); {done} after {total:.0f} s"
    return result


# --- flood from one user ---------------------------------------------------------------------------

# Per-user limit for this run: the 39 other bench users, asking back to back, stay under it; the flooder does not.
# (The shipped default, UNDERSTUDY_RATELIMIT_ASK, is 30/minute.)
FLOOD_LIMIT = "300/minute"


def flood(dep: Deployment, workdir: Path, *, seconds: int, connections: int = 64) -> list[LoadResult]:
    """One user's token on `connections` connections as fast as wrk can send, with the shipped per-user limit,
    while 10 other users ask as usual; and those 10 alone first, for comparison. Every flood request beyond the
    limit must be a 429 with no 5xx, and the others must still be answered."""
    import threading

    limited = dataclasses.replace(dep, env={**dep.env, "UNDERSTUDY_RATELIMIT_ASK": FLOOD_LIMIT})
    flooder = dataclasses.replace(dep, tokens=dep.tokens[-1:])
    others = dataclasses.replace(dep, tokens=dep.tokens[:-1])
    results: list[LoadResult] = []
    with gunicorn(limited, workdir) as (url, pid):
        alone = run_wrk(others, url, workdir, users=10, seconds=seconds, scenario="10 users, no flood",
                        master_pid=pid, threads=1)
        results.append(alone)
        box: dict[str, LoadResult] = {}
        attacker = threading.Thread(target=lambda: box.setdefault("flood", run_wrk(
            flooder, url, workdir, users=connections, seconds=seconds, scenario=f"flood: 1 user, {connections} conns",
            threads=1)))
        attacker.start()
        time.sleep(0.5)
        during = run_wrk(others, url, workdir, users=10, seconds=max(seconds - 1, 1),
                         scenario="10 users during the flood", threads=1)
        attacker.join()
        results += [box["flood"], during]
    for r in results:
        r.note = f"limit {FLOOD_LIMIT} per user"
    return results


# --- the first seconds after an approval --------------------------------------------------------------

OBAMA_QUESTIONS = ROOT / "bench" / "data" / "answer_questions.jsonl"
APPROVAL_SECONDS = 20


def cli(env: dict[str, str], *args: str) -> str:
    """Run one `understudy` command against the bench database; its output."""
    return subprocess.run([sys.executable, "-m", "service.cli", *args], env=env, check=True, capture_output=True,
                          text=True, cwd=ROOT).stdout


def prepare_speeches(kind: str, url: str, queue: str, files: list[Path]) -> tuple[Deployment, int]:
    """A twin of the speeches through the CLI, all approved but the last (returned as a draft id), and users."""
    from sqlalchemy import text

    from service.db import make_engine, make_session_factory, session_scope

    env = bench_env(kind, url, queue)
    started = time.perf_counter()
    cli(env, "init")
    cli(env, "twin", "create", "obama", "--name", "Barack Obama", "--title", "President of the United States",
        "--speaker", "THE PRESIDENT")
    cli(env, "twin", "consent", "obama", "--by", "Barack Obama", "--scope", "load benchmark")
    cli(env, "ingest", "obama", *map(str, files[:-1]), "--approve", "--json")
    cli(env, "ingest", "obama", str(files[-1]), "--json")
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        tokens, curator = add_bench_users(session)
        draft = int(session.execute(text("SELECT id FROM sources WHERE status = 'draft'")).scalar_one())
        passages = session.execute(text("SELECT count(*) FROM passages")).scalar()
    engine.dispose()
    questions = [json.loads(line)["question"] for line in OBAMA_QUESTIONS.read_text().splitlines() if line.strip()]
    console.print(f"[dim]{kind}: {len(files)} speeches ({passages} passages) and {BENCH_USERS} users ready in "
                  f"{time.perf_counter() - started:.1f} s[/]")
    return Deployment(kind, url, "obama", tokens, curator, questions, env), draft


def profile_current(url: str, slug: str) -> bool:
    """Whether the twin's style profile has been rebuilt for its approved corpus as it stands."""
    from sqlalchemy.orm import Session

    from service.corpus import store
    from service.db import make_engine
    from service.twin.persona import corpus_fingerprint

    engine = make_engine(url)
    with Session(engine) as session:
        twin = store.get_twin(session, slug)
        current = (twin.persona or {}).get("style_state") == corpus_fingerprint(session, twin)
    engine.dispose()
    return bool(current)


def approval(kind: str, workdir: Path, *, users: int, warm_seconds: int) -> list[LoadResult]:
    """The warm service on Obama's speeches, then the first 20 s after a curator approves one more speech."""
    import requests

    files = speeches_of("Barack Obama")
    if len(files) < 2:
        console.print("[yellow]approval: Obama's speeches are not in ../shared/data; skipped[/]")
        return []
    queue = f"understudy-bench-{uuid.uuid4().hex[:6]}"
    with database(kind, workdir) as url:
        dep, draft = prepare_speeches(kind, url, queue, files)
        with gunicorn(dep, workdir) as (base, pid):
            warm = run_wrk(dep, base, workdir, users=users, seconds=warm_seconds,
                           scenario="ask, Obama's speeches (warm)", master_pid=pid)
            before = profile_current(url, dep.slug)
            started = time.perf_counter()
            approved = requests.post(f"{base}/api/v1/sources/{draft}/approve", timeout=60,
                                     headers={"Authorization": f"Bearer {dep.curator_token}"})
            approve_ms = (time.perf_counter() - started) * 1000
            if approved.status_code != 200:
                raise RuntimeError(f"approve answered {approved.status_code}: {approved.text[:300]}")
            after = run_wrk(dep, base, workdir, users=users, seconds=APPROVAL_SECONDS,
                            scenario=f"first {APPROVAL_SECONDS} s after approving a source", master_pid=pid)
            rebuilt = profile_current(url, dep.slug)
    warm.note = f"{len(files) - 1} of {len(files)} speeches approved; style profile current: {before}"
    after.note = (f"the approval answered in {approve_ms:.0f} ms; style profile rebuilt in the background "
                  f"by the end: {rebuilt}")
    return [warm, after]


# --- growth ----------------------------------------------------------------------------------------

def vocabulary(url: str) -> list[str]:
    """Words to draw generated passages from, repeated by frequency: real English (the presidential speeches,
    when ../shared/data has them) plus the example corpus, so common and rare terms are as common and rare as
    in a real executive's archive; the example corpus alone (a small vocabulary) is the pessimistic fallback."""
    from sqlalchemy import text

    from service.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        texts = [row[0] for row in conn.execute(text("SELECT text FROM passages"))]
    engine.dispose()
    words = [w for t in texts for w in re.findall(r"[A-Za-z][a-z']+", t)]
    for path in sorted(SPEECHES.glob("*.txt"))[::3] if SPEECHES.is_dir() else []:
        words.extend(re.findall(r"[A-Za-z][a-z']+", path.read_text(errors="replace")))
    return words


def add_passages(url: str, slug: str, count: int, words: list[str], seed: int) -> float:
    """Bulk COPY `count` approved executive passages (in sources of 100) into the twin; returns seconds."""
    import psycopg

    rng = random.Random(seed)
    started = time.perf_counter()
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        twin_id = conn.execute("SELECT id FROM twins WHERE slug = %s", (slug,)).fetchone()[0]  # type: ignore[index]
        sources = (count + 99) // 100
        first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM sources").fetchone()[0]  # type: ignore[index]
        with conn.cursor().copy("COPY sources (id, twin_id, title, kind, filename, sha256, size_bytes, date, audience, "
                                "status, version, uploaded_by, uploaded_at, approved_by, approved_at, metadata) "
                                "FROM STDIN") as copy:
            for i in range(sources):
                sid = first + i
                copy.write_row((sid, twin_id, f"Generated memo {sid}", "memo", f"generated-{sid}.txt",
                                uuid.uuid4().hex + uuid.uuid4().hex, 0, f"20{10 + i % 15}-0{1 + i % 9}-1{i % 9}",
                                "everyone", "approved", 1, "bench", "2025-01-01T00:00:00Z", "bench",
                                "2025-01-01T00:00:00Z", "{}"))
        conn.execute("SELECT setval(pg_get_serial_sequence('sources', 'id'), (SELECT max(id) FROM sources))")
        with conn.cursor().copy("COPY passages (source_id, twin_id, ordinal, text, speaker, executive, locator, "
                                "context, words) FROM STDIN") as copy:
            for n in range(count):
                length = rng.randint(40, 110)
                body = " ".join(rng.choices(words, k=length)).capitalize() + "."
                copy.write_row((first + n // 100, twin_id, n % 100, body, None, True, f"¶ {n % 100 + 1}", "", length))
        conn.execute("ANALYZE passages")
        conn.execute("ANALYZE sources")
    return time.perf_counter() - started


def database_sizes(url: str) -> tuple[float, float]:
    from sqlalchemy import text

    from service.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        database = conn.execute(text("SELECT pg_database_size(current_database())")).scalar() or 0
        passages = conn.execute(text("SELECT pg_total_relation_size('passages')")).scalar() or 0
    engine.dispose()
    return database / 2**20, passages / 2**20


def growth(dep: Deployment, workdir: Path, *, steps: list[int], seconds: int, users: int) -> list[GrowthResult]:
    words = vocabulary(dep.url)
    results = []
    have = 0
    for step in steps:
        added = add_passages(dep.url, dep.slug, step - have, words, seed=step)
        have = step
        with gunicorn(dep, workdir) as (url, pid):
            run = run_wrk(dep, url, workdir, users=users, seconds=seconds, scenario=f"growth {step}", master_pid=pid)
            rss = worker_rss_mb(pid)
        database_mb, passages_mb = database_sizes(dep.url)
        results.append(GrowthResult(passages=step, insert_s=round(added, 1), database_mb=round(database_mb),
                                    passages_mb=round(passages_mb), web_rss_mb=round(rss), rps=run.rps,
                                    p50_ms=run.p50_ms, p95_ms=run.p95_ms, p99_ms=run.p99_ms,
                                    errors=run.server_errors + run.other_errors + run.socket_errors))
        console.print(f"[dim]growth: {step:,} extra passages, p95 {run.p95_ms} ms[/]")
    return results


# --- report ----------------------------------------------------------------------------------------

def load_table(results: list[LoadResult]) -> Table:
    table = Table("database", "scenario", "users", "req/s", "answers/s", "p50 ms", "p95 ms", "p99 ms",
                  "429", "5xx", "other errors", "CPU ms/answer", "load", "note",
                  title="Ask (extractive) under gunicorn on loopback")
    for r in results:
        table.add_row(r.db, r.scenario, str(r.users), f"{r.rps:.0f}", f"{r.answers_per_s:.0f}", f"{r.p50_ms:.0f}",
                      f"{r.p95_ms:.0f}", f"{r.p99_ms:.0f}", str(r.rate_limited), str(r.server_errors),
                      str(r.other_errors + r.socket_errors), f"{r.cpu_ms_per_answer:.1f}", f"{r.load_avg:.1f}", r.note)
    return table


def growth_table(results: list[GrowthResult]) -> Table:
    table = Table("passages added", "COPY s", "database MB", "passages MB", "web RSS MB", "req/s", "p50 ms",
                  "p95 ms", "p99 ms", "errors", title="Growth on PostgreSQL (10 users)")
    for r in results:
        table.add_row(f"{r.passages:,}", f"{r.insert_s:.0f}", f"{r.database_mb:.0f}", f"{r.passages_mb:.0f}",
                      f"{r.web_rss_mb:.0f}", f"{r.rps:.0f}", f"{r.p50_ms:.0f}", f"{r.p95_ms:.0f}", f"{r.p99_ms:.0f}",
                      str(r.errors))
    return table


def markdown(results: list[LoadResult], grown: list[GrowthResult]) -> str:
    """The tables as Markdown for the README."""
    lines = ["| database | scenario | users | req/s | answers/s | p50 ms | p95 ms | p99 ms | 429 | 5xx | other errors "
             "| web CPU ms/answer | load avg |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.db} | {r.scenario} | {r.users} | {r.rps:.0f} | {r.answers_per_s:.0f} | {r.p50_ms:.0f} | "
                     f"{r.p95_ms:.0f} | {r.p99_ms:.0f} | {r.rate_limited} | {r.server_errors} | "
                     f"{r.other_errors + r.socket_errors} | {r.cpu_ms_per_answer:.1f} | {r.load_avg:.1f} |")
    if grown:
        lines += ["", "| passages added | database MB | web RSS MB | req/s | p50 ms | p95 ms | p99 ms | errors |",
                  "|---|---|---|---|---|---|---|---|"]
        for g in grown:
            lines.append(f"| {g.passages:,} | {g.database_mb:.0f} | {g.web_rss_mb:.0f} | {g.rps:.0f} | {g.p50_ms:.0f} | "
                         f"{g.p95_ms:.0f} | {g.p99_ms:.0f} | {g.errors} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 s runs; growth to 20,000 passages only")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--users", default="10,50,200", help="comma-separated user counts")
    parser.add_argument("--seconds", type=int, help="length of each run (default 60, quick 10)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: infra/gunicorn.conf.py's)")
    parser.add_argument("--skip-mixed", action="store_true")
    parser.add_argument("--skip-growth", action="store_true")
    parser.add_argument("--skip-flood", action="store_true", help="skip one user flooding with the shipped limit")
    parser.add_argument("--skip-ask", action="store_true", help="skip the ask runs at each user count")
    parser.add_argument("--skip-approval", action="store_true",
                        help="skip the first 20 s after an approval (Obama's speeches)")
    parser.add_argument("--files", type=int, default=1000, help="files ingested during the mixed run")
    parser.add_argument("--growth", default=None, help="cumulative passages to add, e.g. 20000,200000,1000000")
    args = parser.parse_args(argv)
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        console.print("[red]wrk is not installed:[/] apt-get install -y wrk")
        return 2
    seconds = args.seconds or (10 if args.quick else 60)
    users = [int(u) for u in args.users.split(",") if u.strip()]
    steps = [int(s) for s in (args.growth or ("20000" if args.quick else "20000,200000,1000000")).split(",")]
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    console.print(f"[dim]load average before: {load_average_1m()} on {os.cpu_count()} cores[/]")
    results: list[LoadResult] = []
    grown: list[GrowthResult] = []
    with tempfile.TemporaryDirectory(prefix="understudy-load-") as tmp:
        workdir = Path(tmp)
        for kind in kinds:
            queue = f"understudy-bench-{uuid.uuid4().hex[:6]}"
            examples = not (args.skip_flood and args.skip_ask and args.skip_mixed
                            and (args.skip_growth or kind != "postgresql"))
            if examples:
                with database(kind, workdir) as url:
                    dep = prepare(kind, url, queue)
                    if not args.skip_flood:  # before the mixed run grows the corpus
                        results += flood(dep, workdir, seconds=max(10, seconds // 2))
                    with gunicorn(dep, workdir, workers=args.workers) as (base, pid):
                        for n in users if not args.skip_ask else []:
                            results.append(run_wrk(dep, base, workdir, users=n, seconds=seconds, scenario="ask",
                                                   master_pid=pid))
                            console.print(f"[dim]{kind} {n} users: {results[-1].answers_per_s} answers/s, "
                                          f"p95 {results[-1].p95_ms} ms[/]")
                        if not args.skip_mixed:
                            results.append(mixed(dep, base, workdir, users=50, seconds=seconds,
                                                 files=args.files if not args.quick else min(args.files, 200),
                                                 master_pid=pid))
                    if kind == "postgresql" and not args.skip_growth:
                        grown = growth(dep, workdir, steps=steps, seconds=max(10, seconds // 3), users=10)
            if not args.skip_approval:
                results += approval(kind, workdir, users=10, warm_seconds=max(10, seconds // 3))
                console.print(f"[dim]{kind} after an approval: p99 {results[-1].p99_ms if results else '-'} ms[/]")
    console.print(load_table(results))
    if grown:
        console.print(growth_table(grown))
    console.print(f"[dim]load average after: {load_average_1m()}[/]")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"load": [asdict(r) for r in results], "growth": [asdict(g) for g in grown],
                               "seconds": seconds, "markdown": markdown(results, grown)}, indent=2))
    print(markdown(results, grown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
