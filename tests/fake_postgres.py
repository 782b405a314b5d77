"""A fake PostgreSQL server on 127.0.0.1: it answers a client's startup message with the
authentication request it was given and records what the client sends back, so a test can
prove whether a password reached a server that should never get it.

It speaks only the start of the protocol: SSLRequest (answered with TLS when it has a
certificate, else refused), GSSENCRequest (refused), the startup message, one
authentication request; then it hangs up.
"""

from __future__ import annotations

import contextlib
import datetime
import socket
import ssl
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104
#: AuthenticationCleartextPassword and AuthenticationMD5Password (salt "salt").
ASK_CLEARTEXT = b"R" + struct.pack("!ii", 8, 3)
ASK_MD5 = b"R" + struct.pack("!ii", 12, 5) + b"salt"


@dataclass(frozen=True)
class Exchange:
    """One connection: its startup parameters and the message the client answered with."""

    startup: dict[str, str]
    tls: bool
    reply_type: bytes  # b"p" is a PasswordMessage; b"" means the client hung up
    reply: bytes

    @property
    def password_sent(self) -> bool:
        return self.reply_type == b"p"


def self_signed_tls(directory: Path) -> ssl.SSLContext:
    """A server context with a throw-away certificate for 127.0.0.1 (sslmode=require
    verifies nothing, which is the point)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(hours=1)).sign(key, hashes.SHA256()))
    (directory / "server.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "server.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "server.crt", directory / "server.key")
    return context


def _receive(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


@dataclass
class FakePostgres:
    """``with FakePostgres(ASK_CLEARTEXT) as server:`` listens on ``server.port``."""

    ask: bytes
    tls: ssl.SSLContext | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    port: int = 0
    _listener: socket.socket = field(default_factory=socket.socket)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> FakePostgres:
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=5)
        self._listener.close()

    @property
    def passwords_sent(self) -> list[bytes]:
        return [exchange.reply for exchange in self.exchanges if exchange.password_sent]

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            with connection, contextlib.ExitStack() as cleanup:
                connection.settimeout(5)
                try:
                    self._answer(connection, cleanup)
                except (OSError, struct.error):
                    continue  # a client that hangs up mid-handshake has sent nothing more

    def _answer(self, connection: socket.socket, cleanup: contextlib.ExitStack) -> None:
        tls = False
        while True:
            length, code = struct.unpack("!ii", _receive(connection, 8))
            body = _receive(connection, length - 8)
            if code == SSL_REQUEST and self.tls is not None:
                connection.sendall(b"S")
                connection = cleanup.enter_context(self.tls.wrap_socket(connection, server_side=True))
                tls = True
            elif code in (SSL_REQUEST, GSSENC_REQUEST):
                connection.sendall(b"N")
            else:
                break
        fields = body.split(b"\0")
        startup = {k.decode(): v.decode() for k, v in zip(fields[0::2], fields[1::2], strict=False) if k}
        connection.sendall(self.ask)
        header = _receive(connection, 5)
        reply_type, reply = header[:1], b""
        if len(header) == 5:
            reply = _receive(connection, struct.unpack("!i", header[1:])[0] - 4)
        self.exchanges.append(Exchange(startup, tls, reply_type, reply))
