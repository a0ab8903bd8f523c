"""Fixtures for the worker tests: the queue on SQLite or on a private Redis index."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from tuika.settings import Settings

REDIS_BASE_URL = os.environ.get("TUIKA_TEST_REDIS_URL", "redis://127.0.0.1:6379")
_MARKER = "tuika:test:owner"


@pytest.fixture
def redis_url() -> Iterator[str]:
    """Return the URL of a Redis index that was empty, claimed for this test and emptied after it.

    Index 0 is left to people; the benchmark claims indexes from 15 down the same way.
    """
    owner = uuid.uuid4().hex
    index = next((i for i in range(1, 16) if _claim(i, owner)), None)
    if index is None:
        pytest.fail("no empty Redis database index (1-15) is free")
    yield f"{REDIS_BASE_URL}/{index}"
    client = redis.Redis.from_url(f"{REDIS_BASE_URL}/{index}")
    try:
        if client.get(_MARKER) == owner.encode():
            client.flushdb()
    finally:
        client.close()


def _claim(index: int, owner: str) -> bool:
    client = redis.Redis.from_url(f"{REDIS_BASE_URL}/{index}")
    try:
        if not client.set(_MARKER, owner, nx=True):
            return False
        if client.dbsize() == 1:
            return True
        client.delete(_MARKER)
        return False
    finally:
        client.close()


@pytest.fixture
def queue(request: pytest.FixtureRequest) -> str:
    """Return where the Huey queue lives: ``sqlite`` (in the data directory) or ``redis``; set by parametrize."""
    return str(request.param)


@pytest.fixture
def queue_settings(request: pytest.FixtureRequest, settings: Settings, queue: str) -> Settings:
    """Return the test's settings with the Huey queue on SQLite or on a private Redis index."""
    if queue == "sqlite":
        return settings
    return settings.model_copy(update={"redis_url": request.getfixturevalue("redis_url")})
