"""Serving an instance with waitress: the daily purge in the same process, plain HTTP on loopback, or HTTPS
through a TLS front for a field kit on a local network."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import waitress
from flask import Flask

from app import MAX_BODY_BYTES, tls
from app.instance import Instance
from app.maintenance import DailyMaintenance, run_daily

WAITRESS_SETTINGS = {
    "ident": "",  # no Server header
    # Refuse oversized bodies unread, and never spill a request body to a temporary file.
    "max_request_body_size": MAX_BODY_BYTES,
    "inbuf_overflow": MAX_BODY_BYTES + 1,
    "clear_untrusted_proxy_headers": True,
    "expose_tracebacks": False,
}


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def start_maintenance(instance: Instance, echo: Callable[[str], None]) -> None:
    """Retention runs at start-up and every day after, from this process: no external scheduler to forget."""
    report = run_daily(instance)
    if report.values_destroyed:
        echo(f"Purged {report.values_destroyed} expired values ({report.records} whole records) at start-up.")
    DailyMaintenance(instance).start()


def serve(app: Flask, host: str, port: int, echo: Callable[[str], None], https: bool = False) -> None:
    """Serve until stopped; with ``https``, waitress listens on a free loopback port behind the TLS front."""
    event_id = app.extensions["gatehouse"].event.id
    if not https:
        server = waitress.create_server(app, host=host, port=port, **WAITRESS_SETTINGS)
        echo(f"Gatehouse is serving {event_id} at http://{host}:{port}/")
    else:
        server = waitress.create_server(app, host="127.0.0.1", port=0, url_scheme="https", **WAITRESS_SETTINGS)
        certificate = tls.self_signed(host)
        tls.TlsFront(host, port, tls.server_context(certificate), server.effective_port).start()
        echo(f"Gatehouse is serving {event_id} at https://{host}:{port}/")
        echo(f"Certificate fingerprint (SHA-256), for people to check in their browser:\n  {certificate.fingerprint}")
    echo("Press Ctrl+C to stop.")
    server.run()
