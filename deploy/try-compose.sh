#!/bin/sh
# Tries the compose set-up end to end on a machine with Docker (docs/deployment.md, "Containers"):
# builds the image, starts PostgreSQL, Redis, the migration, two server processes and nginx, waits
# until they are healthy, loads an office, issues a ticket through nginx, follows the hall board's
# WebSocket through nginx while a clerk calls the ticket, and stops everything (volumes removed).
#
#   sh deploy/try-compose.sh            (from the repository; needs docker compose v2 and python3)
#   KEEP=1 sh deploy/try-compose.sh     (leave it running afterwards, at http://localhost:8080/)
#   PYTHON=.venv/bin/python sh deploy/try-compose.sh   (a Python with `websockets`, for the board)
set -eu
PYTHON="${PYTHON:-python3}"
case "$PYTHON" in */*) PYTHON="$(cd "$(dirname "$PYTHON")" && pwd)/$(basename "$PYTHON")" ;; esac
cd "$(dirname "$0")"
export OKIENKO_SECRET_KEY="${OKIENKO_SECRET_KEY:-$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(36))')}"
export OKIENKO_HTTP_PORT="${OKIENKO_HTTP_PORT:-8080}"
compose() { docker compose -f compose.yaml "$@"; }
okienko() { compose exec -T app1 okienko "$@"; }
step() { printf '\n== %s\n' "$*"; }

cleanup() {
    if [ "${KEEP:-}" = "1" ]; then
        echo "left running: http://localhost:$OKIENKO_HTTP_PORT/  (stop: docker compose -f deploy/compose.yaml down -v)"
    else
        step "stopping"
        compose down -v --remove-orphans
    fi
}
trap cleanup EXIT

step "building and starting (PostgreSQL, Redis, migrate, app1, app2, nginx)"
compose up -d --build --wait --wait-timeout 180

step "every service healthy; the migration ran once and exited 0"
compose ps
test "$(docker inspect -f '{{.State.ExitCode}}' "$(compose ps -a -q migrate)")" = "0"

step "check-config inside the container"
okienko check-config --not-production

step "an office open round the clock (deploy/try-office.toml), a kiosk, a board and a clerk"
compose exec -T app1 sh -c 'cat > /tmp/office.toml && okienko office load /tmp/office.toml' < try-office.toml
KIOSK=$(okienko device add kiosk try-kiosk)
BOARD=$(okienko device add board try-board)
printf 'correct horse battery staple\n' | okienko user add try-clerk --role clerk >/dev/null
CLERK=$(okienko token create try-clerk)

step "through nginx: a ticket, the board's WebSocket, a call"
BASE="http://127.0.0.1:$OKIENKO_HTTP_PORT" KIOSK="$KIOSK" BOARD="$BOARD" CLERK="$CLERK" "$PYTHON" - <<'PY'
import asyncio, json, os, urllib.request

base, ws = os.environ["BASE"], os.environ["BASE"].replace("http", "ws")

def call(method, path, token, body=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body or {}).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())

async def main():
    try:
        from websockets.asyncio.client import connect
    except ImportError:
        raise SystemExit("python3 -m pip install websockets  (to open the board's WebSocket)")
    print("healthz:", json.loads(urllib.request.urlopen(base + "/healthz", timeout=5).read()))
    ticket = call("POST", "/api/v1/tickets", os.environ["KIOSK"], {"service": "A"})
    print("ticket issued through nginx:", ticket["number"])
    async with connect(ws + "/ws/board", additional_headers={"Authorization": f"Bearer {os.environ['BOARD']}"}) as board:
        snapshot = json.loads(await board.recv())
        print("board snapshot through nginx, seq", snapshot.get("seq"))
        call("POST", "/api/v1/windows/1/sign-in", os.environ["CLERK"])
        called = call("POST", "/api/v1/windows/1/call-next", os.environ["CLERK"])
        while True:
            event = json.loads(await asyncio.wait_for(board.recv(), 10))
            if event.get("kind") == "called":
                break
        assert event["number"] == ticket["number"] == called["number"], (event, ticket, called)
        print("the board heard the call through nginx:", event["number"], "to window", event["window"])

asyncio.run(main())
PY

step "a backup from inside the container"
okienko backup /var/lib/okienko/try.backup
echo "all good"
