"""A TCP proxy on loopback that delays each direction by half a round trip, for a bench to see what a
real network's latency does to a protocol that waits for replies (SMTP's lock-step against its
pipelining) without a kernel queueing discipline (``tc netem`` needs privileges a bench lacks).

Each chunk read from one side is written to the other ``rtt / 2`` seconds after it arrived, in order,
while reading goes on: latency without a bandwidth limit, as on a fast link to a distant server.
"""

from __future__ import annotations

import asyncio
import threading


async def _carry(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def read() -> None:
        while data := await reader.read(65536):
            queue.put_nowait((loop.time() + delay, data))
        queue.put_nowait((loop.time() + delay, b""))

    async def write() -> None:
        while True:
            due, data = await queue.get()
            await asyncio.sleep(max(0.0, due - loop.time()))
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()

    await asyncio.gather(read(), write(), return_exceptions=True)


def start(listen_port: int, target_port: int, rtt_seconds: float) -> threading.Thread:
    """Serve on ``listen_port`` in a daemon thread, each connection carried to ``target_port``."""
    ready = threading.Event()

    async def serve() -> None:
        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target_port)
            await asyncio.gather(
                _carry(reader, upstream_writer, rtt_seconds / 2),
                _carry(upstream_reader, writer, rtt_seconds / 2),
            )

        server = await asyncio.start_server(connection, "127.0.0.1", listen_port)
        ready.set()
        async with server:
            await server.serve_forever()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True, name="latency")
    thread.start()
    if not ready.wait(10):
        raise SystemExit("the latency proxy did not start")
    return thread
