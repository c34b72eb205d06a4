"""Every command of the README's "Using it" block, as written, in one shell right after `understudy demo`."""

from __future__ import annotations

import contextlib
import fcntl
import re
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def using_it_commands() -> list[str]:
    """The lines of the first sh block under "## Using it", without their comments."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Using it", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


@contextlib.contextmanager
def port_8000_to_ourselves() -> Iterator[None]:
    """Hold a machine-wide lock while `understudy serve` has port 8000 (the README's command names no port):
    scripts/test runs the SQLite and PostgreSQL suites at once, and both reach this test."""
    with (Path(tempfile.gettempdir()) / "understudy-tests-port-8000.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.own_database
@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "understudy").exists(), reason="needs the .venv of scripts/demo")
def test_every_command_of_using_it_exits_0_after_the_demo(tmp_path: Path) -> None:
    from tests.web.test_readme_walk import demo_environment

    env = demo_environment(tmp_path)
    demo = subprocess.run([str(ROOT / ".venv/bin/understudy"), "demo", "--no-serve"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    commands = using_it_commands()
    assert commands[0] == "source .venv/bin/activate" and commands[-1].startswith("understudy serve")
    for command in commands[1:-1]:
        ran = subprocess.run(["bash", "-c", f"source .venv/bin/activate && {command}"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=600)
        assert ran.returncode == 0, f"{command}\n{ran.stdout}\n{ran.stderr}"
    with port_8000_to_ourselves():
        if port_in_use(8000):
            pytest.skip("port 8000 is taken on this machine, so `understudy serve` was not run")
        server = subprocess.Popen(["bash", "-c", f"source .venv/bin/activate && exec {commands[-1]}"], cwd=ROOT,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert server.stdout is not None
        for line in server.stdout:
            if "serving on http://127.0.0.1:8000/" in line:
                break
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=60) == 0
