"""The export for the municipality is minimised like the sync; the full one is labelled and guarded."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from sqlmodel import select

from hub.models import AuditEntry, Household
from hub.runtime import Hub
from hub.schemas import CheckInCreate, Consent, HouseholdCreate
from hub.services import coordination, exports, residents
from tests.admin.conftest import Admin, login, make_user
from tests.conftest import LiveServer
from tests.records.conftest import need


def _seed(hub: Hub) -> dict[str, str]:
    w = hub.db.writer.run_sync

    def household(address: str, share: bool, note: str) -> str:
        data = HouseholdCreate(
            address=address,
            special_attention=["medical_device"],
            consent=Consent(given_by="dochter", share_upstream=share),
            note=note,
            contact="06-11112222",
        )
        return w(lambda s: coordination.register_household(s, hub.ctx, data, actor="coord")).id

    ids = {
        "secret": household("Dorpsstraat 21", False, "zuurstof 24 uur per dag"),
        "shared": household("Dorpsstraat 23", True, "rolstoel"),
    }
    ids["checkin"] = w(
        lambda s: residents.create_checkin(
            s, hub.ctx, CheckInCreate(address="Dorpsstraat 21", status="help", note="accu bijna leeg")
        )
    ).id
    ids["need"] = need(hub, "Molenweg 2", "insuline in de koelkast, stroom uit").id
    return ids


def _json(hub: Hub, scope: str, share: Any = "aggregate") -> dict[str, Any]:
    with hub.db.read() as session:
        document: dict[str, Any] = json.loads(exports.export_json(session, "h", scope, share))
    return document


def test_the_minimised_export_leaves_out_households_that_did_not_consent(hub: Hub) -> None:
    ids = _seed(hub)
    document = _json(hub, "minimised")
    text = json.dumps(document, ensure_ascii=False)
    assert document["scope"] == "minimised" and document["share"] == "aggregate"
    assert [h["id"] for h in document["records"]["households"]] == [ids["shared"]]
    for secret in ("Dorpsstraat 21", "zuurstof", "accu bijna leeg", "insuline", "06-11112222", ids["secret"]):
        assert secret not in text, secret
    (checkin,) = document["records"]["checkins"]
    assert (checkin["street"], checkin["household_id"], checkin["status"]) == ("dorpsstraat", None, "help")
    (shared,) = document["records"]["households"]
    assert shared["special_attention"] == ["medical_device"] and "note" not in shared
    assert {"users", "audit_log", "outbox", "mesh_messages", "volunteers"}.isdisjoint(document["records"])
    with hub.db.read() as session:
        codes = [h.code for h in session.exec(select(Household)).all()]
    assert all(code and code not in text for code in codes)  # a household's own code never leaves


def test_the_needs_share_level_lets_needs_travel_whole_but_still_not_secret_households(hub: Hub) -> None:
    ids = _seed(hub)
    document = _json(hub, "minimised", "needs")
    (exported_need,) = document["records"]["needs"]
    assert exported_need["description"] == "insuline in de koelkast, stroom uit"
    assert ids["secret"] not in json.dumps(document)


def test_the_full_export_has_everything_and_says_so(hub: Hub) -> None:
    ids = _seed(hub)
    document = _json(hub, "full")
    assert document["scope"] == "full" and document["note"].startswith("FULL export")
    assert ids["secret"] in {h["id"] for h in document["records"]["households"]}
    assert "zuurstof 24 uur per dag" in json.dumps(document, ensure_ascii=False)
    with hub.db.read() as session:
        content, _media, name = exports.export(session, "csv", "h", "H", scope="full")
        _, _, minimised_name = exports.export(session, "csv", "h", "H")
    assert name.endswith("-full-csv.zip") and "full" not in minimised_name
    archive = zipfile.ZipFile(io.BytesIO(content))
    households = list(csv.DictReader(io.StringIO(archive.read("households.csv").decode())))
    assert len(households) == 2


def test_the_export_page_offers_the_full_export_to_coordinators_only_and_audits_both(
    admin: Admin, live: LiveServer
) -> None:
    ids = _seed(live.hub)
    page = admin.http.get("/admin/export").text
    assert "/admin/export/json?scope=full" in page
    minimised = admin.http.get("/admin/export/json")
    assert minimised.status_code == 200 and ids["secret"] not in minimised.text
    full = admin.http.get("/admin/export/json?scope=full")
    assert full.status_code == 200 and ids["secret"] in full.text
    assert "-full.json" in full.headers["content-disposition"]
    assert admin.http.get("/admin/export/json?scope=everything").status_code == 422
    make_user(live.hub, "kijker", role="viewer")
    with live.client() as http:
        login(http, "kijker")
        assert "/admin/export/json?scope=full" not in http.get("/admin/export").text
        assert http.get("/admin/export/json?scope=full").status_code == 403
        assert http.get("/admin/export/json").status_code == 200
    with live.hub.db.read() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "export.download")).all()
    assert [(e.actor, e.detail["scope"]) for e in entries] == [
        ("coord", "minimised"),
        ("coord", "full"),
        ("kijker", "minimised"),
    ]
