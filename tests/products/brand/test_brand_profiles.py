"""/api/brand-profiles through one real server on loopback: create, list, read, change, delete;
every bad field a 400 naming it; another user's profile a 404 on every route; the logo an upload of
the caller's own, shown at a freshly signed URL; and `brand_snapshot`, the contract the ad products
resolve `brandProfileId` with."""

from __future__ import annotations

import typing
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from apexlocal.accounts.api_keys import create_key
from apexlocal.accounts.users import create_user
from apexlocal.engines.fonts import FONT_NAMES, font_file, installed_fonts
from apexlocal.errors import BadRequest
from apexlocal.products.brand.resolve import brand_snapshot
from apexlocal.products.brand.schemas import FontName
from tests import loopback
from tests.api.live_server import LiveServer
from tests.api.webhook_helpers import png_bytes, wav_bytes
from tests.conftest import make_settings

HEX_RULE = "must be a hex colour #rrggbb such as #ff6600"
FULL = {
    "name": "Acme Bottles",
    "colors": ["#FF6600", "#102030"],
    "font": "liberation-serif",
    "tone": "warm and direct",
    "tagline": "Drink better.",
    "bannedWords": ["cheap", " Free  gift ", "CHEAP"],
}


@dataclass
class Served:
    server: LiveServer
    services: Any
    settings: Any

    def client(self) -> httpx.Client:
        user = create_user(self.services.db, f"{uuid.uuid4().hex[:8]}@example.com", "free", self.settings.plans, 100)
        key = create_key(self.services.db, user.id, "test").key
        client = loopback.client(base_url=self.server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        client.user_id = user.id  # type: ignore[attr-defined]
        return client


@pytest.fixture(scope="module")
def served(tmp_path_factory, models_dir) -> Iterator[Served]:
    from apexlocal.app import create_app

    settings = make_settings(
        tmp_path_factory.mktemp("brand"), models_dir, rate_limits="read=100000/10,generation=100000/10,upload=1000/10"
    )
    app = create_app(settings, start_workers=False)
    with LiveServer(app) as server:
        yield Served(server, app.state.services, settings)


@pytest.fixture(scope="module")
def alice(served: Served) -> Iterator[httpx.Client]:
    with served.client() as client:
        yield client


@pytest.fixture(scope="module")
def bob(served: Served) -> Iterator[httpx.Client]:
    with served.client() as client:
        yield client


def upload(client: httpx.Client, kind: str, name: str, content: bytes, content_type: str) -> str:
    r = client.post(f"/api/upload/{kind}", files={"file": (name, content, content_type)})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["url"])


def create(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/brand-profiles", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json()["data"])


def refused(client: httpx.Client, method: str, path: str, body: Any = None, status: int = 400) -> str:
    r = client.request(method, path, json=body)
    assert r.status_code == status, r.text
    assert r.json()["code"] == {400: "BAD_REQUEST", 404: "NOT_FOUND"}[status]
    return str(r.json()["error"])


def test_the_font_names_on_the_wire_are_the_bundled_set():
    assert typing.get_args(FontName) == FONT_NAMES
    # fonts-dejavu-core/-extra and fonts-liberation (.ci/run installs them): every family is here.
    assert installed_fonts() == list(FONT_NAMES), "install Debian fonts-dejavu-core fonts-dejavu-extra fonts-liberation"
    assert all(font_file(name, bold=True) is not None for name in FONT_NAMES)


def test_create_read_list_update_delete(alice):
    logo = upload(alice, "image", "logo.png", png_bytes(8, 8), "image/png")
    made = create(alice, {**FULL, "logoUrl": logo})
    assert made["id"].startswith("bp_")
    assert made["colors"] == ["#ff6600", "#102030"]
    assert made["bannedWords"] == ["cheap", "Free gift"]
    assert (made["name"], made["font"], made["tone"], made["tagline"]) == (
        "Acme Bottles",
        "liberation-serif",
        "warm and direct",
        "Drink better.",
    )
    assert made["createdAt"] == made["updatedAt"]
    # The logo is shown at a URL this server signs afresh, and it serves the uploaded image.
    assert "/files/" in made["logoUrl"] and "sig=" in made["logoUrl"]
    assert loopback.get(made["logoUrl"]).content == png_bytes(8, 8)

    plain = create(alice, {"name": "Plain"})
    assert plain | {"id": "", "createdAt": "", "updatedAt": ""} == {
        "id": "",
        "name": "Plain",
        "colors": [],
        "font": "dejavu-sans",
        "logoUrl": None,
        "tone": None,
        "tagline": None,
        "bannedWords": [],
        "createdAt": "",
        "updatedAt": "",
    }
    listed = alice.get("/api/brand-profiles").json()["data"]
    assert [p["id"] for p in listed][:2] == [plain["id"], made["id"]]  # newest first
    assert alice.get(f"/api/brand-profiles/{made['id']}").json()["data"]["name"] == "Acme Bottles"

    r = alice.patch(f"/api/brand-profiles/{made['id']}", json={"tagline": None, "colors": ["#000000"], "logoUrl": None})
    assert r.status_code == 200, r.text
    changed = r.json()["data"]
    assert (changed["tagline"], changed["colors"], changed["logoUrl"]) == (None, ["#000000"], None)
    kept = (changed["name"], changed["tone"], changed["bannedWords"])
    assert kept == ("Acme Bottles", "warm and direct", made["bannedWords"])

    r = alice.delete(f"/api/brand-profiles/{plain['id']}")
    assert r.status_code == 200 and r.json()["data"]["id"] == plain["id"]
    refused(alice, "GET", f"/api/brand-profiles/{plain['id']}", status=404)
    refused(alice, "DELETE", f"/api/brand-profiles/{plain['id']}", status=404)


def test_another_users_profile_is_not_found_on_every_route(alice, bob, served):
    mine = create(alice, {"name": "Mine", "tagline": "Only mine"})
    path = f"/api/brand-profiles/{mine['id']}"
    assert refused(bob, "GET", path, status=404) == "Brand profile not found"
    refused(bob, "PATCH", path, {"name": "Stolen"}, status=404)
    refused(bob, "DELETE", path, status=404)
    assert mine["id"] not in [p["id"] for p in bob.get("/api/brand-profiles").json()["data"]]
    assert alice.get(path).json()["data"]["name"] == "Mine"  # untouched
    # The ad products resolve an id the same way: the owner's snapshot, anyone else a 400 naming the field.
    snap = brand_snapshot(served.services, alice.user_id, mine["id"])
    assert (snap["id"], snap["name"], snap["tagline"]) == (mine["id"], "Mine", "Only mine")
    with pytest.raises(BadRequest, match=r"^brandProfileId: "):
        brand_snapshot(served.services, bob.user_id, mine["id"])
    with pytest.raises(BadRequest, match=r"^brandProfileId: "):
        brand_snapshot(served.services, alice.user_id, "bp_0000000000000000")


def test_bad_fields_are_400s_naming_the_field(alice, bob):
    post = lambda body: refused(alice, "POST", "/api/brand-profiles", body)  # noqa: E731
    assert post({}) == "name: is required"
    assert post({"name": ""}).startswith("name: must be 1-100 characters")
    assert post({"name": "   "}) == "name: must not be blank"
    assert post({"name": "x", "colors": ["#ff6600", "orange"]}) == f"colors[1]: {HEX_RULE}"
    assert post({"name": "x", "colors": ["#fff"]}).startswith("colors[0]: ")
    assert post({"name": "x", "colors": ["#000000"] * 9}) == "colors: must be a list at most 8 items"
    assert post({"name": "x", "font": "comic-sans"}).startswith("font: must be one of dejavu-sans, ")
    assert post({"name": "x", "bannedWords": ["ok", "  "]}) == "bannedWords[1]: must be 1-50 characters of text"
    assert post({"name": "x", "tone": "a" * 201}).startswith("tone: ")
    assert post({"name": "x", "slogan": "y"}).startswith("slogan: unknown field")
    # A logo must be an image the caller uploaded: not a remote URL, not audio, not someone else's.
    assert post({"name": "x", "logoUrl": "https://example.com/l.png"}).startswith("logoUrl: must be this server's")
    audio = upload(alice, "audio", "a.wav", wav_bytes(800), "audio/wav")
    assert post({"name": "x", "logoUrl": audio}).startswith("logoUrl: expected image/*")
    theirs = upload(bob, "image", "b.png", png_bytes(4, 4), "image/png")
    assert post({"name": "x", "logoUrl": theirs}) == "logoUrl: is not one of your files"

    made = create(alice, {"name": "Patchable"})
    path = f"/api/brand-profiles/{made['id']}"
    assert refused(alice, "PATCH", path, {"colors": ["red"]}) == f"colors[0]: {HEX_RULE}"
    assert refused(alice, "PATCH", path, {"font": "papyrus"}).startswith("font: must be one of ")
    assert refused(alice, "PATCH", path, {"name": None}).startswith("name: ")
    assert alice.get(path).json()["data"] == made  # nothing changed by the refusals
