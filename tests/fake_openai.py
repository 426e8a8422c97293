"""A fake OpenAI-compatible chat endpoint on 127.0.0.1, for tests and demonstrations only.

It answers POST .../chat/completions the way an OpenAI-compatible server does (a JSON reply,
or server-sent events when the request asks for `"stream": true`), with replies taken from a
queue (recorded replies) or computed by a function of the request. Every request body is kept
in `requests`. `delay_s` waits before answering (a slow endpoint). It is no language model.

    python tests/fake_openai.py --port 8765 --paraphrase   # serve until stopped (a demo)

`--paraphrase` replies with the first sentence of each of the first passages in the prompt,
lightly reworded, each citing its passage: a stand-in to exercise the pipeline end to end.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], str]


class FakeOpenAI:
    def __init__(self, replies: list[str] | Reply, piece: int = 6, delay_s: float = 0.0):
        self.replies = deque(replies) if isinstance(replies, list) else None
        self.reply_for = replies if callable(replies) else None
        self.requests: list[dict[str, Any]] = []
        self.piece = piece
        self.delay_s = delay_s
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next_reply(self, body: dict[str, Any]) -> str:
        if self.reply_for:
            return self.reply_for(body)
        assert self.replies, "the fake endpoint got more requests than it has replies"
        return self.replies.popleft()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                if not self.path.endswith("/chat/completions"):
                    self.send_error(404)
                    return
                time.sleep(fake.delay_s)
                reply = fake.next_reply(body)
                if body.get("stream"):
                    self._stream(reply, body.get("model", "fake"))
                else:
                    self._whole(reply, body.get("model", "fake"))

            def _whole(self, reply: str, model: str) -> None:
                data = json.dumps(
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion",
                        "created": 0,
                        "model": model,
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": reply},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, reply: str, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = [reply[i : i + fake.piece] for i in range(0, len(reply), fake.piece)]
                for number, piece in enumerate([*pieces, None]):
                    delta = {"role": "assistant", "content": piece} if piece is not None else {}
                    event = {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": model,
                        "choices": [
                            {
                                "index": 0,
                                "delta": delta
                                if number == 0 or piece is None
                                else {"content": piece},
                                "finish_reason": None if piece is not None else "stop",
                            }
                        ],
                    }
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler


_PASSAGE = re.compile(r'<passage n="(\d+)">\n(.*?)\n</passage>', re.DOTALL)
_SWAPS = (("people with MS", "people who have MS"), (" can ", " may "), ("helps", "can help"))


def paraphrase(body: dict[str, Any], passages: int = 2) -> str:
    """The first sentence of each of the first `passages` passages, lightly reworded, each
    with its marker: what a careful model might write (a stand-in, not a model)."""
    prompt = "\n".join(m["content"] for m in body["messages"] if isinstance(m.get("content"), str))
    sentences = []
    for number, text in _PASSAGE.findall(prompt)[:passages]:
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith("(")]
        first = re.split(r"(?<=[.!?])\s", " ".join(lines), maxsplit=1)[0].rstrip(".!?:")
        for old, new in _SWAPS:
            first = first.replace(old, new)
        sentences.append(f"{first} [{number}].")
    return " ".join(sentences) or "NOT_IN_PASSAGES"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--paraphrase", action="store_true", required=True)
    args = parser.parse_args()
    fake = FakeOpenAI(paraphrase)
    fake.server.server_close()
    fake.server = ThreadingHTTPServer(("127.0.0.1", args.port), fake._handler())
    print(f"Fake OpenAI-compatible endpoint (not a model) at http://127.0.0.1:{args.port}/v1")
    fake.server.serve_forever()


if __name__ == "__main__":
    main()
