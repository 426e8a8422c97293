"""The Gradio app: a chat that shows each answer with its sources.

It only forwards: Gradio events become calls on the Assistant, and the returned
dataclasses are rendered. Document and user text is escaped before it is shown.
API endpoints with stable names: `ask` and `find` (see README).

This is the minimal app of the core issue; the full interface is its own issue.
"""

from __future__ import annotations

import html
import os
import sys
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import gradio as gr

from assistant.core import Assistant
from assistant.errors import AssistantError
from assistant.models import Answer, Turn
from assistant.settings import Settings

EXAMPLES = [
    "What does an occupational therapist do?",
    "How do I know if I exercised too much?",
    "Can a physical therapist help me choose a walking aid?",
    "What happens in a rehabilitation evaluation?",
]

NOTICE = (
    "General information from trusted documents about rehabilitation in MS, quoted word for word. "
    "It is not medical advice: talk to your MS care team about what fits you. "
    "In an emergency, call your local emergency number."
)


def render_sources(answer: Answer) -> str:
    """Markdown for the answer's sources; every piece of document text is escaped."""
    if not answer.citations:
        return ""
    parts = ["### Sources"]
    for c in answer.citations:
        when = f"updated {c.updated}" if c.updated else "date not stated"
        stale = " · **over three years old**" if c.stale else ""
        publisher = c.publisher or "publisher not stated"
        parts.append(
            f"**[{c.n}] {_escape(c.title)}** — {_escape(publisher)}, {when}{stale}\n\n"
            f"> {_escape(c.quote)}\n\n"
            f"<sub>{_escape(c.doc_id)}, characters {c.start}–{c.end}</sub>"
        )
    return "\n\n".join(parts)


def _escape(text: str) -> str:
    escaped = html.escape(text)
    for char in "\\`*_[]#|":
        escaped = escaped.replace(char, "\\" + char)
    return escaped.replace("\n", "<br>")


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def create_app(assistant: Assistant) -> gr.Blocks:
    def respond(question: str, chat: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]], str]:
        history = [
            Turn(m["role"], _text_of(m["content"]))
            for m in chat
            if m.get("role") in ("user", "assistant")
        ]
        answer = assistant.ask(question, history)
        chat = [
            *chat,
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.answer},
        ]
        return "", chat, render_sources(answer)

    def ask(question: str, history: list[dict[str, str]] | None = None) -> dict[str, Any]:
        """Ask a question; returns the answer object of the command-line contract."""
        turns = [
            Turn(t["role"], t["content"])
            for t in history or []
            if t.get("role") in ("user", "assistant")
        ]  # type: ignore[arg-type]
        return assistant.ask(question, turns).to_json()

    def find(text: str) -> dict[str, Any]:
        """Find the passages that say what `text` says, best first."""
        return {"text": text, "matches": [m.to_json() for m in assistant.find(text)]}

    with gr.Blocks(title="MS Rehab Assistant") as app:
        gr.Markdown(f"# MS Rehab Assistant\n{NOTICE}")
        chatbot = gr.Chatbot(label="Conversation", height=420)
        question = gr.Textbox(label="Your question", placeholder="Type a question and press Enter")
        with gr.Row():
            send = gr.Button("Ask", variant="primary")
            new = gr.Button("New conversation")
        gr.Examples(EXAMPLES, inputs=question, label="Example questions")
        sources = gr.Markdown()
        question.submit(
            respond, [question, chatbot], [question, chatbot, sources], api_visibility="private"
        )
        send.click(
            respond, [question, chatbot], [question, chatbot, sources], api_visibility="private"
        )
        new.click(
            lambda: ([], "", ""), None, [chatbot, sources, question], api_visibility="private"
        )
        gr.api(ask, api_name="ask")
        gr.api(find, api_name="find")
    return app


def main() -> int:
    from assistant.build import build_assistant

    settings = Settings.from_env()
    try:
        assistant = build_assistant(settings)
    except AssistantError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    create_app(assistant).launch(
        server_name=settings.host, server_port=settings.port, share=False, ssr_mode=False
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
