"""TLS: verification is always on, and an extra CA bundle makes a private CA trusted.

A real TLS server on loopback with a freshly generated self-signed certificate."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.errors import TransportError
from bulktui.api.exchange import ssl_context
from bulktui.api.lifecycle import JobKind
from bulktui.api.retry import RetryPolicy
from tests.api.api_fakes import JOB_ID, SESSION, job_xml


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bulktui test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    body = job_xml().content

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            head = (
                f"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the client refused our certificate
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"https://127.0.0.1:{port}", cert


async def test_an_unknown_ca_is_refused_once_and_clearly(tls_server: tuple[str, Path]) -> None:
    url, _ = tls_server
    client = BulkClient(Connection(url, SESSION), retry=RetryPolicy(sleep=_never))
    async with client:
        with pytest.raises(TransportError, match=r"verification failed for 127\.0\.0\.1"):
            await client.get_job(JOB_ID, JobKind.V1)
    assert client.requests_sent == 1


async def test_the_ca_bundle_makes_it_trusted(tls_server: tuple[str, Path]) -> None:
    url, cert = tls_server
    async with BulkClient(Connection(url, SESSION, ca_file=str(cert))) as client:
        assert (await client.get_job(JOB_ID, JobKind.V1)).id == JOB_ID


def test_the_context_always_verifies(tmp_path: Path) -> None:
    cert, _ = _self_signed(tmp_path)
    context = ssl_context(str(cert))
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert any(c["subject"] == ((("commonName", "bulktui test"),),) for c in context.get_ca_certs())


def test_an_unreadable_ca_bundle_is_a_plain_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(TransportError, match="cannot load the CA bundle"):
        ssl_context(str(bad))


async def _never(seconds: float) -> None:
    raise AssertionError("a certificate failure must not be retried")
