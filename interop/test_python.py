"""Interop with the Python `websockets` library, in both directions, on loopback.

    WSGATE_BIN=target/release/wsgate .venv/bin/python -m pytest -q interop

- the `websockets` client against `wsgate echo`, with and without permessage-deflate;
- `wsgate connect` against a `websockets` server, with and without permessage-deflate.

Every network wait is bounded (TIMEOUT); processes started here are stopped by PID.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

ROOT = Path(__file__).resolve().parent.parent
WSGATE = os.environ.get("WSGATE_BIN", str(ROOT / "target" / "release" / "wsgate"))
TIMEOUT = 20
MIB = 1024 * 1024
COMPRESSION = [pytest.param(None, id="no-compression"), pytest.param("deflate", id="deflate")]


# ---- wsgate echo under test, websockets as the client ---------------------------------


@pytest.fixture(scope="module")
def echo_url(tmp_path_factory):
    """`wsgate echo` on an ephemeral loopback port."""
    assert os.access(WSGATE, os.X_OK), f"build {WSGATE} first (scripts/test does)"
    # The server writes its own file description of the log and we read through
    # another: a shared one would share the offset, and our seeks would make the
    # server overwrite what it wrote.
    log = tmp_path_factory.mktemp("echo") / "stderr.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [WSGATE, "echo", "--listen", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        addr = wait_for_listen(proc, log)
        yield f"ws://{addr}/"
    finally:
        proc.terminate()
        proc.wait(timeout=TIMEOUT)


def wait_for_listen(proc: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + TIMEOUT
    text = ""
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        # Only a whole line counts: a partial "listening on 127" is not an address.
        if m := re.search(r"^listening on (127\.0\.0\.1:\d+)\r?\n", text, re.M):
            return m.group(1)
        if proc.poll() is not None:
            pytest.fail(f"wsgate exited with {proc.returncode}:\n{text}")
        time.sleep(0.05)
    pytest.fail(f"wsgate did not print its address in time; its stderr:\n{text}")


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, TIMEOUT))


def negotiated(ws) -> str:
    return ws.response.headers.get("Sec-WebSocket-Extensions", "")


@pytest.mark.parametrize("compression", COMPRESSION)
def test_extension_negotiated(echo_url, compression):
    async def main():
        async with connect(echo_url, compression=compression) as ws:
            return negotiated(ws)

    ext = run(main())
    if compression:
        assert ext.startswith("permessage-deflate"), ext
    else:
        assert ext == ""


@pytest.mark.parametrize("compression", COMPRESSION)
def test_text_and_binary_echo(echo_url, compression):
    async def main():
        async with connect(echo_url, compression=compression) as ws:
            for msg in ["hello", "", "h\u00e9llo \U0001f600", b"\x00\x01\xfe\xff", b""]:
                await ws.send(msg)
                assert await ws.recv() == msg

    run(main())


@pytest.mark.parametrize("compression", COMPRESSION)
def test_one_mib_messages(echo_url, compression):
    async def main():
        async with connect(echo_url, compression=compression, max_size=4 * MIB) as ws:
            big_binary = secrets.token_bytes(MIB)  # incompressible
            await ws.send(big_binary)
            assert await ws.recv() == big_binary
            big_text = ("wsgate " * (MIB // 7 + 1))[:MIB]  # compressible
            await ws.send(big_text)
            assert await ws.recv() == big_text

    run(main())


@pytest.mark.parametrize("compression", COMPRESSION)
def test_fragmented_message(echo_url, compression):
    async def main():
        async with connect(echo_url, compression=compression) as ws:
            await ws.send(["frag", "ment", "ed \u00e9"])
            assert await ws.recv() == "fragmented \u00e9"
            await ws.send([b"\x01" * 1000, b"\x02" * 70000])
            assert await ws.recv() == b"\x01" * 1000 + b"\x02" * 70000

    run(main())


@pytest.mark.parametrize("compression", COMPRESSION)
def test_ping_pong(echo_url, compression):
    async def main():
        async with connect(echo_url, compression=compression, ping_interval=None) as ws:
            pong = await ws.ping(b"are you there")
            latency = await asyncio.wait_for(pong, TIMEOUT)
            assert latency >= 0
            # A ping between messages does not disturb the data stream.
            await ws.send("after ping")
            assert await ws.recv() == "after ping"

    run(main())


@pytest.mark.parametrize("compression", COMPRESSION)
def test_close_code_round_trip(echo_url, compression):
    async def main():
        async with connect(echo_url, compression=compression) as ws:
            await ws.send("x")
            assert await ws.recv() == "x"
            await ws.close(4000, "bye from python")
            return ws.protocol.close_rcvd

    rcvd = run(main())
    assert rcvd is not None, "wsgate did not answer the close frame"
    # RFC 6455 5.5.1: the reply typically echoes the status code; the reason is optional.
    assert rcvd.code == 4000


# ---- wsgate connect under test, websockets as the server ------------------------------


class PeerServer:
    """A `websockets` echo server that records what it saw."""

    def __init__(self, compression, close_with=None, subprotocols=None):
        self.compression = compression
        self.subprotocols_offered = subprotocols
        self.close_with = close_with
        self.requests = []
        self.subprotocols = []
        self.received = []
        self.close_codes = []

    async def handler(self, ws):
        self.requests.append(ws.request.headers)
        self.subprotocols.append(ws.subprotocol)
        if self.close_with:
            await ws.close(*self.close_with)
            return
        try:
            async for msg in ws:
                self.received.append(msg)
                await ws.send(msg)
        except Exception:  # noqa: BLE001 - a dropped connection is recorded below
            pass
        rcvd = ws.protocol.close_rcvd
        self.close_codes.append(rcvd.code if rcvd else None)


async def run_connect(server: PeerServer, args: list[str], stdin: bytes | None, replies: int = 0):
    """Run `wsgate connect ARGS` against SERVER and return (status, stdout, stderr).

    STDIN is written, then, once REPLIES lines have been printed, stdin is closed (an
    early EOF would close the connection before the server's replies: a peer may drop
    data after a close frame). STDIN None keeps stdin open until the process exits.
    """
    async with serve(
        server.handler,
        "127.0.0.1",
        0,
        compression=server.compression,
        subprotocols=server.subprotocols_offered,
    ) as srv:
        port = srv.sockets[0].getsockname()[1]
        proc = await asyncio.create_subprocess_exec(
            WSGATE,
            "connect",
            f"ws://127.0.0.1:{port}/chat",
            *args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

        async def session():
            out = b""
            if stdin is not None:
                proc.stdin.write(stdin)
                await proc.stdin.drain()
                for _ in range(replies):
                    out += await proc.stdout.readline()
                proc.stdin.close()
            rest, err, _ = await asyncio.gather(proc.stdout.read(), proc.stderr.read(), proc.wait())
            return out + rest, err

        try:
            out, err = await asyncio.wait_for(session(), TIMEOUT)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        # Let the server's handler finish recording the close.
        await asyncio.sleep(0.05)
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("compression", COMPRESSION)
def test_connect_lines(compression):
    server = PeerServer(compression)
    args = ["--compress"] if compression else []
    rc, out, err = asyncio.run(run_connect(server, args, b"hello\nw\xc3\xb6rld\n", replies=2))
    assert rc == 0, err
    assert out == "hello\nw\u00f6rld\n"
    assert server.received == ["hello", "w\u00f6rld"]
    assert server.close_codes == [1000]
    offer = server.requests[0].get("Sec-WebSocket-Extensions", "")
    assert ("permessage-deflate" in offer) == bool(compression), offer


def test_connect_binary_hex():
    server = PeerServer(None)
    rc, out, err = asyncio.run(run_connect(server, ["-b"], b"hi\n", replies=1))
    assert rc == 0, err
    assert server.received == [b"hi"]
    assert out == "6869\n"


@pytest.mark.parametrize("compression", COMPRESSION)
def test_connect_one_message(compression):
    server = PeerServer(compression)
    args = ["-1"] + (["--compress"] if compression else [])
    payload = "line one\nline two\n" + "z" * 200_000
    rc, out, err = asyncio.run(run_connect(server, args, payload.encode()))
    assert rc == 0, err
    assert server.received == [payload]
    assert out == payload + "\n"


def test_connect_headers_and_protocol():
    server = PeerServer(None, subprotocols=["chat.v1"])
    args = ["-H", "X-Test: 42", "--origin", "http://example.test", "--protocol", "chat.v1"]
    rc, _, err = asyncio.run(run_connect(server, args, b""))
    assert rc == 0, err
    headers = server.requests[0]
    assert headers["X-Test"] == "42"
    assert headers["Origin"] == "http://example.test"
    assert server.subprotocols == ["chat.v1"]


def test_connect_reports_peer_close_code():
    server = PeerServer(None, close_with=(4002, "go away"))
    rc, _, err = asyncio.run(run_connect(server, [], None))
    assert rc != 0
    assert "4002" in err and "go away" in err, err


# ---- wss:// (TLS) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A throwaway CA and a server certificate for 127.0.0.1 (openssl CLI)."""
    d = tmp_path_factory.mktemp("tls")
    ext = d / "ext.cnf"
    ext.write_text(
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    steps = [
        ["req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
         "-subj", "/CN=wsgate test CA"],
        ["req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"],
    ]  # fmt: skip
    for step in steps:
        subprocess.run(["openssl", *step], cwd=d, check=True, capture_output=True, timeout=TIMEOUT)
    return d


async def run_connect_tls(tls_files, args: list[str]):
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tls_files / "server.pem", tls_files / "server.key")
    server = PeerServer(None)
    async with serve(server.handler, "127.0.0.1", 0, ssl=ctx) as srv:
        port = srv.sockets[0].getsockname()[1]
        proc = await asyncio.create_subprocess_exec(
            WSGATE, "connect", f"wss://127.0.0.1:{port}/", "-1", *args,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            out, err = await asyncio.wait_for(proc.communicate(b"over tls"), TIMEOUT)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    return proc.returncode, out.decode(), err.decode()


def test_connect_wss_with_cacert(tls_files):
    rc, out, err = asyncio.run(run_connect_tls(tls_files, ["--cacert", str(tls_files / "ca.pem")]))
    assert rc == 0, err
    assert out == "over tls\n"


def test_connect_wss_insecure(tls_files):
    rc, out, err = asyncio.run(run_connect_tls(tls_files, ["--insecure"]))
    assert rc == 0, err
    assert out == "over tls\n"


def test_connect_wss_rejects_an_unknown_ca(tls_files):
    rc, _, err = asyncio.run(run_connect_tls(tls_files, []))
    assert rc == 3, err
    assert "tls" in err.lower(), err
