"""The bad-link proxy really delays and really caps: lower bounds only, which no slow machine can break."""

from __future__ import annotations

import socket
import threading
import time

from tests.badlink import BadLink

SLACK = 0.01  # the event loop's timer may fire a hair early; never late enough to matter here


def _upstream(reply_size: int) -> tuple[socket.socket, threading.Thread]:
    """A server that reads one request (ending in a blank line), answers reply_size bytes, and closes."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            received = b""
            while not received.endswith(b"\n\n"):
                received += connection.recv(65536)
            connection.sendall(b"x" * reply_size)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def _exchange(link: BadLink, request_size: int) -> tuple[float, int]:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", link.port)) as client:
        client.sendall(b"y" * (request_size - 2) + b"\n\n")
        received = 0
        while chunk := client.recv(65536):
            received += len(chunk)
    return time.monotonic() - started, received


def test_each_way_is_delayed_and_a_new_connection_pays_the_handshake():
    listener, thread = _upstream(reply_size=100)
    with listener, BadLink(listener.getsockname()[1], delay=0.2, rate=10**9) as link:
        elapsed, received = _exchange(link, request_size=100)
    thread.join(5)
    assert received == 100
    # handshake (there and back) + request there + reply back = four one-way delays
    assert elapsed >= 4 * 0.2 - SLACK, elapsed


def test_bandwidth_is_capped_each_way_and_every_byte_is_counted():
    listener, thread = _upstream(reply_size=8192)
    with listener, BadLink(listener.getsockname()[1], delay=0.0, rate=16 * 1024) as link:
        elapsed, received = _exchange(link, request_size=4096)
    thread.join(5)
    assert received == 8192
    assert (link.connections[0].up, link.connections[0].down) == (4096, 8192)
    assert elapsed >= (4096 + 8192) / (16 * 1024) - SLACK, elapsed


def test_a_registration_through_the_link_takes_one_connection_and_two_requests(live_server):
    from urllib.parse import urlsplit

    from benchmarks.bad_link import register_with_http_client

    run = register_with_http_client(urlsplit(live_server.url).port, delay=0.01, rate=10**8)
    assert (run.connections, run.requests) == (1, 2)
    assert 0 < run.up < run.down <= 2 * 12 * 1024, "two pages down, within their budget"
