"""The tolerant JSON reader: trailing commas dropped only where they close an array or object,
never inside strings; property names matched case-insensitively; fractions exact."""

from __future__ import annotations

from decimal import Decimal

import pytest

from saphan.rakmao.jsonread import (
    MalformedJSON,
    canonical_keys,
    strip_trailing_commas,
    tolerant_loads,
)
from saphan.rakmao.schemas import ChangeStatus, CreatePo


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1, 2, ]", [1, 2]),
        ('{"a": 1,}', {"a": 1}),
        ('{"a": [ {"b": 1}, ] , }', {"a": [{"b": 1}]}),
        ('{"a": 1 ,\n\t }', {"a": 1}),
        ('{"s": ",]"}', {"s": ",]"}),
        ('{"s": ", }", "t": [",]",],}', {"s": ", }", "t": [",]"]}),
        ('{"s": "a\\",]"}', {"s": 'a",]'}),
        ('["\\\\", ]', ["\\"]),
        ('"ทดสอบ,]"', "ทดสอบ,]"),
        # more than are removed one at a time where the parser stops: then all in one pass
        ("[[[[[[1,],],],],],]", [[[[[[1]]]]]]),
        ('[{"a": [1,],}, {"b": ",]",}, [2, ], ]', [{"a": [1]}, {"b": ",]"}, [2]]),
        ("[true,]", [True]),
        ("[1 , ]", [1]),
        ('[{"a":[1,],},]', [{"a": [1]}]),
        ('["a\\"",]', ['a"']),
    ],
)
def test_trailing_commas_go_and_strings_stay(text: str, expected: object) -> None:
    assert tolerant_loads(text.encode()) == expected


@pytest.mark.parametrize(
    "text",
    [
        "[,]",
        "{,}",
        "[1,,]",
        "[ ,]",
        "[1, ,]",
        '{"a":,}',
        '["unterminated\\',
        '["unterminated, ]',
        '{"a": 1 "b": 2}',  # a missing comma is not repaired
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": 1',
        "",
    ],
)
def test_other_malformed_json_is_refused(text: str) -> None:
    with pytest.raises(MalformedJSON):
        tolerant_loads(text.encode())


@pytest.mark.parametrize(
    ("text", "stripped"),
    [
        (",]", ",]"),  # nothing before the comma
        (" ,]", " ,]"),
        ("[1 ,\n]", "[1 \n]"),  # the whitespace before the comma stays
        ('"\\\\",]', '"\\\\"]'),
        ('["x", "y\\', '["x", "y\\'),  # an unterminated string runs to the end, untouched
        ('["x", "y,]', '["x", "y,]'),
    ],
)
def test_strip_exactly(text: str, stripped: str) -> None:
    assert strip_trailing_commas(text) == stripped


def test_strip_leaves_text_without_trailing_commas_alone() -> None:
    text = '{"a": [1, 2], "b": "x, ]"}'
    assert strip_trailing_commas(text) == text


def test_fractions_are_exact_decimals() -> None:
    assert tolerant_loads(b'{"p": 0.1, "q": 12345678901.2345, "n": 3}') == {
        "p": Decimal("0.1"),
        "q": Decimal("12345678901.2345"),
        "n": 3,
    }


def test_property_names_match_in_any_case_into_nested_items() -> None:
    data = {"orgid": "x", "POITEMDETAIL": [{"quantity": 1, "pRiCe": 2}], "Other": 1}
    assert canonical_keys(data, CreatePo) == {
        "OrgId": "x",
        "PoItemDetail": [{"Quantity": 1, "Price": 2}],
        "Other": 1,
    }


def test_the_exact_spelling_wins_over_another_casing() -> None:
    assert canonical_keys({"status": 2, "Status": 1}, ChangeStatus) == {"Status": 1}
    assert canonical_keys({"Status": 1, "STATUS": 2}, ChangeStatus) == {"Status": 1}


def test_action_by_is_accepted_for_action_by_type() -> None:
    body = {"createbyuserid": "1", "createbyusername": "n", "actionby": "Admin"}
    assert ChangeStatus.model_validate(canonical_keys(body, ChangeStatus)).ActionByType == "Admin"


@pytest.mark.parametrize("value", ["buyer", "BUYER", "Buyer"])
def test_action_by_type_values_match_in_any_case(value: str) -> None:
    body = {"CreateByUserId": "1", "CreateByUserName": "n", "ActionByType": value}
    assert ChangeStatus.model_validate(body).ActionByType == "Buyer"


def test_an_unterminated_string_says_where_it_starts() -> None:
    with pytest.raises(MalformedJSON) as raised:
        tolerant_loads(b'{"a": "open')
    assert str(raised.value) == "Unterminated string starting at line 1 column 7"
