"""A bad link on loopback: a TCP proxy that delays every byte each way and caps the bandwidth each way.

Each direction is modelled as a link: a segment waits until the link is free, takes size ÷ rate to send, and
arrives `delay` seconds after its last byte left. A new connection first pays the TCP handshake: the client's
bytes can leave only one round trip after it connected. Standard library only.

    with BadLink(upstream_port=8080, delay=0.75, rate=20 * 1024) as link:
        ...  # talk to 127.0.0.1:link.port; link.connections counts what crossed
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

SEGMENT = 1400  # about one TCP segment on a 1500-byte link
READ = 64 * 1024


@dataclass
class Crossed:
    """What one connection carried: bytes from the client (up) and bytes to it (down)."""

    up: int = 0
    down: int = 0


class BadLink:
    def __init__(self, upstream_port: int, delay: float = 0.75, rate: float = 20 * 1024, host: str = "127.0.0.1"):
        self.upstream = (host, upstream_port)
        self.delay = delay  # seconds, each way
        self.rate = rate  # bytes per second, each way
        self.connections: list[Crossed] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bad-link", daemon=True)
        self._carrying: set[asyncio.Task] = set()

    def __enter__(self) -> BadLink:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc_info) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()
        for task in self._carrying:  # a connection still draining when the link is taken down
            task.cancel()
        await asyncio.gather(*self._carrying, return_exceptions=True)

    def _accept(self, client_reader, client_writer) -> None:
        loop = asyncio.get_running_loop()
        task = loop.create_task(self._connection(client_reader, client_writer, loop.time()))
        self._carrying.add(task)
        task.add_done_callback(self._carrying.discard)

    async def _connection(self, client_reader, client_writer, connected_at: float) -> None:
        crossed = Crossed()
        self.connections.append(crossed)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.close()
            return

        def count_up(size: int) -> None:
            crossed.up += size

        def count_down(size: int) -> None:
            crossed.down += size

        # SYN there and SYN-ACK back: the client's first byte leaves one round trip after it connected.
        handshake_done = connected_at + 2 * self.delay
        await asyncio.gather(
            self._direction(client_reader, upstream_writer, handshake_done, count_up),
            self._direction(upstream_reader, client_writer, connected_at, count_down),
            return_exceptions=True,
        )
        for writer in (client_writer, upstream_writer):
            writer.close()

    async def _direction(self, reader, writer, link_free_at: float, count) -> None:
        """Carry one direction: bytes are read at once, then delivered when the link would deliver them."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def take_in() -> None:
            nonlocal link_free_at
            while True:
                data = await reader.read(READ)
                now = loop.time()
                if not data:
                    queue.put_nowait((max(now, link_free_at) + self.delay, b""))
                    return
                count(len(data))
                for start in range(0, len(data), SEGMENT):
                    segment = data[start : start + SEGMENT]
                    link_free_at = max(now, link_free_at) + len(segment) / self.rate
                    queue.put_nowait((link_free_at + self.delay, segment))

        async def deliver() -> None:
            while True:
                arrives_at, segment = await queue.get()
                await asyncio.sleep(max(0.0, arrives_at - loop.time()))
                if not segment:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(segment)
                await writer.drain()

        await asyncio.gather(take_in(), deliver())
