"""Which office a public request is for, from the address the visitor typed.

Several offices share one installation (one database, the same server processes); each may have its
own public address (`[office] public_url`, e.g. `https://cudzoziemcy.lodz.example`) and more host
names (`[office] hosts`). A visitor who reaches `cudzoziemcy.lodz.example` gets that office's booking
site, kiosk pages, boards and ticket pages, whatever `?office=` says. The rule, one home for it
(docs/office-config.md, "Several offices"):

1. the request's host is one an office names (its `public_url`'s or one of its `hosts`): that office;
2. otherwise `?office=CODE`;
3. otherwise the default office (OKIENKO_OFFICE, else the first loaded).

The request's host is its `Host` header; `X-Forwarded-Host` only when the request came through a
trusted proxy (OKIENKO_TRUSTED_PROXIES, the same proxies whose `X-Forwarded-For` is believed), so a
visitor cannot pick an office by a header they add themselves.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.storage.models import Office


def host_name(value: str) -> str:
    """A host as compared: lower case, without the port and a final dot (`Kolejka.Example:443` ->
    `kolejka.example`; `[::1]:8000` -> `::1`)."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    if value.count(":") == 1:
        value = value.partition(":")[0]
    return value.rstrip(".")


def url_host(public_url: str) -> str:
    """The host of a public address (`https://kolejka.example:8443` -> `kolejka.example`), '' for none."""
    return host_name(urlsplit(public_url).hostname or "") if public_url else ""


def office_hosts(public_url: str, hosts: Iterable[str]) -> tuple[str, ...]:
    """Every host that reaches an office: its public address's host first, then its own `hosts`."""
    every = [url_host(public_url)] + [host_name(host) for host in hosts]
    return tuple(dict.fromkeys(host for host in every if host))


async def read_host_map(conn: AsyncConnection) -> dict[str, str]:
    """Host name -> office code, for every office that names a host (`hosts` are unique across
    offices: `config_file.load_office` refuses one another office already has)."""
    table = Office.__table__
    found: dict[str, str] = {}
    for row in (await conn.execute(sa.select(table.c.code, table.c.public_url, table.c.hosts)
                                   .order_by(table.c.id))).mappings():
        for host in office_hosts(row["public_url"] or "", row["hosts"] or ()):
            found.setdefault(host, row["code"])
    return found


def _trusted(address: str, proxies: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address in proxies
    for proxy in proxies:
        if proxy == "*":
            return True
        try:
            if ip in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False


def came_through_proxy(client: tuple[str, int] | None, headers: Mapping[str, str], proxies: Iterable[str]) -> bool:
    """The request's peer was one of the trusted proxies.

    uvicorn (`okienko serve`, `forwarded_allow_ips`) has already replaced the peer with the address a
    trusted proxy forwarded in `X-Forwarded-For` (with port 0: what it read carried none), so the
    peer is either still a trusted proxy (it forwarded nobody), or that forwarded address, which is
    the last one in `X-Forwarded-For` not itself a trusted proxy. Someone connecting directly keeps
    their own address and a real port, whatever headers they add."""
    proxies = [proxy.strip() for proxy in proxies if proxy.strip()]
    if not proxies or client is None:
        return False
    address, port = client[0], client[1]
    if _trusted(address, proxies):
        return True
    forwarded = [part.strip() for part in headers.get("x-forwarded-for", "").split(",") if part.strip()]
    for hop in reversed(forwarded):
        hop = host_name(hop) if hop.startswith("[") or hop.count(":") == 1 else hop
        if not _trusted(hop, proxies):
            return hop == address and port == 0
    return False


def request_host(client: tuple[str, int] | None, headers: Mapping[str, str], proxies: Iterable[str]) -> str:
    """The host a visitor asked for: `X-Forwarded-Host` (its first value) from a trusted proxy, else
    `Host`."""
    forwarded = headers.get("x-forwarded-host", "")
    if forwarded and came_through_proxy(client, headers, proxies):
        return host_name(forwarded.split(",")[0])
    return host_name(headers.get("host", ""))
