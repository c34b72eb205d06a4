"""What the bench scripts share: where the data is, fresh databases, servers, timers and tables."""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from service.config import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SPEECHES = SHARED / "presidential-speeches"
PG_ADMIN_URL = os.environ.get("UNDERSTUDY_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

T = TypeVar("T")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a file, one a non-blank line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def speeches_of(president: str) -> list[Path]:
    """The president's speech files, oldest first (none when the shared data is absent)."""
    wanted = f"President: {president}\n"
    return [p for p in sorted(SPEECHES.glob("*.txt")) if p.read_text(encoding="utf-8").startswith(wanted)]


# --- databases ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Database:
    """A migrated database: settings that name it (nothing read from the environment), its engine, sessions."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]


def migrated_database(url: str) -> Database:
    """The database at `url` migrated to the latest schema."""
    from service.config import load_settings
    from service.db import make_engine, make_session_factory
    from service.migrate import upgrade_database

    settings = load_settings({"DATABASE_URL": url}, environ={})
    engine = make_engine(url)
    upgrade_database(engine)
    return Database(settings, engine, make_session_factory(engine))


@contextlib.contextmanager
def postgres_database(label: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on PG_ADMIN_URL's server, dropped when the block ends; its URL."""
    from sqlalchemy import text

    from service.db import make_engine

    name = f"understudy_bench_{label}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- servers -----------------------------------------------------------------------------------------------

def stop_process(process: subprocess.Popen[Any], signal_number: int, timeout: float) -> None:
    """Send a server the signal that stops it; kill it when it has not ended within `timeout` seconds."""
    process.send_signal(signal_number)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def fake_llm_settings(settings: Settings, base_url: str, *, timeout: float) -> Settings:
    """`settings` with the local stand-in model (tests/support/fake_openai.py, serving at `base_url`) as the LLM."""
    return settings.replace(llm_base_url=base_url, llm_model="fake-gpt", llm_api_key="bench", llm_timeout=timeout)


# --- timers ------------------------------------------------------------------------------------------------

def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """What `fn` returns and the milliseconds it took."""
    started = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - started) * 1000


def load_average() -> str:
    """The 1, 5 and 15-minute load averages (this machine is shared: figures are upper bounds)."""
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def load_average_1m() -> str:
    """The 1-minute load average, or nothing where the system does not tell."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return ""


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile: the ceil(q/100 * n)-th smallest value (NaN when there are none)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def percentile_rounded(values: Sequence[float], q: float) -> float:
    """The sorted values' item at index round(q/100 * (n - 1)), as answers.py and corrections.py count p95."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def percentile_floor(values: Sequence[float], q: float) -> float:
    """The sorted values' item at index floor(q/100 * n), at most the last, as the rehearsal benches count p95."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


# --- tables ------------------------------------------------------------------------------------------------

def new_table(title: str, columns: Sequence[str], *, left: int = 1, **options: Any) -> Table:
    """A table whose first `left` columns (names) are left-justified and the rest (figures) right-justified."""
    table = Table(title=title, **options)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i < left else "right")
    return table


def print_table(console: Console, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                digits: int) -> None:
    """Rows under a left-aligned title, the first column left and the rest right, floats with `digits` decimals."""
    table = new_table(title, columns, title_justify="left")
    for row in rows:
        table.add_row(*[f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row])
    console.print(table)


def percent(x: float) -> str:
    """A share as a percentage with one decimal: '96.9 %'."""
    return f"{100 * x:.1f} %"


def share(part: int, whole: int) -> float:
    """part / whole, or 0.0 when there is no whole."""
    return part / whole if whole else 0.0
