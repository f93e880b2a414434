"""Two offices in one installation, for the tests: the demo office (the default) and Łódź
(config/lodz-office.toml: other prefixes, four-digit numbers, other hours and board languages, its
own public address). Same app, same database, same live hub; Łódź is reached at its own host."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx

from okienko.office.config_file import load_office, read_office_file
from okienko.staff.auth import add_user, issue_device_token, issue_staff_token
from tests.conftest import ROOT, Office

LODZ_OFFICE = ROOT / "config" / "lodz-office.toml"
LODZ_HOST = "cudzoziemcy.lodz.example"
LODZ_URL = f"https://{LODZ_HOST}"


@dataclass
class TwoOffices:
    demo: Office                 # the default office, at the installation's address
    lodz: Office                 # the same app seen at Łódź's own host, with Łódź's kiosk
    boards: dict[str, str]       # office code -> a board token of that office
    usernames: list[str] = field(default_factory=list)   # the staff made with `staff`, in order

    async def staff(self, office: str, role: str = "clerk", window: str | None = None) -> dict[str, str]:
        """A staff member of `office` ('': an administrator of every office) with a token (signed in at `window` when given): the headers."""
        username = f"{office or 'all'}-{role}-{secrets.token_hex(3)}"
        self.usernames.append(username)
        async with self.demo.okienko.db.engine.begin() as conn:
            await add_user(conn, username, role, "correct horse battery", office or None)
            token = await issue_staff_token(conn, username, self.demo.clock.now())
        headers = {"Authorization": f"Bearer {token}"}
        if window is not None:
            client = self.demo.client if office == "demo" else self.lodz.client
            signed_in = await client.post(f"/api/v1/windows/{window}/sign-in", headers=headers)
            assert signed_in.status_code == 200, signed_in.text
        return headers

    async def close(self) -> None:
        await self.lodz.client.aclose()


async def add_lodz(demo: Office, *, always_open: bool = False, boards: bool = True) -> TwoOffices:
    """Load Łódź beside the demo office already open in `demo`, with a kiosk each, and a board each
    (`boards`: the demo office's hall board; another first office may have none)."""
    spec = read_office_file(LODZ_OFFICE)
    spec.devices = [(kind, f"lodz-{name}", {"kind": "none"} if kind == "kiosk" else printer)
                    for kind, name, printer in spec.devices]
    async with demo.okienko.db.engine.begin() as conn:
        await load_office(conn, spec, always_open=always_open)
        kiosk = await issue_device_token(conn, "lodz", "kiosk", "lodz-hall-1")
        tokens = {"demo": await issue_device_token(conn, "demo", "board", "hall"),
                  "lodz": await issue_device_token(conn, "lodz", "board", "lodz-hall")} if boards else {}
    demo.okienko.offices.invalidate()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=demo.app), base_url=LODZ_URL)
    lodz = Office(demo.app, client, demo.clock, kiosk, demo.settings)
    return TwoOffices(demo, lodz, tokens)


def board_headers(offices: TwoOffices, code: str) -> dict[str, Any]:
    return {"Authorization": f"Bearer {offices.boards[code]}"}
