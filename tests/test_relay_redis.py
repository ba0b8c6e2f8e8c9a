"""RedisBackend and its connections against a real redis-server, on asyncio and trio.

Two ``RedisBackend`` instances stand in for two processes sharing one Redis.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator

import anyio
import pytest

from rillet.events import Event, TextDelta
from rillet.relay import (
    END_EVENT,
    PRODUCER_GONE,
    ChannelNotFoundError,
    Entry,
    FellBehindError,
    Outcome,
    RedisBackend,
    Relay,
    RelayError,
    _connection,
    text,
)
from rillet.relay._connection import (
    RedisAddress,
    RedisConnection,
    RedisConnectionError,
    RedisPool,
    RoundTrips,
)
from rillet.relay._resp import RedisReplyError

pytestmark = [pytest.mark.anyio, pytest.mark.json_independent]

END = (END_EVENT, json.dumps({"status": "completed", "message": ""}))


async def connect(url: str) -> RedisConnection:
    return await RedisConnection.open(RedisAddress.from_url(url), RoundTrips())


def test_urls() -> None:
    address = RedisAddress.from_url("redis://al%40ice:s%3Acret@example.test:7000/3")
    assert (address.host, address.port, address.db) == ("example.test", 7000, 3)
    assert (address.username, address.password) == ("al@ice", "s:cret")
    assert "s:cret" not in repr(address)
    assert RedisAddress.from_url("redis://:pw@h") == RedisAddress("h", 6379, 0, None, "pw")
    with pytest.raises(ValueError, match="redis://"):
        RedisAddress.from_url("rediss://h")
    with pytest.raises(ValueError, match="a number"):
        RedisAddress.from_url("redis://h/x")


async def test_a_pipeline_is_one_round_trip_with_errors_in_place(redis_url: str) -> None:
    connection = await connect(redis_url)
    before = connection._round_trips.count
    replies = await connection.pipeline(
        [
            ["SET", "k", "v"],
            ["INCR", "k"],
            ["GET", "k"],
            ["RPUSH", "n", 1, 2],
            ["LRANGE", "n", 0, -1],
        ]
    )
    assert connection._round_trips.count == before + 1
    ok, failed, value, length, items = replies
    assert (ok, value, length, items) == ("OK", b"v", 2, [b"1", b"2"])
    assert isinstance(failed, RedisReplyError)
    assert failed.kind == "ERR"
    with pytest.raises(RedisReplyError, match="WRONGTYPE"):
        await connection.execute("LPUSH", "k", "x")
    assert await connection.execute("PING") == "PONG"  # an error reply leaves it usable
    await connection.aclose()


async def test_the_url_selects_the_database(redis_url: str) -> None:
    other = await connect(redis_url.replace("/0", "/3"))
    await other.execute("SET", "only-in-3", "1")
    default = await connect(redis_url)
    assert await default.execute("EXISTS", "only-in-3") == 0
    assert await other.execute("EXISTS", "only-in-3") == 1
    await other.aclose()
    await default.aclose()


async def test_credentials_are_sent_and_a_refusal_says_so(redis_url: str) -> None:
    admin = await connect(redis_url)
    await admin.execute("ACL", "SETUSER", "relay-test", "on", ">right", "~*", "+@all")
    host = redis_url.removeprefix("redis://")
    user = await connect(f"redis://relay-test:right@{host}")
    assert await user.execute("ACL", "WHOAMI") == b"relay-test"
    with pytest.raises(RedisConnectionError, match=r"at 127\.0\.0\.1:\d+/0 refused.*WRONGPASS"):
        await connect(f"redis://relay-test:wrong@{host}")
    await admin.execute("ACL", "DELUSER", "relay-test")
    await user.aclose()
    await admin.aclose()


async def test_refused_and_closed_connections_name_the_address(redis_url: str) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(
        RedisConnectionError, match=rf"cannot connect to Redis at 127\.0\.0\.1:{port}/0"
    ):
        await connect(f"redis://127.0.0.1:{port}")
    victim, killer = await connect(redis_url), await connect(redis_url)
    await killer.execute("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
    with pytest.raises(RedisConnectionError, match=r"127\.0\.0\.1:\d+/0 closed the connection"):
        await victim.execute("PING")
    assert victim.broken
    await killer.aclose()
    await victim.aclose()


async def test_the_pool_reuses_connections_and_drops_broken_ones(redis_url: str) -> None:
    pool = RedisPool(RedisAddress.from_url(redis_url), size=2, round_trips=RoundTrips())
    ids = [await pool.execute("CLIENT", "ID") for _ in range(3)]
    assert len(set(ids)) == 1  # one after the other: one connection
    assert isinstance(ids[0], int)
    async with pool.dedicated() as connection:
        await connection.execute("CLIENT", "KILL", "ID", ids[0])
    with pytest.raises(RedisConnectionError):
        await pool.execute("PING")
    assert await pool.execute("PING") == "PONG"  # a new connection replaced the broken one
    await pool.aclose()
    with pytest.raises(RedisConnectionError, match="closed"):
        await pool.execute("PING")


async def test_append_and_read_one_round_trip_each(redis_url: str) -> None:
    async with RedisBackend(redis_url, prefix="t:") as backend:
        assert await backend.claim("c", lease=5)
        before = backend.round_trips
        assert await backend.append("c", [("a", "1"), ("b", "2"), ("c", "3")]) == 3
        assert backend.round_trips == before + 1
        before = backend.round_trips
        entries = await backend.read("c", 1, limit=10, wait=0)
        assert backend.round_trips == before + 1
        assert entries == [Entry(2, "b", "2"), Entry(3, "c", "3")]
        assert await backend.append("c", [END]) == 4
        assert await backend.producing("c") is False


async def test_a_second_process_wakes_a_waiting_reader(redis_url: str) -> None:
    async with (
        RedisBackend(redis_url) as producer,
        RedisBackend(redis_url) as reader,
        anyio.create_task_group() as tg,
    ):
        assert await producer.claim("c", lease=5)
        got: list[Entry] = []
        done = anyio.Event()

        async def read() -> None:
            got.extend(await reader.read("c", 0, limit=10, wait=5))
            done.set()

        tg.start_soon(read)
        await anyio.sleep(0.05)
        assert got == []
        with anyio.fail_after(2):
            await producer.append("c", [("text", '"hi"')])
            await done.wait()
        assert got == [Entry(1, "text", '"hi"')]


async def test_a_backend_works_without_async_with(redis_url: str) -> None:
    producer, reader = RedisBackend(redis_url), RedisBackend(redis_url)
    assert await producer.claim("c", lease=5)
    async with anyio.create_task_group() as tg:
        tg.start_soon(producer.append, "c", [("x", "1")])
        with anyio.fail_after(2):
            assert await reader.read("c", 0, limit=10, wait=2) == [Entry(1, "x", "1")]
    assert await reader.read("c", 1, limit=10, wait=0.05) == []
    await producer.aclose()
    await reader.aclose()


async def test_one_blocking_read_serves_every_waiting_subscriber(redis_url: str) -> None:
    subscribers, batches = 100, 5
    async with RedisBackend(redis_url) as producer, RedisBackend(redis_url) as reader:
        assert await producer.claim("c", lease=5)
        received: list[list[Entry]] = [[] for _ in range(subscribers)]

        async def subscribe(mine: list[Entry]) -> None:
            while not mine or mine[-1].event != END_EVENT:
                mine += await reader.read("c", mine[-1].id if mine else 0, limit=100, wait=5)

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for mine in received:
                    tg.start_soon(subscribe, mine)
                await anyio.sleep(0.05)
                for batch in range(batches):
                    await producer.append("c", [("n", f"{batch}.{i}") for i in range(3)])
                    await anyio.sleep(0.01)
                await producer.append("c", [END])
        expected = [entry.data for entry in received[0]]
        assert len(expected) == 3 * batches + 1
        assert all([entry.data for entry in mine] == expected for mine in received)
        # The first subscriber's look, then one XREAD per batch (at most), not one per subscriber.
        assert reader.round_trips <= 1 + batches + 1


async def test_a_channel_is_claimed_once_across_processes(redis_url: str) -> None:
    async with RedisBackend(redis_url) as first, RedisBackend(redis_url) as second:
        results: list[bool] = []

        async def claim(backend: RedisBackend) -> None:
            results.append(await backend.claim("c", lease=5))

        async with anyio.create_task_group() as tg:
            for backend in [first, second, first, second]:
                tg.start_soon(claim, backend)
        assert sorted(results) == [False, False, False, True]
        appended: list[int | str] = []
        for backend in [first, second]:
            try:
                appended.append(await backend.append("c", [("x", "1")]))
            except RelayError as error:
                appended.append(str(error))
        # Only the one that claimed it can produce.
        assert sorted(map(str, appended)) == [
            "1",
            "relay channel 'c': not claimed by this backend, or ended",
        ]


async def test_cancel_from_one_process_reaches_the_producer_in_another(redis_url: str) -> None:
    async with RedisBackend(redis_url, block=0.2) as producer, RedisBackend(redis_url) as other:
        assert await producer.claim("c", lease=5)
        with pytest.raises(ChannelNotFoundError):
            await other.cancel("nope")
        with pytest.raises(ChannelNotFoundError):
            await producer.wait_cancelled("nope")
        cancelled = anyio.Event()

        async def wait(backend: RedisBackend) -> None:
            await backend.wait_cancelled("c")
            cancelled.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(wait, producer)
            tg.start_soon(wait, producer)  # every waiter sees it
            await anyio.sleep(0.3)  # past one block: waits are renewed
            assert not cancelled.is_set()
            with anyio.fail_after(2):
                await other.cancel("c")
        with anyio.fail_after(1):  # a later wait returns at once
            await producer.wait_cancelled("c")


async def test_an_unknown_channel_is_not_found(redis_url: str) -> None:
    async with RedisBackend(redis_url) as backend:
        with pytest.raises(ChannelNotFoundError):
            await backend.read("nope", 0, limit=10, wait=0)
        with pytest.raises(ChannelNotFoundError):
            await backend.read("nope", 0, limit=10, wait=0.05)
        assert not await backend.producing("nope")
        assert await backend.claim("fresh", lease=5)  # claimed, nothing appended yet: it exists
        assert await backend.read("fresh", 0, limit=10, wait=0) == []


# -- the relay over Redis: a producer in one process, subscribers in another ---------------------


def delta(n: int) -> TextDelta:
    return TextDelta(text=f"w{n} ")


async def test_a_stream_published_in_one_process_is_read_in_another(redis_url: str) -> None:
    claimed, go = anyio.Event(), anyio.Event()

    async def source() -> AsyncIterator[Event]:
        claimed.set()  # a source is read once its channel is claimed
        yield delta(0)
        await go.wait()
        for n in range(1, 4):
            yield delta(n)

    async with (
        RedisBackend(redis_url) as here,
        RedisBackend(redis_url) as there,
        Relay(here) as producer,
        Relay(there) as subscriber,
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(lambda: producer.publish("c", source(), select=text))
        await claimed.wait()
        subscriptions = [subscriber.subscribe("c") for _ in range(3)]
        texts: list[str] = []
        with anyio.fail_after(5):
            async for entry in subscriptions[0]:
                texts.append(json.loads(entry.data))
                go.set()
            for subscription in subscriptions[1:]:
                assert [json.loads(entry.data) async for entry in subscription] == texts
        assert texts == ["w0 ", "w1 ", "w2 ", "w3 "]
        assert [subscription.outcome for subscription in subscriptions] == [
            Outcome("completed")
        ] * 3


async def test_a_cancel_in_one_process_stops_the_producer_in_another(redis_url: str) -> None:
    claimed = anyio.Event()

    async def source() -> AsyncIterator[Event]:
        claimed.set()
        yield delta(0)
        await anyio.sleep_forever()

    async with (
        RedisBackend(redis_url) as here,
        RedisBackend(redis_url) as there,
        Relay(here) as producer,
        Relay(there) as subscriber,
    ):
        outcomes: list[Outcome | None] = []

        async def publish() -> None:
            outcomes.append(await producer.publish("c", source(), select=text))

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(publish)
                await claimed.wait()
                subscription = subscriber.subscribe("c")
                async for _ in subscription:
                    await subscriber.cancel("c")
        assert outcomes == [subscription.outcome]
        assert subscription.outcome is not None
        assert subscription.outcome.status == "cancelled"


async def test_a_killed_producer_ends_its_subscribers_elsewhere(redis_url: str) -> None:
    killed = RedisBackend(redis_url)
    assert await killed.claim("c", 0.2)
    await killed.append("c", [("text", '"w0 "')])
    await killed.aclose()  # the process died: no renewal, no end
    async with RedisBackend(redis_url) as there, Relay(there, producer_check=0.05) as relay:
        subscription = relay.subscribe("c")
        with anyio.fail_after(3):
            assert [entry.data async for entry in subscription] == ['"w0 "']
        assert subscription.outcome == PRODUCER_GONE


BUSY = """
local t = redis.call('TIME')
local start = t[1] * 1000000 + t[2]
repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start > 300000
"""  # keeps Redis busy for 0.3 s: what it reads meanwhile, it runs after


async def test_an_append_cut_off_mid_way_keeps_the_ids_contiguous(redis_url: str) -> None:
    admin = await connect(redis_url)
    async with RedisBackend(redis_url) as backend, anyio.create_task_group() as tg:
        assert await backend.claim("c", 5)
        await backend.append("c", [("a", "1")])
        tg.start_soon(admin.execute, "EVAL", BUSY, 0)
        await anyio.sleep(0.05)
        with anyio.move_on_after(0.1):
            await backend.append("c", [("b", "2")])  # sent; its answer is never read
        with anyio.fail_after(3):
            last = await backend.append("c", [("c", "3")])
        entries = await backend.read("c", 0, limit=10, wait=0)
    await admin.aclose()
    assert [entry.id for entry in entries] == list(range(1, last + 1))
    assert [entry.data for entry in entries] == ["1", "2", "3"]  # Redis ran the one cut off


async def test_a_redis_that_stops_answering_fails_the_command(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_connection, "REPLY_TIMEOUT", 0.1)
    admin, client = await connect(redis_url), await connect(redis_url)
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: admin.execute("EVAL", BUSY, 0, blocks=1.0))  # Redis is silent
        await anyio.sleep(0.05)
        with anyio.fail_after(2), pytest.raises(RedisConnectionError) as caught:
            await client.execute("PING")
    address = RedisAddress.from_url(redis_url)
    assert str(caught.value) == f"Redis at {address} sent no reply within 0.1 s"
    assert client.broken  # its reply may still come: the connection is out of step
    await admin.aclose()
    await client.aclose()


async def test_a_waiting_reader_behind_the_trimmed_log_is_told(redis_url: str) -> None:
    async with RedisBackend(redis_url, max_entries=10) as backend:
        assert await backend.claim("c", lease=5)
        for start in range(0, 400, 100):  # MAXLEN ~ trims whole nodes (100 entries)
            await backend.append("c", [("n", str(i)) for i in range(start, start + 100)])
        with anyio.fail_after(2), pytest.raises(FellBehindError) as caught:
            await backend.read("c", 0, limit=10, wait=1)  # through this process's reader
        assert 1 < caught.value.first_kept <= 391
