"""PartialJSON: the full parse equals json.loads, every partial value is a prefix of it, and a
malformed document fails at its first character that cannot continue JSON."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rillet import PartialJSON, PartialJSONError, RilletError

# Text with escapes, control characters, non-ASCII and astral characters; surrogates excluded
# (a str with a lone one cannot be written as UTF-8, and the API never sends one).
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12) | st.sampled_from(
    ["", '"', "\\", "/", "\n\t\b\f\r", "\x00\x1f", "é", "日本語", "🙂", "a🙂\\b\U0010ffff"]
)
NUMBERS = (
    st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0, -0.0, 1e-7, 1.5e300, -2.5e-300, 10**20])
)
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5),
    max_leaves=25,
)


@st.composite
def serialised(draw: st.DrawFn) -> tuple[Any, str]:
    value = draw(DOCUMENTS)
    indent = draw(st.sampled_from([None, 0, 2, "\t"]))
    separators = draw(st.sampled_from([None, (",", ":"), (" , ", " : ")]))
    text = json.dumps(value, indent=indent, separators=separators, ensure_ascii=draw(st.booleans()))
    return value, draw(st.sampled_from(["", " ", "\n"])) + text + draw(st.sampled_from(["", "\n"]))


@st.composite
def split(draw: st.DrawFn, text: str) -> list[str]:
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=20)))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def is_prefix(partial: object, whole: object) -> bool:  # noqa: PLR0911 - one case a type
    """Whether ``partial`` is what a prefix of ``whole``'s text may show.

    Containers hold a prefix of ``whole``'s items (members, in order), all equal but the last,
    which is itself a prefix; strings are prefixes; every other value is equal, of the same type.
    """
    if type(partial) is not type(whole):
        return False
    if isinstance(partial, dict):
        assert isinstance(whole, dict)
        keys = list(partial)
        if keys != list(whole)[: len(keys)]:
            return False
        return all(partial[k] == whole[k] for k in keys[:-1]) and (
            not keys or is_prefix(partial[keys[-1]], whole[keys[-1]])
        )
    if isinstance(partial, list):
        assert isinstance(whole, list)
        if not partial:
            return True
        if len(partial) > len(whole) or partial[:-1] != whole[: len(partial) - 1]:
            return False
        return is_prefix(partial[-1], whole[len(partial) - 1])
    if isinstance(partial, str):
        assert isinstance(whole, str)
        return whole.startswith(partial)
    return partial == whole or (isinstance(partial, float) and math.isnan(partial))


@given(serialised().flatmap(lambda doc: st.tuples(st.just(doc), split(doc[1]))))
def test_every_partial_value_is_a_prefix_and_the_whole_is_what_json_loads_reads(
    case: tuple[tuple[Any, str], list[str]],
) -> None:
    (_, text), deltas = case
    expected = json.loads(text)
    parser = PartialJSON()
    so_far = ""
    for delta in deltas:
        parser.feed(delta)
        so_far += delta
        if parser.value is not None:
            assert is_prefix(parser.value, expected), (parser.value, expected)
        # However the text was cut, the same text shows the same value.
        at_once = PartialJSON()
        at_once.feed(so_far)
        assert (parser.value, parser.started, parser.complete) == (
            at_once.value,
            at_once.started,
            at_once.complete,
        )
    assert parser.close() == expected
    assert parser.complete
    assert parser.snapshot() == expected


@given(serialised())
def test_each_character_as_a_delta(doc: tuple[Any, str]) -> None:
    _, text = doc
    expected = json.loads(text)
    parser = PartialJSON()
    for char in text:
        parser.feed(char)
        assert parser.value is None or is_prefix(parser.value, expected)
    assert parser.close() == expected


def offset_fed_whole(text: str) -> int:
    parser = PartialJSON()
    with pytest.raises(PartialJSONError) as caught:
        parser.feed(text)
        parser.close()
    return caught.value.offset


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, int]:
    _, text = draw(serialised())
    at = draw(st.integers(0, len(text)))
    change = draw(st.sampled_from(["insert", "delete", "replace"]))
    char = draw(st.sampled_from(list('{}[]",:\\ -+.0123456789eEtfnulx\x00\n')) | st.characters())
    if change == "insert":
        text = text[:at] + char + text[at:]
    elif change == "delete":
        text = text[:at] + text[at + 1 :]
    else:
        text = text[:at] + char + text[at + 1 :]
    return text, at


def outcome(deltas: list[str]) -> object:
    """The value ``deltas`` make, or the ``PartialJSONError`` they raise."""
    parser = PartialJSON()
    try:
        for delta in deltas:
            parser.feed(delta)
        return parser.close()
    except PartialJSONError as error:
        return error


def parse_strict(text: str) -> object:
    def refuse(constant: str) -> object:
        raise ValueError(constant)

    return json.loads(text, parse_constant=refuse)


@given(mutated(), st.data())
def test_a_mutated_document_fails_as_json_loads_does_at_or_after_the_change(
    case: tuple[str, int], data: st.DataObject
) -> None:
    text, at = case
    try:
        expected: object = parse_strict(text)
    except ValueError:
        expected = PartialJSONError
    got = outcome(data.draw(split(text)))
    if isinstance(got, PartialJSONError):
        assert expected is PartialJSONError, text
        # What comes before the change is the start of a valid document: the error is after.
        assert at <= got.offset <= len(text)
        assert got.offset == offset_fed_whole(text)  # however the text is split
        assert f"offset {got.offset}" in str(got)
    else:
        assert got == expected


@given(st.text(st.sampled_from('{}[]",:\\ -+.0123456789eEtrufalsn\u00e9\n')) | st.text())
def test_arbitrary_text_raises_only_partial_json_errors(text: str) -> None:
    got = outcome([text])
    if isinstance(got, PartialJSONError):
        assert 0 <= got.offset <= len(text)
        with pytest.raises(ValueError):  # noqa: PT011 - json.loads says it otherwise
            parse_strict(text)
    else:
        assert got == parse_strict(text)


def values_after(*deltas: str) -> list[object]:
    parser = PartialJSON()
    seen = []
    for delta in deltas:
        parser.feed(delta)
        seen.append(parser.snapshot())
    return seen


def test_a_member_appears_when_its_value_starts() -> None:
    assert values_after('{"ke', 'y"', ": ", '"', "v", '"}') == [
        {},
        {},
        {},
        {"key": ""},
        {"key": "v"},
        {"key": "v"},
    ]


def test_numbers_and_literals_appear_only_whole() -> None:
    assert values_after("[1", "2", ".5", "e", "1", ",", "tr", "ue", ", n", "ull]") == [
        [],
        [],
        [],
        [],
        [],
        [125.0],
        [125.0],
        [125.0, True],
        [125.0, True],
        [125.0, True, None],
    ]


def test_a_number_that_ends_the_document_is_whole_at_close_or_at_whitespace() -> None:
    parser = PartialJSON()
    parser.feed("-12")
    assert (parser.value, parser.started, parser.complete) == (None, True, False)
    assert parser.close() == -12
    assert parser.complete
    parser = PartialJSON()
    parser.feed("3.5 ")
    assert (parser.value, parser.complete) == (3.5, True)


def test_null_and_not_started_are_told_apart() -> None:
    parser = PartialJSON()
    parser.feed("  ")
    assert (parser.value, parser.started, parser.complete) == (None, False, False)
    parser.feed("null")
    assert (parser.value, parser.started, parser.complete) == (None, True, True)


@pytest.mark.parametrize(
    ("deltas", "expected"),
    [
        (['"a\\', 'nb"'], ["a", "a\nb"]),
        (['"\\u00', 'e9"'], ["", "é"]),
        (['"x\\ud83d', '\\ude00"'], ["x", "x😀"]),
        (['"x\\ud83d\\', 'ude00"'], ["x", "x😀"]),
        (['"x\\ud83d\\ude0', '0"'], ["x", "x😀"]),
        (['"x\\ud83d', 'y"'], ["x", "x\ud83dy"]),  # a lone surrogate, as json.loads reads it
        (['"x\\ud83d\\', 'n"'], ["x", "x\ud83d\n"]),
        (['"日本', "語🙂", '"'], ["日本", "日本語🙂", "日本語🙂"]),
    ],
)
def test_an_escape_split_across_deltas_is_never_shown_in_half(
    deltas: list[str], expected: list[str]
) -> None:
    assert values_after(*deltas) == expected


def test_the_value_is_live_and_a_snapshot_is_not() -> None:
    parser = PartialJSON()
    parser.feed('{"items": [1, ')
    live, snapshot = parser.value, parser.snapshot()
    parser.feed('"two"]}')
    assert live == {"items": [1, "two"]}
    assert snapshot == {"items": [1]}


@pytest.mark.parametrize(
    ("text", "offset", "reason"),
    [
        ('{"a" 1}', 5, "expected ':' after an object key, got '1'"),
        ('{"a": 1 x', 8, "expected ',' or '}' after an object member, got 'x'"),
        ("[1,]", 3, "expected a value, got ']'"),
        ("[1 2]", 3, "expected ',' or ']' after an array item, got '2'"),
        ("01", 1, "expected the end of the document after its value, got '1'"),
        ("[1.]", 3, "expected a digit in the number, got ']'"),
        ("[-]", 2, "expected a digit in the number, got ']'"),
        ("nul", 3, "expected 'null'"),
        ("trUe", 2, "expected 'true', got 'U'"),
        ("NaN", 0, "expected a value, got 'N'"),
        ('"a\\x"', 3, "invalid escape, got 'x'"),
        ('"\\u12G4"', 5, "expected 4 hex digits in a \\u escape, got 'G'"),
        ('"a\nb"', 2, "control character in a string, got '\\n'"),
        ('{"a": "b', 8, "unexpected end (in a string)"),
        ("[0", 2, "unexpected end (expected ',' or ']')"),
        ('{"a": 0', 7, "unexpected end (expected ',' or '}')"),
        ("{1: 2}", 1, "expected a string key or '}', got '1'"),
        ("", 0, "unexpected end (expected a value)"),
    ],
)
def test_errors_name_the_offset_and_what_was_expected(text: str, offset: int, reason: str) -> None:
    parser = PartialJSON()
    with pytest.raises(PartialJSONError) as caught:
        parser.feed(text[:1])
        parser.feed(text[1:])
        parser.close()
    error = caught.value
    assert isinstance(error, RilletError | ValueError)
    assert (error.offset, error.reason) == (offset, reason)
    assert str(error).startswith(f"invalid JSON at offset {offset}: {reason} (")
    with pytest.raises(PartialJSONError) as again:
        parser.feed("")
    assert again.value is error


def test_text_after_the_value_is_an_error_but_whitespace_is_not() -> None:
    parser = PartialJSON()
    parser.feed('{"a": []}  \n')
    assert parser.complete
    with pytest.raises(PartialJSONError, match="offset 13: expected the end of the document"):
        parser.feed(" x")


def test_a_number_with_too_many_digits_is_a_partial_json_error() -> None:
    with pytest.raises(PartialJSONError, match="number too long"):
        PartialJSON().feed("[" + "9" * 5000 + "]")


def test_a_long_string_in_tiny_deltas_is_not_quadratic_to_parse() -> None:
    # Not timed: counted. Parsing joins the open string's pieces only when its value is read,
    # so feeding a long string without reading stays linear; the pieces wait in a list.
    parser = PartialJSON()
    parser.feed('"')
    for _ in range(50_000):
        parser.feed("ab")
    assert len(parser._parts) == 50_000  # pyright: ignore[reportPrivateUsage]
    parser.feed('"')
    assert parser.value == "ab" * 50_000


def test_a_duplicate_key_keeps_the_last_value_as_json_loads_does() -> None:
    parser = PartialJSON()
    parser.feed('{"a": 1, "b": 2, "a": "x"}')
    assert parser.value == json.loads('{"a": 1, "b": 2, "a": "x"}')


@given(st.text(max_size=30), st.integers(0, 30))
def test_top_level_strings_split_anywhere(text: str, cut: int) -> None:
    assume(all(not 0xD800 <= ord(c) <= 0xDFFF for c in text))
    for ascii_only in (True, False):
        document = json.dumps(text, ensure_ascii=ascii_only)
        parser = PartialJSON()
        parser.feed(document[:cut])
        assert parser.value is None or text.startswith(parser.value)
        parser.feed(document[cut:])
        assert parser.value == text
        assert parser.complete
