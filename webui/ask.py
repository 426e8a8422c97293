"""The Ask tab: a conversation with quoted sources, feedback, and the answer as an e-mail.

Handlers forward: a question goes to `Assistant.ask`, the answer becomes an `AnswerView`
(everything the tab shows of it, drawn by `webui.render` and `webui.export`), ratings and
comments go to the FeedbackStore. `respond` is a generator: it yields the question at once,
then the answer in growing pieces, then everything else.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.models import Answer, Document, Turn
from webui import render
from webui.export import answer_as_text
from webui.labels import ui_labels
from webui.page import browser_language, t

if TYPE_CHECKING:
    from webui.server import Services

EXAMPLE_COUNT = 4
"""Example questions, `example_1`... in each language's labels."""
STREAM_STEPS = 8
STREAM_PAUSE_S = 0.015


@dataclass(frozen=True)
class AnswerView:
    """One answer as the tab shows it."""

    message: str
    """The chat message (Markdown with escaped text)."""
    pieces: tuple[str, ...]
    """The message growing to its full length, for the chat to show as it comes."""
    sources: str
    email: str
    banner: str
    announcement: str


def answer_view(answer: Answer, documents: Mapping[str, Document]) -> AnswerView:
    shown = render.answer_markdown(answer)
    urgent = answer.status in render.URGENT
    return AnswerView(
        message=shown,
        pieces=(shown,) if urgent else tuple(render.growing(shown, STREAM_STEPS)),
        sources=render.sources_html(answer, documents) or render.sources_empty(answer.language),
        email=answer_as_text(answer, documents),
        banner=render.urgent_banner(answer),
        announcement=render.announcement(answer),
    )


def history(answers: dict[int, Answer]) -> list[Turn]:
    turns: list[Turn] = []
    for index in sorted(answers):
        turns += [Turn("user", answers[index].question), Turn("assistant", answers[index].answer)]
    return turns


def ask_tab(app: gr.Blocks, services: Services) -> None:
    answers = gr.State({})
    feedback_row = gr.State(0)
    banner = gr.HTML(visible=False, elem_id="urgent")
    # The finished answer, read once by screen readers (the chat itself is told to stay quiet
    # while the answer streams in; see webui/page.js).
    announce = gr.HTML(elem_id="announce", elem_classes=["visually-hidden"])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                label=t("conversation"),
                height=380,
                placeholder=t("conversation_placeholder"),
                latex_delimiters=[],
                buttons=["copy"],
                feedback_options=("Like", "Dislike"),
                elem_id="conversation",
            )
            question = gr.Textbox(
                label=t("your_question"),
                placeholder=t("question_placeholder"),
                lines=1,
                max_lines=4,
                elem_id="question",
            )
            with gr.Row():
                ask = gr.Button(t("ask"), variant="primary", elem_id="ask-button")
                new = gr.Button(t("new_conversation"), elem_id="new-conversation")
            with gr.Group(elem_id="examples") as examples:
                gr.Markdown(t("try_these"))
                picks = [
                    gr.Button(t(f"example_{n}"), size="sm", elem_classes=["example"])
                    for n in range(1, EXAMPLE_COUNT + 1)
                ]
            with gr.Group(visible=False, elem_id="feedback-comment") as comment_box:
                comment = gr.Textbox(
                    label=t("feedback_label"),
                    placeholder=t("feedback_placeholder"),
                    lines=2,
                )
                send_comment = gr.Button(t("send_comment"))
            feedback_status = gr.Markdown(elem_id="feedback-status")
        with gr.Column(scale=2):
            sources = gr.HTML(render.sources_empty(), elem_id="sources")
            with gr.Group(visible=False) as copy_group:
                copy_text = gr.Textbox(
                    label=t("plain_text_answer"),
                    lines=6,
                    max_lines=14,
                    interactive=False,
                    buttons=["copy"],
                    elem_id="answer-text",
                )
                copy = gr.Button(t("copy_answer"), elem_id="copy-answer")
                copied = gr.Markdown(t("copied"), visible=False, elem_id="copied")

    outputs = [
        question,
        chatbot,
        sources,
        copy_text,
        banner,
        answers,
        announce,
        examples,
        copy_group,
    ]
    skip = (gr.skip(),) * len(outputs)

    def respond(text: str, chat: list[dict[str, Any]], known: dict[int, Answer]) -> Iterator[Any]:
        if not (text or "").strip():
            yield skip
            return
        chat = [
            *chat,
            {"role": "user", "content": render.escape_markdown(text)},
            {"role": "assistant", "content": "…"},
        ]
        # The question shows at once, also while the models are still loading at start-up.
        yield "", chat, *skip[2:]
        # With a language model, each checked sentence shows as soon as it is accepted.
        sentences: list[str] = []
        answer: Answer | None = None
        for piece in services.assistant.ask_stream(text, history(known)):
            if isinstance(piece, str):
                sentences.append(piece)
                chat[-1] = {"role": "assistant", "content": render.streamed_markdown(sentences)}
                yield "", chat, *skip[2:]
            else:
                answer = piece
        assert answer is not None  # ask_stream always ends with the whole Answer
        view = answer_view(answer, services.assistant.documents)
        known = {**known, len(chat) - 1: answer}
        for piece in [] if sentences else view.pieces[:-1]:
            chat[-1] = {"role": "assistant", "content": piece}
            yield "", chat, *skip[2:5], known, *skip[6:]
            time.sleep(STREAM_PAUSE_S)
        chat[-1] = {"role": "assistant", "content": view.message}
        yield (
            "",
            chat,
            view.sources,
            view.email,
            gr.update(value=view.banner, visible=bool(view.banner)),
            known,
            view.announcement,
            gr.update(visible=False),
            gr.update(visible=True),
        )

    def example(number: int) -> Any:
        def ask_example(
            chat: list[dict[str, Any]], known: dict[int, Answer], request: gr.Request
        ) -> Iterator[Any]:
            question = ui_labels(browser_language(request))[f"example_{number}"]
            yield from respond(question, chat, known)

        return ask_example

    def rate(known: dict[int, Answer], liked: gr.LikeData) -> tuple[Any, ...]:
        index = liked.index if isinstance(liked.index, int) else liked.index[0]
        answer = known.get(index)
        if answer is None or not isinstance(liked.liked, bool):
            return gr.skip(), gr.skip(), gr.skip()
        row = services.feedback.record(answer, liked.liked)
        thanks = ui_labels(answer.language)["thanks_rating"]
        return row, gr.update(visible=True), thanks

    def add_comment(row: int, text: str, request: gr.Request) -> tuple[Any, ...]:
        labels = ui_labels(browser_language(request))
        if row and text.strip():
            services.feedback.add_comment(row, text)
            return gr.update(visible=False), "", labels["thanks_comment"]
        return gr.skip(), gr.skip(), labels["comment_first"]

    # Progress shows on the chat only: elsewhere it would be read out by screen readers.
    quiet: dict[str, Any] = {"api_visibility": "private", "show_progress_on": [chatbot]}
    question.submit(respond, [question, chatbot, answers], outputs, **quiet)
    ask.click(respond, [question, chatbot, answers], outputs, **quiet)
    for number, pick in enumerate(picks, start=1):
        pick.click(example(number), [chatbot, answers], outputs, **quiet)
    chatbot.like(
        rate, [answers], [feedback_row, comment_box, feedback_status], api_visibility="private"
    )
    send_comment.click(
        add_comment,
        [feedback_row, comment],
        [comment_box, comment, feedback_status],
        api_visibility="private",
    )

    def no_sources(request: gr.Request) -> str:
        return render.sources_empty(browser_language(request))

    def start_over(request: gr.Request) -> tuple[Any, ...]:
        hidden = gr.update(value="", visible=False)
        shown, gone = gr.update(visible=True), gr.update(visible=False)
        return [], no_sources(request), "", hidden, {}, "", "", "", shown, gone

    app.load(no_sources, None, sources, show_progress="hidden", api_visibility="private")

    cleared = [chatbot, sources, copy_text, banner, answers, question, feedback_status, announce]
    new.click(start_over, None, [*cleared, examples, copy_group], api_visibility="private")
    copy.click(
        None,
        [copy_text],
        None,
        js="(text) => { navigator.clipboard.writeText(text || ''); return []; }",
        api_visibility="private",
    ).then(lambda: gr.update(visible=True), None, copied, api_visibility="private")
    copy_text.change(lambda: gr.update(visible=False), None, copied, api_visibility="private")
