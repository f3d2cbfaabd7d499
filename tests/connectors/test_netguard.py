"""The address guard under every connection made on a store's behalf: the certificate is still checked
for the name although the socket goes to the checked address, and the rule is the process's."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connectors import netguard


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``name`` (its own CA), as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """An HTTPS server on 127.0.0.1 whose certificate names ``localhost``; yields (port, its CA)."""
    cert, key = _certificate(tmp_path, "localhost")
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], cert
    server.shutdown()
    server.server_close()


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = self.headers["Host"].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_tls_is_checked_for_the_name_while_the_socket_goes_to_the_checked_address(tls_server):
    """``localhost`` resolves to 127.0.0.1, the connection goes there, and the certificate, the SNI
    and the Host header are still about ``localhost``: an address is never what TLS is checked for."""
    port, ca = tls_server
    with netguard.session(public_only=False) as http:
        answer = http.get(f"https://localhost:{port}/", verify=str(ca), timeout=5)
        assert answer.text == f"localhost:{port}"
        with pytest.raises(requests.exceptions.SSLError):  # the same server by its address: no such name
            http.get(f"https://127.0.0.1:{port}/", verify=str(ca), timeout=5)


def test_in_production_the_same_server_is_not_connected_to(tls_server):
    port, ca = tls_server
    with netguard.session(public_only=True) as http, pytest.raises(netguard.AddressRefused):
        http.get(f"https://localhost:{port}/", verify=str(ca), timeout=5)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),  # shared address space (carrier NAT)
        ("169.254.169.254", False),  # cloud metadata
        ("224.0.0.1", False),  # multicast, which ipaddress counts as global
        ("240.0.0.1", False),
        ("0.0.0.0", False),  # noqa: S104
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("fec0::1", False),  # deprecated site-local
        ("::ffff:8.8.8.8", False),  # IPv4-mapped, whatever it maps
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
    ],
)
def test_which_addresses_are_public(address, public):
    assert netguard.is_public(ipaddress.ip_address(address)) is public
