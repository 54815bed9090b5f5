"""The run store's fixtures for tests/models/infra: a store on a SQLite file and on a real
PostgreSQL (a throwaway cluster per test session), each test on an empty database."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from models.infra.store import RunStore
from tests.support.postgres import POSTGRES, throwaway_postgres, with_options


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    if POSTGRES:
        yield POSTGRES
        return
    with throwaway_postgres() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:
    """The server's URL with a schema of this test's own first on the search path, dropped
    afterwards: every test starts from an empty database, as a new deployment does."""
    schema = f"test_{secrets.token_hex(6)}"
    admin = create_engine(postgres_server, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield with_options(postgres_server, f"-csearch_path={schema}")
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite-file", "postgres"])
def db_url(request, tmp_path) -> str:
    """The store's setting: a SQLite file path, or a PostgreSQL URL."""
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return str(tmp_path / "runs.db")


@pytest.fixture
def store(db_url) -> Iterator[RunStore]:
    store = RunStore(db_url)
    yield store
    store.engine.dispose()
