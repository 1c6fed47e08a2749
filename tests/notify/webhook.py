"""A local HTTP server standing in for an SMS or chat gateway: it records what it is sent and
answers with the status the test sets. Loopback only."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Gateway:
    def __init__(self) -> None:
        self.received: list[dict] = []  # every request: headers and JSON body
        self.acknowledged: list[str] = []  # Idempotency-Keys answered 2xx
        self.status = 200
        self.hang_on = None  # the n-th request (1-based) is held without an answer
        self.hanging = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with gateway.lock:
                    gateway.received.append({"headers": dict(self.headers), "body": body,
                                             "json": json.loads(body)})  # fmt: skip
                    count = len(gateway.received)
                if gateway.hang_on == count:
                    gateway.hanging.set()
                    gateway.release.wait(30)
                    self.close_connection = True
                    return  # no answer: the sender never learns it arrived
                self.send_response(gateway.status)
                self.end_headers()
                if 200 <= gateway.status < 300:
                    with gateway.lock:
                        gateway.acknowledged.append(self.headers["Idempotency-Key"])

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Gateway:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
