"""Supply requests on the admin (issue #14), over real HTTP: a coordinator asks the region for
water for 40 households; the request is a row, an outbox event and an audit entry; bad input
changes nothing and is never a 500."""

from __future__ import annotations

from sqlmodel import col, select

from hub.models import AuditEntry, OutboxEvent, SupplyRequest
from tests.conftest import LiveServer

from .conftest import Admin


def _read(live: LiveServer, model: type, order: str = "pk") -> list:  # type: ignore[type-arg]
    with live.hub.db.read() as session:
        return list(session.exec(select(model).order_by(col(getattr(model, order)))).all())


def _events(live: LiveServer) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    return [(e.type, e.data) for e in _read(live, OutboxEvent, "seq") if e.type.startswith("supply.")]


def test_a_coordinator_requests_water_for_40_households_and_closes_it(admin: Admin, live: LiveServer) -> None:
    page = admin.http.get("/admin/supplies")
    assert page.status_code == 200 and "Voorraden aanvragen" in page.text
    assert "Request supplies" in admin.http.get("/admin/supplies", params={"lang": "en"}).text
    answer = admin.post_form(
        "/admin/supplies", {"category": "water", "households": "40", "note": "  tankwagen   bij de school "}
    )
    assert answer.status_code == 303 and "ok=supply_requested" in answer.headers["location"]
    (row,) = _read(live, SupplyRequest)
    assert (row.category, row.households, row.note, row.status) == (
        "water",
        40,
        "tankwagen bij de school",
        "open",
    )
    assert _events(live) == [
        (
            "supply.requested",
            {
                "id": row.id,
                "category": "water",
                "households": 40,
                "note": "tankwagen bij de school",
                "status": "open",
                "drill": False,
            },
        )
    ]
    page = admin.http.get("/admin/supplies").text
    assert "tankwagen bij de school" in page and ">40<" in page
    answer = admin.post_form(f"/admin/supplies/{row.id}/close")
    assert answer.status_code == 303 and "ok=supply_closed" in answer.headers["location"]
    again = admin.post_form(f"/admin/supplies/{row.id}/close")  # closed already: refused, no event
    assert again.status_code == 303 and "error=" in again.headers["location"]
    assert [t for t, _ in _events(live)] == ["supply.requested", "supply.closed"]
    actions = [(a.action, a.target) for a in _read(live, AuditEntry) if a.action.startswith("supply.")]
    assert actions == [("supply.request", row.id), ("supply.close", row.id)]


def test_bad_supply_requests_change_nothing(admin: Admin, live: LiveServer) -> None:
    bad = [
        {"category": "water", "households": "0"},
        {"category": "water", "households": "veertig"},
        {"category": "water", "households": "100001"},
        {"category": "water", "households": ""},
        {"category": "taart", "households": "4"},
        {"category": "water", "households": "4", "note": "x" * 121},
        {"category": "water", "households": "4", "note": "x" * 3000},
    ]
    for form in bad:
        answer = admin.post_form("/admin/supplies", form)
        assert answer.status_code == 303, (form, answer.status_code)
        assert "error=" in answer.headers["location"], form
    no_csrf = admin.http.post("/admin/supplies", data={"category": "water", "households": "4"})
    assert no_csrf.status_code == 403
    assert admin.post_form("/admin/supplies/01ARZ3NDEKTSV4RRFFQ69G5FAV/close").status_code == 303
    assert _read(live, SupplyRequest) == [] and _events(live) == []
