"""Array literals built in Python (geo_data.db.int_array/float_array/text_array) read back exactly."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_data.db import float_array, int_array, text_array

_texts = st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
                          max_size=20), max_size=20)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=_texts, ints=st.lists(st.integers(-2**63, 2**63 - 1), max_size=30),
       floats=st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=30))
def test_literals_round_trip(conn: Any, texts: list[str], ints: list[int], floats: list[float]) -> None:
    row = conn.execute("SELECT %s::text[] AS t, %s::bigint[] AS i, %s::float8[] AS f",
                       (text_array(texts), int_array(ints), float_array(floats))).fetchone()
    assert (row["t"], row["i"], row["f"]) == (texts, ints, floats)


def test_tricky_texts(conn: Any) -> None:
    tricky = ['a,b', 'q"x', "back\\slash", "NULL", "{}", "", " lead", "trail ", "多 字节", "\\\"", "}{"]
    assert conn.execute("SELECT %s::text[] AS t", (text_array(tricky),)).fetchone()["t"] == tricky
