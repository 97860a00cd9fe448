"""What may leave the hub, by share level and consent (pure)."""

from __future__ import annotations

import pytest

from hub.domain.addresses import address_key, split_address, walking_key, walking_order
from hub.domain.sharing import shape_event

TASK = {
    "id": "01T",
    "number": 12,
    "address": "Kerkstraat 5",
    "note": "mevr. J (84, alleen)",
    "reason": "niemand thuis",
    "status": "failed",
}
HOUSEHOLD = {
    "id": "01H",
    "address": "Kerkstraat 12",
    "special_attention": ["pregnant"],
    "contact": "06-12345678",
    "note": "zwanger, alleen",
    "consent": {"given_by": "bewoner", "share_upstream": False},
    "drill": False,
}


def test_aggregate_keeps_streets_and_drops_free_text() -> None:
    shaped = shape_event("task", TASK, "aggregate")
    assert shaped == {"id": "01T", "number": 12, "status": "failed", "street": "kerkstraat"}


def test_needs_level_shares_needs_completely_and_nothing_else_more() -> None:
    need = {"id": "01N", "address": "Dorpsstraat 3", "description": "twee kinderen, geen auto"}
    assert shape_event("need", need, "needs") == need
    assert "note" not in shape_event("task", TASK, "needs")


def test_full_level_shares_everything_but_unconsented_health_data() -> None:
    assert shape_event("task", TASK, "full") == TASK
    for level in ("aggregate", "needs", "full"):
        shaped = shape_event("household", HOUSEHOLD, level)  # type: ignore[arg-type]
        assert "special_attention" not in shaped
        assert "note" not in shaped
        assert shaped["special_attention_count"] == 1
        assert shaped["street"] == "kerkstraat"


def test_consent_lets_the_flags_go_but_contacts_only_at_full() -> None:
    consenting = {**HOUSEHOLD, "consent": {"given_by": "bewoner", "share_upstream": True}}
    assert shape_event("household", consenting, "aggregate")["special_attention"] == ["pregnant"]
    assert "contact" not in shape_event("household", consenting, "aggregate")
    assert shape_event("household", consenting, "full")["contact"] == "06-12345678"


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        (" Kerkstraat  5 ", "kerkstraat 5"),
        ("KERKSTRAAT 5,", "kerkstraat 5"),
        ("Kérkstraat 5", "kerkstraat 5"),
    ],
)
def test_addresses_compare_however_typed(typed: str, key: str) -> None:
    assert address_key(typed) == key


def test_walking_order_goes_up_one_side_then_the_other() -> None:
    houses = ["Kerkstraat 4", "Kerkstraat 1", "Kerkstraat 3", "Kerkstraat 2", "Dorpsstraat 9"]
    assert sorted(houses, key=walking_order) == [
        "Dorpsstraat 9",
        "Kerkstraat 1",
        "Kerkstraat 3",
        "Kerkstraat 2",
        "Kerkstraat 4",
    ]
    assert split_address("Molenweg 12a") == ("molenweg", 12, "a")


def test_the_stored_walking_key_sorts_as_the_walking_order() -> None:
    houses = [
        "Kerkstraat 10", "Kerkstraat 2", "kerkstraat 5 A", "Kerkstraat 5", "Kerkstraat 1b", "Kerkstraat 1",
        "Kerk 4", "Kerk 3", "Kerk weg 1", "Kerkstraat", "Plein 1945 12", "Plein 3", "Dorp 99999",
    ]  # fmt: skip
    assert sorted(houses, key=walking_key) == sorted(houses, key=walking_order)
    assert walking_key("Kerkstraat 5-A") == walking_key("kerkstraat 5a") == "kerkstraat 0 000005 a"
    assert len(walking_key("x" * 200 + " 5")) <= 120  # fits its column
