"""A small fake of the GitHub REST endpoints drift's issues use, and of chat webhooks, on 127.0.0.1.

It keeps issues and labels in memory, records every request (method, path, headers, JSON body), and
answers with canned responses first when a test queues some (a rate limit, a server error).
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REPOSITORY = "acme/infra"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    issues: list[dict[str, Any]] = field(default_factory=list)
    labels: set[str] = field(default_factory=set)
    comments: list[tuple[int, str]] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    webhooks: dict[str, list[Any]] = field(default_factory=dict)  # path -> payloads received
    webhook_status: dict[str, int] = field(default_factory=dict)  # path -> status it answers
    canned: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # answered first, in order
    page_size: int = 100
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def calls(self, method: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if method is None or r.method == method]

    def add_issue(self, title: str, body: str, state: str = "open", labels: tuple[str, ...] = ()) -> int:
        number = len(self.issues) + 1
        self.issues.append(
            {
                "number": number,
                "title": title,
                "body": body,
                "state": state,
                "labels": [{"name": n} for n in labels],
            }
        )
        return number

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        split = urllib.parse.urlsplit(raw_path)
        query = urllib.parse.parse_qs(split.query)
        with self.lock:
            self.requests.append(Recorded(method, split.path, query, headers, body))
            if self.canned:
                status, extra = self.canned.pop(0)
                return status, extra, {"message": "canned answer"}
            if split.path.startswith("/hooks/"):
                self.webhooks.setdefault(split.path, []).append(body)
                return self.webhook_status.get(split.path, 200), {}, {"ok": True}
            return self._api(method, split.path, query, body)

    def _api(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        base = f"/repos/{REPOSITORY}"
        if not path.startswith(base):
            return 404, {}, {"message": "Not Found"}
        rest = path[len(base) :]
        if method == "GET" and rest == "/issues":
            label = query.get("labels", [""])[0]
            page = int(query.get("page", ["1"])[0])
            chosen = [i for i in self.issues if label in {entry["name"] for entry in i["labels"]}]
            start = (page - 1) * self.page_size
            extra = {}
            if start + self.page_size < len(chosen):
                params = {k: v[0] for k, v in query.items()} | {"page": str(page + 1)}
                extra["Link"] = f'<{self.url}{path}?{urllib.parse.urlencode(params)}>; rel="next"'
            return 200, extra, chosen[start : start + self.page_size]
        if method == "POST" and rest == "/labels":
            if body["name"] in self.labels:
                return 422, {}, {"message": "Validation Failed"}
            self.labels.add(body["name"])
            return 201, {}, {"name": body["name"]}
        if method == "POST" and rest == "/issues":
            number = self.add_issue(body["title"], body["body"], "open", tuple(body.get("labels", ())))
            return 201, {}, self.issues[number - 1]
        parts = rest.strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "issues" and parts[1].isdigit():
            issue = self.issues[int(parts[1]) - 1]
            if method == "PATCH" and len(parts) == 2:
                issue.update({k: v for k, v in body.items() if k in ("title", "body", "state")})
                return 200, {}, issue
            if method == "POST" and parts[2:] == ["comments"]:
                self.comments.append((issue["number"], body["body"]))
                return 201, {}, {"id": len(self.comments)}
        return 404, {}, {"message": "Not Found"}


@contextmanager
def serving(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, extra, answer = fake.handle(self.command, self.path, headers, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
