"""Which office a request is for, from the host the visitor reached (okienko/office/addresses.py),
and the office file's own address keys (docs/office-config.md, "Several offices")."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from okienko.links import PublicLinks
from okienko.office.addresses import came_through_proxy, host_name, office_hosts, request_host
from okienko.office.config_file import OfficeFileError, parse_office
from tests.conftest import DEMO_OFFICE

PROXIES = ["127.0.0.1", "10.1.0.0/16"]


@pytest.mark.parametrize(("given", "compared"), [
    ("Cudzoziemcy.Lodz.Example", "cudzoziemcy.lodz.example"), ("kolejka.example:8443", "kolejka.example"),
    ("kolejka.example.", "kolejka.example"), ("[::1]:8000", "::1"), ("127.0.0.1:8000", "127.0.0.1"), ("", ""),
])
def test_a_host_is_compared_without_case_port_or_final_dot(given: str, compared: str) -> None:
    assert host_name(given) == compared


def test_an_office_is_reached_by_its_public_address_and_its_own_hosts_each_once() -> None:
    assert office_hosts("https://Cudzoziemcy.lodz.example:8443", ["kolejka.lodz.example", "cudzoziemcy.lodz.example"]) \
        == ("cudzoziemcy.lodz.example", "kolejka.lodz.example")
    assert office_hosts("", []) == ()


@pytest.mark.parametrize(("client", "headers", "believed"), [
    # A trusted proxy that forwarded nobody (no X-Forwarded-For): the peer is still the proxy.
    (("127.0.0.1", 51000), {}, True),
    # uvicorn took the visitor's address from a trusted proxy's X-Forwarded-For (port 0: it had none).
    (("203.0.113.7", 0), {"x-forwarded-for": "203.0.113.7"}, True),
    (("203.0.113.7", 0), {"x-forwarded-for": "198.51.100.1, 203.0.113.7, 10.1.2.3"}, True),
    # Someone connecting directly, whatever they claim.
    (("203.0.113.7", 51000), {"x-forwarded-for": "203.0.113.7"}, False),
    (("203.0.113.7", 51000), {}, False),
    (("198.51.100.1", 0), {"x-forwarded-for": "198.51.100.1, 203.0.113.7"}, False),
    (None, {}, False),
])
def test_forwarded_headers_are_believed_only_from_a_trusted_proxy(client: Any, headers: dict[str, str],
                                                                   believed: bool) -> None:
    assert came_through_proxy(client, headers, PROXIES) is believed
    asked = {**headers, "host": "okienko.internal:8000", "x-forwarded-host": "Cudzoziemcy.Lodz.Example"}
    assert request_host(client, asked, PROXIES) == ("cudzoziemcy.lodz.example" if believed else "okienko.internal")


def test_no_trusted_proxy_means_the_host_header_alone() -> None:
    headers = {"host": "kolejka.example", "x-forwarded-host": "other.example"}
    assert request_host(("127.0.0.1", 5000), headers, []) == "kolejka.example"
    assert request_host(("127.0.0.1", 5000), headers, ["*"]) == "other.example"


def _office(**keys: Any) -> dict[str, Any]:
    raw = tomllib.loads(DEMO_OFFICE.read_text(encoding="utf-8"))
    raw["office"].update(keys)
    return raw


def test_the_office_file_takes_a_public_address_and_host_names() -> None:
    spec = parse_office(_office(public_url="https://Cudzoziemcy.lodz.example/", hosts=["Kolejka.Lodz.Example"]))
    assert (spec.public_url, spec.hosts) == ("https://Cudzoziemcy.lodz.example", ("kolejka.lodz.example",))
    assert (parse_office(_office()).public_url, parse_office(_office()).hosts) == ("", ())


@pytest.mark.parametrize(("keys", "field"), [
    ({"public_url": "cudzoziemcy.lodz.example"}, "office.public_url"),
    ({"public_url": "https://cudzoziemcy.lodz.example/book"}, "office.public_url"),
    ({"public_url": "ftp://cudzoziemcy.lodz.example"}, "office.public_url"),
    ({"public_url": "https://user@cudzoziemcy.lodz.example"}, "office.public_url"),
    ({"hosts": "kolejka.lodz.example"}, "office.hosts"),
    ({"hosts": ["https://kolejka.lodz.example"]}, "office.hosts[0]"),
    ({"hosts": ["kolejka.lodz.example:443"]}, "office.hosts[0]"),
    ({"hosts": ["a.example", "A.example"]}, "office.hosts[1]"),
])
def test_an_address_that_is_not_one_is_named(keys: dict[str, Any], field: str) -> None:
    with pytest.raises(OfficeFileError) as refused:
        parse_office(_office(**keys))
    assert refused.value.field == field


class _Office:
    public_url = "https://cudzoziemcy.lodz.example"


def test_an_office_with_its_own_address_gives_out_links_on_it_without_office() -> None:
    installation = PublicLinks("https://kolejka.example")
    assert installation.manage("ABC123", "s", "pl", "lodz") == \
        "https://kolejka.example/book/manage/ABC123?secret=s&lang=pl&office=lodz"
    own = installation.for_office(_Office())
    assert own.manage("ABC123", "s", "pl", "lodz") == "https://cudzoziemcy.lodz.example/book/manage/ABC123?secret=s&lang=pl"
    assert own.ticket("t1") == "https://cudzoziemcy.lodz.example/t/t1"
    assert own.book(None, "uk", "lodz") == "https://cudzoziemcy.lodz.example/book?lang=uk"
    assert installation.for_office(object()) is installation
