"""deploy/: the compose file, nginx's configuration, the image and the systemd units agree with the
app (its commands, port, health check, WebSocket paths and settings), so that a change to one is
seen in the other before an operator finds it. The containers themselves are tried by
deploy/try-compose.sh where Docker runs; nginx itself by tests/deploy/test_nginx.py."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.routing import Route, WebSocketRoute

from okienko.deployment_check import check_deployment
from okienko.office.config_file import read_office_file
from okienko.settings import Settings, setting_fields
from okienko_server.app import routes
from okienko_server.cli import parser
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
SETTINGS_VARIABLES = {field.metadata["env"] for field in setting_fields()}


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def nginx_locations() -> dict[str, str]:
    """Each `location PREFIX { ... }` of deploy/nginx.conf: its body."""
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    return dict(re.findall(r"location\s+(\S+)\s*\{([^}]*)\}", text))


def directives(body: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for statement in body.split(";"):
        words = statement.split()
        if words:
            found.setdefault(words[0], []).append(" ".join(words[1:]))
    return found


def seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", value).groups()   # type: ignore[union-attr]
    return int(number) * {"ms": 0, "s": 1, None: 1, "m": 60, "h": 3600, "d": 86400}[unit]


def app_paths() -> tuple[set[str], set[str]]:
    http = {route.path for route in routes("all") if isinstance(route, Route)}
    sockets = {route.path for route in routes("all") if isinstance(route, WebSocketRoute)}
    return http, sockets


def test_compose_starts_the_whole_thing_in_order() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "app1", "app2", "nginx"}
    assert services["migrate"]["command"] == ["okienko", "migrate"]
    assert services["migrate"]["restart"] == "no"
    for app in ("app1", "app2"):
        assert services[app]["command"] == ["okienko", "serve"]
        assert services[app]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[app]["depends_on"]["redis"] == {"condition": "service_healthy"}
        assert "ports" not in services[app]   # reached through nginx only
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert {name for name, condition in services["nginx"]["depends_on"].items()
            if condition == {"condition": "service_healthy"}} == {"app1", "app2"}
    for name in ("postgres", "redis", "app1", "app2", "nginx"):
        assert services[name]["healthcheck"]["test"], name
    # Each commands parses as the `okienko` command would.
    for name in ("migrate", "app1"):
        parser().parse_args(services[name]["command"][1:])


def test_the_apps_health_check_and_port_are_the_apps() -> None:
    services = compose()["services"]
    http_paths, _ = app_paths()
    environment = services["app1"]["environment"]
    for app in ("app1", "app2"):
        probe = " ".join(services[app]["healthcheck"]["test"])
        url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", probe)
        assert url and url.group(1) == environment["OKIENKO_PORT"] and url.group(2) in http_paths, probe
    nginx_probe = " ".join(services["nginx"]["healthcheck"]["test"])
    assert re.search(r"http://127\.0\.0\.1(/\w+)", nginx_probe).group(1) in http_paths   # type: ignore[union-attr]
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    upstream = re.findall(r"^\s*server (\w+):(\d+)", text, flags=re.M)
    assert upstream == [("app1", environment["OKIENKO_PORT"]), ("app2", environment["OKIENKO_PORT"])]
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]
    assert re.search(r"^\s*listen 80;", text, flags=re.M)
    assert any(port.endswith(":80") for port in services["nginx"]["ports"])


def test_the_apps_settings_are_real_settings_that_pass_check_config() -> None:
    services = compose()["services"]
    environment = {name: str(value) for name, value in services["app1"]["environment"].items()}
    assert set(environment) <= SETTINGS_VARIABLES, set(environment) - SETTINGS_VARIABLES
    assert services["app2"]["environment"] == services["app1"]["environment"] == \
        services["migrate"]["environment"]
    # Only nginx, at its fixed address, is believed about whom it forwards.
    nginx_address = services["nginx"]["networks"]["okienko"]["ipv4_address"]
    assert environment["OKIENKO_TRUSTED_PROXIES"] == nginx_address
    filled = {name: re.sub(r"\$\{(\w+)[:?-]+[^}]*\}", lambda m: {"OKIENKO_SECRET_KEY": "k" * 48}.get(
        m.group(1), "okienko"), value) for name, value in environment.items()}
    filled["OKIENKO_PUBLIC_URL"] = "https://kolejka.example.gov.pl"
    filled.update(OKIENKO_SMTP_HOST="smtp.example.gov.pl", OKIENKO_MAIL_FROM="rezerwacje@example.gov.pl",
                  OKIENKO_DATA_DIR=str(ROOT))
    _settings, problems = check_deployment(filled, production=True, connect=False)
    assert [str(problem) for problem in problems] == []
    assert filled["DATABASE_URL"].startswith("postgresql://okienko:okienko@postgres:5432/")
    assert "${OKIENKO_SECRET_KEY:?" in (DEPLOY / "compose.yaml").read_text()   # never a default secret


def test_nginx_proxies_every_websocket_with_upgrade_headers_and_long_timeouts() -> None:
    locations = nginx_locations()
    _, sockets = app_paths()
    assert sockets and all(path.startswith("/ws/") for path in sockets), sockets
    websocket = directives(locations["/ws/"])
    headers = dict(value.split(None, 1) for value in websocket["proxy_set_header"])
    assert headers["Upgrade"] == "$http_upgrade" and headers["Connection"] == "$connection_upgrade"
    assert seconds(websocket["proxy_read_timeout"][0]) >= 3600
    assert seconds(websocket["proxy_send_timeout"][0]) >= 3600
    for prefix, body in locations.items():
        found = directives(body)
        headers = dict(value.split(None, 1) for value in found["proxy_set_header"])
        assert headers["X-Forwarded-For"] == "$remote_addr", prefix   # the edge: a visitor's own claim replaced
        assert headers["X-Forwarded-Proto"] == "$scheme" and headers["Host"] == "$host", prefix
        assert found["proxy_pass"] == ["http://okienko"], prefix
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert re.search(r"^\s*proxy_http_version 1\.1;", text, flags=re.M)
    limit = re.search(r"client_max_body_size (\d+)([km]?);", text)
    assert limit and int(limit.group(1)) * {"": 1, "k": 1024, "m": 1 << 20}[limit.group(2)] >= \
        Settings().max_body_bytes


def test_the_image_runs_the_app_as_a_user_with_what_it_needs() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", text, flags=re.M)
    user = re.findall(r"^USER (\S+)$", text, flags=re.M)
    assert user and user[-1] not in ("root", "0")
    for package in ("fonts-dejavu-core", "libfribidi0", "postgresql-client"):
        assert re.search(rf"apt-get install[^\n]*\b{package}\b", text), package
    copied = set(re.findall(r"^COPY (\w+) \./\1$", text, flags=re.M))
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert {name.rstrip("*") for name in packages["include"]} <= copied
    assert re.search(r"HEALTHCHECK .*\n.*http://127\.0\.0\.1:8000/healthz", text)
    assert 'CMD ["okienko", "serve"]' in text
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {".venv", ".git", "var", "tests"} <= set(ignored)


def systemd_units() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted((DEPLOY / "systemd").iterdir())}


def test_systemd_units_run_real_okienko_commands() -> None:
    units = systemd_units()
    assert {"okienko@.service", "okienko-migrate.service", "okienko-print-agent@.service",
            "okienko-backup.service", "okienko-backup.timer"} <= set(units)
    for name, text in units.items():
        for command in re.findall(r"/opt/okienko/venv/bin/okienko ([^'\n]*)", text):
            command = re.sub(r"\$\(date[^)]*\)", "x", command)
            words = [word if not word.startswith("${") else "x" for word in command.split()]
            parser().parse_args(words)   # exits (and fails the test) on a command that is not one
    serve = units["okienko@.service"]
    assert "Environment=OKIENKO_PORT=%i" in serve and "Environment=OKIENKO_HOST=127.0.0.1" in serve
    assert re.search(r"^Requires=okienko-migrate\.service$", serve, flags=re.M)
    assert re.search(r"^After=.*okienko-migrate\.service", serve, flags=re.M)
    assert re.search(r"^User=okienko$", serve, flags=re.M)


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("no systemd-analyze here")
    okienko = Path(sys.executable).with_name("okienko")
    names = []
    for name, text in systemd_units().items():
        instance = name.replace("@.", "@8001.") if name.startswith("okienko@") else name.replace("@.", "@hall-1.")
        (tmp_path / instance).write_text(text.replace("/opt/okienko/venv/bin/okienko", str(okienko)))
        names.append(str(tmp_path / instance))
    done = subprocess.run([analyze, "verify", "--man=no", *names], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)
    problems = [line for line in done.stderr.splitlines() if any(Path(n).name in line for n in names)]
    assert problems == [], done.stderr


def test_the_try_script_loads_an_office_that_the_office_rules_accept() -> None:
    spec = read_office_file(DEPLOY / "try-office.toml")
    assert {kind: name for kind, name, _ in spec.devices} == {"kiosk": "try-kiosk", "board": "try-board"}
    script = (DEPLOY / "try-compose.sh").read_text(encoding="utf-8")
    assert "okienko device add kiosk try-kiosk" in script and "okienko device add board try-board" in script
    assert "/ws/board" in script and "/api/v1/tickets" in script and "compose down -v" in script
    assert subprocess.run(["sh", "-n", str(DEPLOY / "try-compose.sh")]).returncode == 0
