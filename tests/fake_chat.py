"""A fake chat model for the generative answerer's tests: a queue of canned replies plus a
record of the prompts sent (in the manner of simonw/llm's MockModel).

It streams each reply in small pieces, as a real endpoint does, so sentence splitting across
chunk borders is exercised. A reply that is an exception is raised instead (an endpoint that
is down); `delay_s` waits between pieces (a slow endpoint).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any


class FakeChatModel:
    def __init__(self, replies: list[str | Exception], piece: int = 7, delay_s: float = 0.0):
        self.replies: deque[str | Exception] = deque(replies)
        self.prompts: list[list[tuple[str, str]]] = []
        self.piece = piece
        self.delay_s = delay_s

    def stream(self, input: Any, *args: Any, **kwargs: Any) -> Iterator[SimpleNamespace]:
        self.prompts.append(list(input))
        reply = self.replies.popleft()
        if isinstance(reply, Exception):
            raise reply
        for start in range(0, len(reply), self.piece):
            if self.delay_s:
                time.sleep(self.delay_s)
            yield SimpleNamespace(content=reply[start : start + self.piece])

    def prompt_text(self, index: int = -1) -> str:
        return "\n".join(text for _, text in self.prompts[index])
