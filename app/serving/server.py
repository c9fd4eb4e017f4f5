"""Serving an instance with waitress: the daily purge in the same process, plain HTTP on loopback, or HTTPS
through a TLS front for a field kit on a local network."""

from __future__ import annotations

import errno
import ipaddress
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import waitress
from flask import Flask

from app.common.errors import GatehouseError
from app.instance.folder import Instance, InstanceMissing
from app.serving import tls
from app.serving.maintenance import DailyMaintenance, run_daily
from app.web.application import MAX_BODY_BYTES, create_app
from app.web.state import state_of

WAITRESS_SETTINGS = {
    "ident": "",  # no Server header
    # Refuse oversized bodies unread, and never spill a request body to a temporary file.
    "max_request_body_size": MAX_BODY_BYTES,
    "inbuf_overflow": MAX_BODY_BYTES + 1,
    "clear_untrusted_proxy_headers": True,
    "expose_tracebacks": False,
}


class AddressInUse(GatehouseError):
    """Another program (an earlier `gatehouse demo` or `serve`, often) already listens on that address."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"{host}:{port} is already in use, perhaps by a Gatehouse started earlier: stop that one, or give --port"
        )


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def start_maintenance(instance: Instance, echo: Callable[[str], None], backup_folder: Path | None = None) -> None:
    """Retention runs at start-up and every day after, from this process: no external scheduler to forget."""
    report = run_daily(instance, backup_folder, at_start=True)
    if report.values_destroyed:
        echo(f"Purged {report.values_destroyed} expired values ({report.records} whole records) at start-up.")
    DailyMaintenance(instance, backup_folder=backup_folder).start()


def serve_instance(
    config: Mapping[str, Any], host: str, port: int, echo: Callable[[str], None], https: bool = False
) -> None:
    """Build the application, run the start-up purge and the daily timer, and serve until stopped."""
    app = create_app(config)
    instance = state_of(app).instance
    if instance is None:
        raise InstanceMissing(Path(app.instance_path))
    start_maintenance(instance, echo, config.get("BACKUP_FOLDER"))
    serve(app, instance.event.id, host, port, echo, https)


def serve(app: Flask, event_id: str, host: str, port: int, echo: Callable[[str], None], https: bool = False) -> None:
    """Serve until stopped; with ``https``, waitress listens on a free loopback port behind the TLS front."""
    try:
        if not https:
            server = waitress.create_server(app, host=host, port=port, **WAITRESS_SETTINGS)
        else:
            server = waitress.create_server(app, host="127.0.0.1", port=0, url_scheme="https", **WAITRESS_SETTINGS)
            certificate = tls.self_signed(host)
            tls.TlsFront(host, port, tls.server_context(certificate), server.effective_port).start()
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise AddressInUse(host, port) from None
        raise
    if not https:
        echo(f"Gatehouse is serving {event_id} at http://{host}:{port}/")
    else:
        echo(f"Gatehouse is serving {event_id} at https://{host}:{port}/")
        echo(f"Certificate fingerprint (SHA-256), for people to check in their browser:\n  {certificate.fingerprint}")
    echo("Press Ctrl+C to stop.")
    server.run()
