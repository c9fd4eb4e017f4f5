"""HTTPS for a field kit on a local network: a self-signed certificate made at start-up, and a small TLS front.

Waitress speaks plain HTTP only, so it listens on loopback and this front, bound to the address
people connect to, unwraps TLS and passes the bytes through. The certificate's private key is
never written to disk: it lives in this process's memory (handed to OpenSSL through an anonymous
in-memory file) and is gone when the kit stops. People check the certificate by its fingerprint,
which the kit prints at start and browsers show.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import ipaddress
import os
import ssl
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALID_DAYS = 30
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Certificate:
    certificate_pem: bytes
    private_key_pem: bytes
    fingerprint: str  # SHA-256 of the DER certificate, as browsers show it: "AB:CD:…"


def self_signed(host: str) -> Certificate:
    """A new P-256 key and a certificate for ``host`` (and localhost), valid for VALID_DAYS."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Gatehouse field kit")])
    now = datetime.datetime.now(datetime.UTC)
    alternative_names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for address in {host, "127.0.0.1"}:
        try:
            alternative_names.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            alternative_names.append(x509.DNSName(address))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    return Certificate(
        certificate.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        fingerprint_of(der),
    )


def fingerprint_of(der: bytes) -> str:
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())


def server_context(certificate: Certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_from_memory(context, certificate.certificate_pem + certificate.private_key_pem)
    return context


def _load_from_memory(context: ssl.SSLContext, pem: bytes) -> None:
    """OpenSSL loads a key only from a path: give it an anonymous in-memory file, or a pipe, never a disk file."""
    if hasattr(os, "memfd_create"):
        descriptor = os.memfd_create("gatehouse-tls", os.MFD_CLOEXEC)
        try:
            os.write(descriptor, pem)
            context.load_cert_chain(f"/proc/self/fd/{descriptor}")
        finally:
            os.close(descriptor)
        return
    # Elsewhere a named pipe: its name is in a private folder, and its bytes only ever pass through memory.
    folder = Path(tempfile.mkdtemp(prefix="gatehouse-tls-"))
    pipe = folder / "chain.pem"
    os.mkfifo(pipe, 0o600)
    writer = threading.Thread(target=lambda: pipe.write_bytes(pem), daemon=True)
    try:
        writer.start()
        context.load_cert_chain(str(pipe))
        writer.join()
    finally:
        pipe.unlink(missing_ok=True)
        folder.rmdir()


class TlsFront(threading.Thread):
    """Accepts TLS connections on (host, port) and passes each one's bytes to and from the backend."""

    def __init__(self, host: str, port: int, context: ssl.SSLContext, backend_port: int) -> None:
        super().__init__(name="gatehouse-tls", daemon=True)
        self._address = (host, port)
        self._context = context
        self._backend_port = backend_port
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> None:
        """Start, and return once listening (or raise why it could not, such as an address in use)."""
        super().start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        loop = asyncio.get_running_loop()
        # asyncio's default handler prints the peer's address with every failed handshake: no address is logged.
        loop.set_exception_handler(lambda _loop, _context: None)
        try:
            server = await asyncio.start_server(
                self._relay, *self._address, ssl=self._context, ssl_handshake_timeout=30
            )
        except OSError as error:
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        async with server:
            await server.serve_forever()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", self._backend_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(_pipe(client_reader, backend_writer), _pipe(backend_reader, client_writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(_CHUNK):
            writer.write(chunk)
            await writer.drain()
    except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()
