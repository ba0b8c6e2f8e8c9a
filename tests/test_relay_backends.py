"""The contract every relay backend keeps (run against each: ``relay_backend``'s params).

A backend joins by adding its name to the fixture's params and a branch that builds it.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import AsyncGenerator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rillet.relay import (
    END_EVENT,
    Backend,
    ChannelNotFoundError,
    FellBehindError,
    MemoryBackend,
    RedisBackend,
)

pytestmark = [pytest.mark.anyio, pytest.mark.json_independent]

BackendFactory = Callable[..., Backend]
"""Builds a backend: ``factory(max_entries=..., retention=...)``."""

_names = itertools.count()


@pytest.fixture(params=["memory", "redis"])
def relay_backend(request: pytest.FixtureRequest) -> BackendFactory:
    """A factory of the backend under test, taking ``max_entries`` and ``retention``."""
    if request.param == "memory":
        return MemoryBackend
    if request.param == "redis":  # a real redis-server (tests/redis_server.py)
        return functools.partial(RedisBackend, request.getfixturevalue("redis_url"))
    raise NotImplementedError(request.param)


@asynccontextmanager
async def opened(factory: BackendFactory, **options: Any) -> AsyncGenerator[Backend]:
    backend = factory(**options)
    try:
        if isinstance(backend, AbstractAsyncContextManager):  # RedisBackend: its readers' tasks
            async with backend:
                yield backend
        else:
            yield backend
    finally:
        await backend.aclose()


def fresh() -> str:
    """A channel name no other test uses (backends like Redis are shared by the session)."""
    return f"contract-{next(_names)}-{id(object())}"


async def test_ids_start_at_one_and_follow_across_batches(relay_backend: BackendFactory) -> None:
    async with opened(relay_backend) as backend:
        channel = fresh()
        assert await backend.claim(channel, 5)
        assert await backend.append(channel, [("a", "1"), ("b", "2")]) == 2
        assert await backend.append(channel, [("c", "3")]) == 3
        assert await backend.append(channel, [("d", "4"), ("e", "5\nfive"), ("f", "")]) == 6
        entries = await backend.read(channel, 0, limit=100, wait=0)
        assert [(e.id, e.event, e.data) for e in entries] == [
            (1, "a", "1"),
            (2, "b", "2"),
            (3, "c", "3"),
            (4, "d", "4"),
            (5, "e", "5\nfive"),
            (6, "f", ""),
        ]


async def test_a_read_gives_exactly_the_entries_after_its_position(
    relay_backend: BackendFactory,
) -> None:
    async with opened(relay_backend) as backend:
        channel = fresh()
        await backend.claim(channel, 5)
        await backend.append(channel, [("e", str(n)) for n in range(1, 8)])
        for after in range(8):
            for limit in (1, 3, 100):
                entries = await backend.read(channel, after, limit=limit, wait=0)
                expected = list(range(after + 1, min(after + limit, 7) + 1))
                assert [e.id for e in entries] == expected
                assert [e.data for e in entries] == [str(n) for n in expected]


async def test_a_waiting_read_returns_when_an_entry_is_appended(
    relay_backend: BackendFactory,
) -> None:
    async with opened(relay_backend) as backend:
        channel = fresh()
        await backend.claim(channel, 5)
        await backend.append(channel, [("e", "1")])
        got: list[list[int]] = []

        async def reader() -> None:
            got.append([e.id for e in await backend.read(channel, 1, limit=10, wait=10)])

        with anyio.fail_after(5):
            async with anyio.create_task_group() as group:
                group.start_soon(reader)
                group.start_soon(reader)
                await anyio.sleep(0.05)
                await backend.append(channel, [("e", "2"), ("e", "3")])
        assert got == [[2, 3], [2, 3]]


async def test_a_read_that_waits_in_vain_is_empty(relay_backend: BackendFactory) -> None:
    async with opened(relay_backend) as backend:
        channel = fresh()
        await backend.claim(channel, 5)
        await backend.append(channel, [("e", "1")])
        started = anyio.current_time()
        assert list(await backend.read(channel, 1, limit=10, wait=0.1)) == []
        assert anyio.current_time() - started >= 0.09


async def test_a_channel_is_claimed_once_until_it_expires(relay_backend: BackendFactory) -> None:
    async with opened(relay_backend, retention=0.3) as backend:
        channel = fresh()
        assert await backend.claim(channel, 5)
        assert not await backend.claim(channel, 5)
        await backend.append(channel, [("e", "1"), (END_EVENT, "{}")])
        assert not await backend.claim(channel, 5)
        await anyio.sleep(0.4)
        assert await backend.claim(channel, 5)
        assert list(await backend.read(channel, 0, limit=10, wait=0)) == []


async def test_the_log_is_bounded_and_a_reader_behind_it_is_told(
    relay_backend: BackendFactory,
) -> None:
    async with opened(relay_backend, max_entries=3) as backend:
        channel = fresh()
        await backend.claim(channel, 5)
        # Many more than kept: a backend may trim approximately (Redis's MAXLEN ~).
        last = await backend.append(channel, [("e", str(n)) for n in range(1, 1001)])
        assert last == 1000
        with pytest.raises(FellBehindError) as caught:
            await backend.read(channel, 0, limit=10, wait=0)
        assert caught.value.after == 0
        assert 1 < caught.value.first_kept <= 998
        entries = await backend.read(channel, 997, limit=10, wait=0)
        assert [e.id for e in entries] == [998, 999, 1000]


async def test_an_unknown_channel_is_not_found(relay_backend: BackendFactory) -> None:
    async with opened(relay_backend) as backend:
        channel = fresh()
        with pytest.raises(ChannelNotFoundError) as caught:
            await backend.read(channel, 0, limit=10, wait=0)
        assert caught.value.channel == channel
        assert not await backend.producing(channel)


async def test_a_channel_expires_after_its_end(relay_backend: BackendFactory) -> None:
    async with opened(relay_backend, retention=0.2) as backend:
        channel, other = fresh(), fresh()
        await backend.claim(channel, 5)
        await backend.claim(other, 5)
        await backend.append(channel, [("e", "1"), (END_EVENT, "{}")])
        await backend.append(other, [("e", "1")])
        assert [e.id for e in await backend.read(channel, 0, limit=10, wait=0)] == [1, 2]
        await anyio.sleep(0.3)
        with pytest.raises(ChannelNotFoundError):
            await backend.read(channel, 0, limit=10, wait=0)
        # A channel that did not end stays.
        assert [e.id for e in await backend.read(other, 0, limit=10, wait=0)] == [1]


async def test_the_lease_expires_unless_renewed_and_ends_with_the_channel(
    relay_backend: BackendFactory,
) -> None:
    async with opened(relay_backend) as backend:
        channel, renewed = fresh(), fresh()
        await backend.claim(channel, 0.3)
        await backend.claim(renewed, 0.3)
        assert await backend.producing(channel)
        await anyio.sleep(0.05)
        await backend.renew(renewed, 2)
        await anyio.sleep(0.35)
        assert not await backend.producing(channel)
        assert await backend.producing(renewed)
        await backend.append(renewed, [(END_EVENT, "{}")])
        assert not await backend.producing(renewed)


async def test_a_cancel_reaches_who_waits_for_it(relay_backend: BackendFactory) -> None:
    async with opened(relay_backend) as backend:
        channel = fresh()
        await backend.claim(channel, 5)
        cancelled = anyio.Event()

        async def producer() -> None:
            await backend.wait_cancelled(channel)
            cancelled.set()

        with anyio.fail_after(5):
            async with anyio.create_task_group() as group:
                group.start_soon(producer)
                await anyio.sleep(0.05)
                assert not cancelled.is_set()
                await backend.cancel(channel)
        assert cancelled.is_set()


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    batches=st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=8),
    after=st.integers(min_value=0, max_value=50),
    limit=st.integers(min_value=1, max_value=60),
)
def test_any_batches_then_a_read_from_anywhere(
    relay_backend: BackendFactory, anyio_backend: str, batches: list[int], after: int, limit: int
) -> None:
    async def check() -> None:
        async with opened(relay_backend) as backend:
            channel = fresh()
            await backend.claim(channel, 5)
            count = 0
            for size in batches:
                batch = [("e", str(count + n)) for n in range(1, size + 1)]
                last = await backend.append(channel, batch)
                count += size
                assert last == count
            entries = await backend.read(channel, after, limit=limit, wait=0)
            expected = list(range(after + 1, min(after + limit, count) + 1))
            assert [(e.id, e.data) for e in entries] == [(n, str(n)) for n in expected]

    anyio.run(check, backend=anyio_backend)
