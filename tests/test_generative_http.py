"""The generative answerer through the real LangChain `ChatOpenAI` client and real HTTP, against
a fake OpenAI-compatible server started here on 127.0.0.1 that replays recorded replies
(streamed as server-sent events, as real servers do); and an endpoint that is down or slow."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import time

import pytest
from conftest import ROOT
from fake_openai import FakeOpenAI

from assistant.build import build_assistant
from assistant.messages import message

QUESTION = "Does insurance cover occupational therapy?"
RECORDED = (
    "Coverage for occupational therapy services varies from plan to plan [1]. "
    "Insurers send a nurse to your home every day [1]. "
    "Most plans cover these services when a doctor refers you [1]."
)


def _with_llm(settings, url: str, timeout_s: float = 10.0):
    return dataclasses.replace(
        settings,
        llm="openai",
        llm_base_url=url,
        llm_model="recorded-model",
        llm_api_key="test-key",
        llm_timeout_s=timeout_s,
    )


@pytest.fixture(scope="module")
def replaying(fast_settings_built):
    with FakeOpenAI([RECORDED, RECORDED]) as server:
        yield server, build_assistant(_with_llm(fast_settings_built, server.base_url))


def test_streamed_reply_through_chatopenai_is_verified(replaying):
    server, assistant = replaying
    items = list(assistant.ask_stream(QUESTION))
    answer = items[-1]
    assert items[:-1] == [
        "Coverage for occupational therapy services varies from plan to plan. [1]",
        "Most plans cover these services when a doctor refers you. [1]",
    ]
    assert answer.answerer == "generative"
    assert "nurse" not in answer.answer
    assert answer.citations[0].quote.startswith("Coverage for OT services varies by plan.")
    request = server.requests[-1]
    assert request["stream"] is True
    assert request["model"] == "recorded-model"
    sent = "\n".join(m["content"] for m in request["messages"])
    assert QUESTION in sent
    assert "Coverage for OT services varies by plan." in sent


def test_json_answer_stays_whole(replaying):
    _, assistant = replaying
    data = assistant.ask(QUESTION).to_json()
    assert data["answerer"] == "generative"
    assert data["status"] == "answered"
    assert {c["n"] for c in data["citations"]} == {1}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_endpoint_down_gives_quotes_and_says_so(fast_settings_built, fast_assistant):
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    assistant = build_assistant(_with_llm(fast_settings_built, url))
    answer = assistant.ask(QUESTION)
    assert answer.answerer == "extractive-fallback"
    assert message("llm_unavailable") in answer.answer
    assert answer.citations == fast_assistant.ask(QUESTION).citations


def test_slow_endpoint_times_out_to_quotes(fast_settings_built):
    with FakeOpenAI([RECORDED], delay_s=3.0) as server:
        assistant = build_assistant(_with_llm(fast_settings_built, server.base_url, 0.5))
        started = time.perf_counter()
        answer = assistant.ask(QUESTION)
        waited = time.perf_counter() - started
    assert answer.answerer == "extractive-fallback"
    assert message("llm_unavailable") in answer.answer
    assert waited < 3.0


def _cli(settings, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MSRA_INDEX_DIR": str(settings.index_dir),
        "MSRA_CORPUS_DIR": str(settings.corpus_dir),
        "MSRA_EMBEDDER": "hash",
        "MSRA_TRANSLATED_EMBEDDER": "",
        "MSRA_LLM": "openai",
        "MSRA_LLM_BASE_URL": url,
        "MSRA_LLM_MODEL": "recorded-model",
        "PYTHONIOENCODING": "utf-8",
    }
    return subprocess.run(
        [sys.executable, "-m", "assistant", "ask", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_prints_checked_sentences_as_they_come_and_json_whole(fast_settings_built):
    with FakeOpenAI([RECORDED, RECORDED]) as server:
        plain = _cli(fast_settings_built, server.base_url, QUESTION)
        whole = _cli(fast_settings_built, server.base_url, "--json", QUESTION)
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert lines[:2] == [
        "Coverage for occupational therapy services varies from plan to plan. [1]",
        "Most plans cover these services when a doctor refers you. [1]",
    ]
    assert message("llm_generated") in plain.stdout
    assert "nurse" not in plain.stdout
    assert any(line.startswith("[1] Occupational therapy") for line in lines), lines
    data = json.loads(whole.stdout)
    assert data["answerer"] == "generative"
    assert data["answer"].count("[1]") == 2


def test_cli_with_endpoint_down_gives_the_quotes(fast_settings_built):
    result = _cli(fast_settings_built, f"http://127.0.0.1:{_closed_port()}/v1", QUESTION)
    assert result.returncode == 0
    assert message("llm_unavailable") in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert "Coverage for OT services varies by plan." in result.stdout


def test_app_shows_a_generated_answer_and_names_the_answerer(tmp_path):
    from conftest import copy_corpus, fast_settings, ingest

    import app
    from webui import render

    corpus = copy_corpus(tmp_path / "corpus")
    settings = fast_settings(corpus, tmp_path / "index", feedback_path=tmp_path / "f.sqlite3")
    assert ingest([corpus], settings).failed == []
    with FakeOpenAI(lambda body: RECORDED) as server:
        services = app.Services(_with_llm(settings, server.base_url))
        services.load()
        assert services.problem == ""
        blocks = app.create_app(services)
        respond = next(
            f.fn for f in blocks.fns.values() if getattr(f.fn, "__name__", "") == "respond"
        )
        shown = [out[1][-1]["content"] for out in respond(QUESTION, [], {})]
        answer = services.assistant.ask(QUESTION)  # the same reply again
    assert answer.answerer == "generative"
    assert render.escape_markdown(message("answerer_generative")) in shown[-1]
    first = answer.sentences[0].rsplit(" [", 1)[0]
    assert render.escape_markdown(first) in shown[-1]
    # The first checked sentence showed on its own before the whole answer.
    assert render.streamed_markdown(list(answer.sentences[:1])) in shown[1:-1]
