"""A PostgreSQL for the store's tests: a throwaway cluster, or the server the environment names."""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

# PostgreSQL: a throwaway cluster started once per session with initdb and pg_ctl from Debian's
# `postgresql` package (.ci/run installs it), or the server GRADIENT_LAB_TEST_POSTGRES names
# (e.g. postgresql+psycopg://user@localhost/scratch). Every test gets its own schema there.
POSTGRES = os.environ.get("GRADIENT_LAB_TEST_POSTGRES")
PG_BIN = "/usr/lib/postgresql/*/bin"
PG_SERVER_OPTIONS = (  # a scratch server: nothing to keep, so nothing to flush
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
)


def _pg_bindir() -> Path | None:
    """The newest PostgreSQL bin directory with initdb and pg_ctl (Debian's, else on PATH)."""
    found = sorted(
        (Path(d) for d in glob.glob(PG_BIN)),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
        reverse=True,
    )
    if shutil.which("initdb"):
        found.append(Path(shutil.which("initdb")).parent)
    return next((d for d in found if (d / "initdb").exists() and (d / "pg_ctl").exists()), None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A new PostgreSQL cluster in a temp dir on 127.0.0.1 (trust auth), yielding its URL; it is
    stopped and deleted afterwards. As root, initdb and pg_ctl (which refuse root) run as the
    postgres user."""
    bindir = _pg_bindir()
    if bindir is None:
        pytest.fail(
            f"PostgreSQL's initdb and pg_ctl are not installed (looked in {PG_BIN} and on PATH): "
            "run `apt-get install postgresql`, as .ci/run does.",
            pytrace=False,
        )
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail(
                "As root the test cluster runs as the postgres user, which does not exist: run "
                "`apt-get install postgresql`, which creates it.",
                pytrace=False,
            )
    # Short (it holds the socket) and, as root, where the postgres user can reach it.
    base = Path(tempfile.mkdtemp(prefix="gradient-lab-pg-", dir="/tmp" if owner else None))
    data, log = base / "data", base / "server.log"

    def pg(tool: str, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(bindir / tool), *args]
        if owner is not None and shutil.which("runuser"):
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        elif owner is not None:
            cmd = ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(cmd)]
        return subprocess.run(cmd, cwd=base, capture_output=True, text=True, timeout=120)

    try:
        if owner is not None:
            os.chown(base, owner.pw_uid, owner.pw_gid)
        # UTF-8 with the C locale whatever the machine's LANG; no fsync: nothing here is kept.
        args = ["-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"]
        done = pg("initdb", *args, "--no-sync")
        if done.returncode:
            pytest.fail(f"initdb failed: {done.stderr.strip()}", pytrace=False)
        for _ in range(3):  # another process may take the free port before the server binds it
            port = _free_port()
            options = f"{PG_SERVER_OPTIONS} -p {port} -k {shlex.quote(str(base))}"
            done = pg(
                "pg_ctl", "start", "-w", "-t", "60", "-D", str(data), "-l", str(log), "-o", options
            )
            if done.returncode == 0:
                break
            pg("pg_ctl", "stop", "-D", str(data), "-m", "immediate")  # if it came up too late
        else:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else done.stderr
            pytest.fail(f"The test PostgreSQL did not start: {tail.strip()}", pytrace=False)
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            pg("pg_ctl", "stop", "-D", str(data), "-m", "immediate", "-w")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def with_options(url: str, *options: str) -> str:
    """A PostgreSQL URL whose connections start with these server options (libpq `options`)."""
    parsed = make_url(url)
    value = " ".join([parsed.query.get("options", ""), *options]).strip()
    return parsed.update_query_dict({"options": value}).render_as_string(hide_password=False)
