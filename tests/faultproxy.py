"""A small HTTP proxy for tests that injects faults in front of a real server: it forwards every
request, and for the ones a rule names it throws the real answer away and sends a 5xx instead,
so the server has committed what the client believes failed."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


class FaultProxy:
    def __init__(self, upstream: str, port: int):
        self.upstream = upstream.rstrip("/")
        self.url = f"http://127.0.0.1:{port}"
        self.rules: list[dict] = []
        self.seen: list[tuple[str, str, int]] = []  # (method, path, status sent)
        self.in_flight: dict[str, int] = {}  # requests being forwarded now, by method
        self.most_in_flight: dict[str, int] = {}  # the most at once, by method
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _forward(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                proxy._count(self.command, +1)
                try:
                    with httpx.Client(timeout=120) as client:
                        answer = client.request(self.command, proxy.upstream + self.path, content=body, headers=headers)
                finally:
                    proxy._count(self.command, -1)
                status, content, out = answer.status_code, answer.content, answer.headers
                rule = proxy._rule_for(self.command, self.path)
                if rule is not None:  # the server did it; the client hears it failed
                    status, content, out = rule["status"], b'{"detail": "injected by FaultProxy"}', {"content-type": "application/json"}
                proxy.seen.append((self.command, self.path, status))
                self.send_response(status)
                for key, value in out.items():
                    if key.lower() not in _HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    def fail_after_commit(self, method: str, path: str, *, times: int = 1, status: int = 502) -> None:
        """Answer the next ``times`` requests matching (``method``, ``path`` regex) with ``status``
        after forwarding them."""
        self.rules.append({"method": method, "path": re.compile(path), "times": times, "status": status})

    def _count(self, method: str, step: int) -> None:
        with self._lock:
            self.in_flight[method] = self.in_flight.get(method, 0) + step
            self.most_in_flight[method] = max(self.most_in_flight.get(method, 0), self.in_flight[method])

    def _rule_for(self, method: str, path: str) -> dict | None:
        for rule in self.rules:
            if rule["times"] > 0 and rule["method"] == method and rule["path"].search(path):
                rule["times"] -= 1
                return rule
        return None

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
