"""The webhook receiver: Label Studio calls it when an annotation changes, and it starts a land.

A small HTTP server on 127.0.0.1 that accepts ``POST /webhook`` carrying the shared secret in the
``X-Claimflow-Secret`` header, answers at once (Label Studio waits 1 s at most), and pokes a
:class:`Coalescer`: one land runs for a burst of webhooks, and a webhook that arrives during a
land makes one more land after it. The land pulls everything changed since its watermark, so
the webhook's content does not matter and a lost one loses nothing.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from annotation.webhooks import ACTIONS, SECRET_HEADER

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
PATH = "/webhook"
MAX_BODY = 1_000_000  # bytes; without the payload Label Studio sends a few hundred


class Coalescer:
    """Runs ``work`` in a thread of its own after each :meth:`poke`, once per burst: pokes within
    ``debounce`` seconds of each other, or while ``work`` runs, give one more run, not one each.
    A run that fails (the warehouse locked by a reader, Label Studio down) is tried again later."""

    def __init__(
        self, work: Callable[[], object], *, debounce: float = 0.5, retries: int = 3, retry_after: float = 5.0,
        name: str = "claimflow-land-on-webhook",
    ):
        self.work = work
        self.debounce = debounce
        self.retries, self.retry_after = retries, retry_after  # a failed run is tried again after 5, 10, 15 s
        self.failures = 0  # failed runs in a row
        self.runs = 0  # finished runs of ``work``, failed ones included
        self._running = False
        self._poked = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def poke(self) -> None:
        self._poked.set()

    def _loop(self) -> None:
        while True:
            self._poked.wait()
            if self._stopped.is_set():
                return
            time.sleep(self.debounce)  # the rest of the burst
            self._running = True
            self._poked.clear()
            try:
                self.work()
                self.failures = 0
            except Exception:  # tried again in a while, a few times (and by the next webhook or the schedule)
                self.failures += 1
                log.exception("land after a webhook failed (%d in a row)", self.failures)
                if self.failures <= self.retries:
                    threading.Timer(self.retry_after * self.failures, self.poke).start()
            finally:
                self.runs += 1
                self._running = False

    @property
    def idle(self) -> bool:
        """Nothing running and nothing owed."""
        return not self._running and not self._poked.is_set()

    def stop(self, timeout: float | None = None) -> None:
        self._stopped.set()
        self._poked.set()
        self._thread.join(timeout)


class Receiver:
    """The HTTP server, in a thread of its own; ``on_change`` is called for each accepted webhook."""

    def __init__(self, *, port: int, secret: str, on_change: Callable[[str], None], host: str = HOST):
        self.accepted = 0
        self.refused = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._answer(200 if self.path == "/health" else 404, {"ok": self.path == "/health"})

            def do_POST(self) -> None:  # noqa: N802
                if self.path != PATH:
                    return self._answer(404, {"error": "not found"})
                given = self.headers.get(SECRET_HEADER, "")
                if not hmac.compare_digest(given.encode(), secret.encode()):
                    receiver.refused += 1
                    return self._answer(401, {"error": f"missing or wrong {SECRET_HEADER}"})
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    return self._answer(413, {"error": "too large"})
                try:
                    action = json.loads(self.rfile.read(length) or b"{}").get("action")
                except (ValueError, AttributeError):
                    return self._answer(400, {"error": "not a JSON object"})
                if action in ACTIONS:
                    receiver.accepted += 1
                    on_change(action)
                self._answer(200, {"ok": True})

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args) -> None:  # noqa: A002 (the headers, secret included, stay out)
                log.debug("webhook %s", format % args)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}{PATH}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="claimflow-webhooks", daemon=True)

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
