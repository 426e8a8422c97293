from __future__ import annotations

import pytest

from evals import metrics

FOUND = ["Nothing relevant here.", "Rest is good.", "Cooling vests help with heat."]


def test_normalise():
    assert metrics.normalise("  It’s  A\n‘Test’ ") == "it's a 'test'"


def test_holds_contains_either_way():
    assert metrics.holds("Cooling vests help with heat. And more.", "cooling  vests help")
    assert metrics.holds("vests", "Cooling vests help")
    assert not metrics.holds("Cooling vests", "warm baths")


def test_holds_normalises_apostrophes_and_whitespace():
    assert metrics.holds("Don’t overdo\n it.", "don't   overdo it.")


def test_holds_empty_is_false():
    assert not metrics.holds("", "x")
    assert not metrics.holds("x", "   ")


def test_first_hit_rank():
    assert metrics.first_hit_rank(FOUND, ["cooling vests"]) == 3
    assert metrics.first_hit_rank(FOUND, ["rest is good", "cooling vests"]) == 2
    assert metrics.first_hit_rank(FOUND, ["absent"]) is None
    assert metrics.first_hit_rank([], ["x"]) is None


def test_hit_at_k():
    assert metrics.hit_at_k(FOUND, ["cooling vests"], 3) is True
    assert metrics.hit_at_k(FOUND, ["cooling vests"], 2) is False
    assert metrics.hit_at_k(FOUND, ["absent"], 5) is False


def test_reciprocal_rank():
    assert metrics.reciprocal_rank(FOUND, ["Nothing relevant"]) == 1.0
    assert metrics.reciprocal_rank(FOUND, ["rest is good"]) == 0.5
    assert metrics.reciprocal_rank(FOUND, ["cooling"]) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank(FOUND, ["absent"]) == 0.0


def test_cited_correct():
    assert metrics.cited_correct(["Rest is good."], ["rest is good", "other"])
    assert not metrics.cited_correct(["Rest is good."], ["cooling"])
    assert not metrics.cited_correct([], ["cooling"])


def test_verbatim():
    assert metrics.verbatim("two", "one two three", 4, 7)
    assert not metrics.verbatim("two", "one two three", 3, 7)


def test_rate():
    assert metrics.rate([]) is None
    assert metrics.rate([True, False, True, True]) == 0.75
    assert metrics.rate([False]) == 0.0


def test_percentile():
    values = [float(v) for v in range(1, 101)]
    assert metrics.percentile([], 50) is None
    assert metrics.percentile([7.0], 95) == 7.0
    assert metrics.percentile(values, 50) == 50.5
    assert metrics.percentile(values, 95) == pytest.approx(95.05)
    assert metrics.percentile(values, 0) == 1.0
    assert metrics.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0


def test_percentile_0_is_the_minimum_of_unsorted_values():
    assert metrics.percentile([3.0, 1.0, 2.0, 5.0, 4.0], 0) == 1.0


def test_percentile_100_is_the_maximum():
    assert metrics.percentile([3.0, 1.0, 2.0, 5.0, 4.0], 100) == 5.0
