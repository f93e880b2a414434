"""deploy/nginx.conf run by the real nginx in front of two real `okienko serve` processes on loopback:
requests spread over both, a hall board's WebSocket goes through it and hears a call made through
the other process, and the app counts each visitor at the address nginx saw, not at the address a
visitor claims in X-Forwarded-For."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.conftest import IN_CI, free_port, own_postgres_database
from tests.deploy.test_deploy_files import DEPLOY
from tests.okienko.booking.test_bookings import PERSON
from tests.servers import okienko_servers, prepare_hall, serve_env, wait_until

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def nginx_conf(folder: Path, listen: int, upstreams: list[int]) -> Path:
    """deploy/nginx.conf as it is, but for this machine: loopback ports for the two apps and for
    nginx itself, its files in `folder`, and each answer naming the app process that gave it."""
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    text = text.replace("server app1:8000", f"server 127.0.0.1:{upstreams[0]}")
    text = text.replace("server app2:8000", f"server 127.0.0.1:{upstreams[1]}")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{listen};").replace("listen [::]:80;", "")
    text = text.replace("pid /tmp/nginx.pid;", f"pid {folder}/nginx.pid;")
    for_this_test = "\n".join([
        f"    {kind}_temp_path {folder}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    ] + ["    add_header X-Okienko-Upstream $upstream_addr always;"])
    text = text.replace("http {\n", "http {\n" + for_this_test + "\n", 1)
    if os.geteuid() == 0:   # its workers would otherwise run as nobody, who cannot reach the test's folder
        text = "user root;\n" + text
    path = folder / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def own_database() -> Iterator[str]:
    with own_postgres_database("okienko_nginx") as url:
        yield url


@pytest.fixture(scope="module")
def behind_nginx(own_database: str, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[tuple[str, list[str], dict[str, str]]]:
    """(nginx's address, the two apps' addresses, tokens): two `okienko serve` over one PostgreSQL
    (events through NOTIFY), nginx in front with deploy/nginx.conf; started once for the module."""
    tmp_path = tmp_path_factory.mktemp("nginx")
    if NGINX is None:
        if IN_CI:
            pytest.fail("nginx is required under CI=true (apt install nginx-light)")
        pytest.skip("no nginx here (apt install nginx-light)")
    tokens = prepare_hall(own_database, tmp_path, {"kiosk": "kiosk:hall-1", "board": "board:hall",
                                                   "anna": "clerk:anna"})
    env = serve_env(own_database, tmp_path, broker_url="postgresql", trusted_proxies="127.0.0.1")
    with okienko_servers(env, tmp_path, count=2) as servers:
        port = free_port()
        config = nginx_conf(tmp_path, port, [server.port for server in servers])
        tested = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(config)], capture_output=True, text=True)
        assert tested.returncode == 0, tested.stderr
        log = (tmp_path / "nginx.log").open("w")
        nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(config), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=log)
        log.close()
        base = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            assert nginx.poll() is None, f"nginx exited: {(tmp_path / 'nginx.log').read_text()}"
            try:
                return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_until(answers, 15, "nginx did not answer /healthz")
            yield base, [server.url for server in servers], tokens
        finally:
            nginx.terminate()
            nginx.wait(10)


async def test_a_board_through_nginx_hears_a_call_made_through_nginx(behind_nginx) -> None:
    base, apps, tokens = behind_nginx
    bearer = lambda name: {"Authorization": f"Bearer {tokens[name]}"}  # noqa: E731
    app_ports = {url.rsplit(":", 1)[1] for url in apps}
    async with httpx.AsyncClient(base_url=base) as http:
        served_by = {(await http.get("/healthz")).headers["x-okienko-upstream"].rsplit(":", 1)[1] for _ in range(6)}
        assert served_by == app_ports   # both processes answer through it
        ticket = await http.post("/api/v1/tickets", headers=bearer("kiosk"), json={"service": "K"})
        assert ticket.status_code == 201, ticket.text
        async with connect(base.replace("http", "ws") + "/ws/board", additional_headers=bearer("board")) as board:
            snapshot = json.loads(await board.recv())
            assert (await http.post("/api/v1/windows/8/sign-in", headers=bearer("anna"))).status_code == 200
            call = await http.post("/api/v1/windows/8/call-next", headers=bearer("anna"))
            assert call.status_code == 200 and call.json()["number"] == ticket.json()["number"], call.text
            while True:
                event = json.loads(await asyncio.wait_for(board.recv(), 10))
                if event.get("kind") == "called":
                    break
            assert (event["number"], event["window"]) == (ticket.json()["number"], "8")
            assert event["seq"] > snapshot["seq"]


async def booking_attempt(base: str, source: str, claimed: str, index: int) -> str:
    """A booking attempt (refused: long past) from the loopback address `source`, claiming to be
    `claimed` in X-Forwarded-For; the error code the app answers."""
    transport = httpx.AsyncHTTPTransport(local_address=source)
    async with httpx.AsyncClient(transport=transport, base_url=base) as http:
        answer = await http.post("/api/v1/bookings", headers={"X-Forwarded-For": claimed},
                                 json={"service": "A", "start": "2020-01-06T10:00:00+01:00", **PERSON,
                                       "email": f"p{index}@example.com", "phone": ""})
    return answer.json()["error"]


async def test_the_app_counts_visitors_at_the_address_nginx_saw(behind_nginx) -> None:
    base, _apps, _tokens = behind_nginx
    limit = int(re.search(r"per_address_per_hour = (\d+)", (DEPLOY.parent / "config" / "demo-office.toml")
                          .read_text()).group(1))   # type: ignore[union-attr]
    # One visitor (127.0.0.2) claiming a new address each time is still one visitor...
    errors = [await booking_attempt(base, "127.0.0.2", f"203.0.113.{index}", index) for index in range(limit + 1)]
    assert errors == ["outside_horizon"] * limit + ["rate_limited"]
    # ...and another one (127.0.0.3) is someone else: nginx's X-Forwarded-For is believed, so the app
    # does not count every visitor as nginx's own 127.0.0.1.
    assert await booking_attempt(base, "127.0.0.3", "127.0.0.2", 100) == "outside_horizon"
