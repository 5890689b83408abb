"""A real PostgreSQL server for the fleet push tests: one throwaway cluster per session.

Skipped (with the reason) only outside CI when the server isn't installed; with ``CI=true`` a
missing PostgreSQL fails the run, so CI can't go green without having run these tests.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from tests.pg_cluster import PgCluster, why_unavailable

_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg() -> Iterator[PgCluster]:
    reason = why_unavailable()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason} (.ci/run installs it)", pytrace=False)
        pytest.skip(reason)
    with PgCluster() as cluster:
        yield cluster


@pytest.fixture
def fleet_url(pg: PgCluster) -> str:
    """A fresh database with the fleet schema; the push role's URL (with its password)."""
    from kiosk.fleet.push import connect, init_schema

    name = f"fleet{next(_names)}"
    pg.create_database(name)
    with connect(pg.url(name)) as conn:
        init_schema(conn)
    return pg.url(name)


@pytest.fixture
def fleet_admin(pg: PgCluster, fleet_url: str) -> str:
    """The superuser's DSN for the same database (for looking, locking, killing)."""
    return pg.dsn(fleet_url.rsplit("/", 1)[1])
