import re

from tuika.domain.ids import new_id


def test_an_id_has_its_prefix_and_a_url_safe_body() -> None:
    made = new_id("po")

    assert re.fullmatch(r"po_[0-9a-f]{28}", made), made
    assert len(made) < 64


def test_ids_are_unique_and_sort_by_creation_millisecond() -> None:
    made = [new_id("rc") for _ in range(200)]

    assert len(set(made)) == 200
    clocks = [m[3:15] for m in made]
    assert clocks == sorted(clocks)
