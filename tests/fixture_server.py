"""What the tests' HTTP servers share (tests/mygene_server.py, tests/eutils_server.py): a
threaded server on 127.0.0.1 with a request log, a queue of injected faults and a lock, and a
request handler that reads the form (query string and POST body) and writes answers, whole or
cut short."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlparse

S = TypeVar("S", bound="FixtureServer")


class FixtureServer(ThreadingHTTPServer):
    """A server on a free port of 127.0.0.1, served by a daemon thread once started.

    Subclasses set ``url_path`` (the API root) and override ``reset_settings()`` for their own
    switches; ``log`` and ``faults`` are theirs to fill (under ``lock``)."""

    daemon_threads = True
    allow_reuse_address = True
    url_path = ""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        super().__init__(("127.0.0.1", 0), handler)
        self.log: list[tuple[Any, str, dict[str, str]]] = []
        self.faults: list[tuple[Any, ...]] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @classmethod
    def from_file(cls: type[S], path: str | Path) -> S:
        return cls(json.loads(Path(path).read_text("utf-8")))  # type: ignore[call-arg]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{self.url_path}"

    def start(self: S) -> S:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def reset(self) -> None:
        """Forget the requests, the faults not yet used and the switches."""
        with self.lock:
            self.log.clear()
            self.faults.clear()
            self.reset_settings()

    def reset_settings(self) -> None:
        """Put the subclass's switches (latency, rate limit, ...) back to their defaults."""


class FixtureHandler(BaseHTTPRequestHandler):
    """Every request goes to ``handle_request()``."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def form(self) -> dict[str, str]:
        """The query string's fields, then the POST body's (the last repeated key wins)."""
        form = dict(parse_qsl(urlparse(self.path).query, keep_blank_values=True))
        if self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            form.update(parse_qsl(body, keep_blank_values=True))
        return form

    def send(self, status: int, body: bytes, ctype: str,
             headers: dict[str, str] | None = None, truncate: bool = False) -> None:
        """Answer; ``truncate``: the right headers, half of the body, then a closed connection
        (a broken transfer)."""
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body[: len(body) // 2] if truncate else body)
            if truncate:
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:  # the client gave up (a timeout test)
            self.close_connection = True

    def drop(self) -> None:
        """Close the connection without answering."""
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def handle_request(self) -> None:
        raise NotImplementedError

    def do_GET(self) -> None:  # noqa: N802
        self.handle_request()

    def do_POST(self) -> None:  # noqa: N802
        self.handle_request()
