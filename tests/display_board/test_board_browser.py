"""The hall board and a window display in a real headless Chromium against a real `okienko demo`.

What the hall sees: a call shown large the moment a clerk makes it, the waiting counts moving,
the number above the window, a board that catches up with a call made while its connection was
down (and shows nothing stale), and spoken calls that never cut each other off. Labels take turns
in the office's board languages (the demo's: Polish, Ukrainian, English) without anything moving,
no text is too small to read across the hall, and the sound prompt covers nothing.
Screenshots go to /tmp/board-shots/ for a person to look at.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import time
import urllib.request
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, WebSocketRoute, expect

from tests.conftest import CHROMIUM_ARGS, demo_office_variant, launched_chromium, overflow_problems, require_chromium, running_demo

pytestmark = pytest.mark.browser

EXTRA_ARGS = ("--autoplay-policy=no-user-gesture-required",)  # boards play sound unattended
SHOTS = Path("/tmp/board-shots")
LANDSCAPE = {"width": 1920, "height": 1080}
PORTRAIT = {"width": 1080, "height": 1920}

CUT_OFF_CHECKED = ".call, .calls-row, .waiting-service, .window-number, .board-header"
# No text on a board under this (px at 1920x1080 and 1080x1920): a capital of about 14 mm on a 55"
# screen, readable at 6-10 m (character height >= 1/200-1/300 of the distance). board.css: --min-text.
MIN_TEXT_PX = 28
# Every element with text of its own, its rendered font size and box: the hidden languages of a
# label too (visibility: hidden), since each of them is shown in turn. `display: none` is left out.
TEXT_SIZES_JS = """() => {
  const found = [];
  for (const element of document.body.querySelectorAll("*")) {
    if (!element.getClientRects().length || ["SCRIPT", "STYLE"].includes(element.tagName)) continue;
    const own = [...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const box = element.getBoundingClientRect();
    found.push({text: element.textContent.trim().slice(0, 40), size: parseFloat(getComputedStyle(element).fontSize),
                className: element.className, width: box.width, height: box.height});
  }
  return found;
}"""
# The boxes of what the hall reads, for the sound prompt to stay clear of.
CONTENT = ".office-name, .clock, .panel-title, .call, .calls-head, .calls-row, .waiting-service, .ticker, " \
          ".window-title, .window-number, .window-office"


def short_wav(seconds: float = 0.3) -> bytes:
    """A short silent WAV: stands in for the spoken call so the queue test takes a second, not a minute."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(8000)
        handle.writeframes(b"\0\0" * int(8000 * seconds))
    return buffer.getvalue()


@dataclass
class DemoServer:
    url: str
    board_enroll: str
    kiosk_token: str
    clerk_token: str
    manager_token: str
    staff_token: Callable[[str], str]
    window_tokens: dict[str, str] = field(default_factory=dict)

    def api(self, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            text = answer.read()
            return json.loads(text) if text else None

    def take_ticket(self, service: str = "A") -> dict[str, Any]:
        return self.api("POST", "/api/v1/tickets", self.kiosk_token, {"service": service, "language": "pl"})

    def call_next(self, window: str) -> dict[str, Any]:
        """A clerk of that window calls (one clerk per window: a clerk leaving a window with a visitor
        called would have to say what becomes of the ticket first)."""
        if window not in self.window_tokens:
            self.window_tokens[window] = self.staff_token("urzednik")
        token = self.window_tokens[window]
        self.api("POST", f"/api/v1/windows/{window}/sign-in", token)
        return self.api("POST", f"/api/v1/windows/{window}/call-next", token)

    def serve(self, ticket: dict[str, Any], window: str) -> None:
        """The clerk of that window serves the visitor called there: the window may call again."""
        for action in ("start", "finish"):
            self.api("POST", f"/api/v1/tickets/{ticket['id']}/{action}", self.window_tokens[window])


@dataclass
class Gate:
    """Lets the board's WebSocket through to the server, or turns it away (a network break)."""
    open: bool = True
    sockets: list[WebSocketRoute] = field(default_factory=list)
    turned_away: int = 0

    def __call__(self, ws: WebSocketRoute) -> None:
        if self.open:
            ws.connect_to_server()
            self.sockets.append(ws)
        else:
            self.turned_away += 1
            ws.close(code=1011, reason="network down (test)")

    def wait_until_turned_away(self, page: Page, count: int, seconds: float = 10.0) -> None:
        """Until the board has tried to reconnect `count` times (Playwright runs the gate while it waits)."""
        deadline = time.monotonic() + seconds
        while self.turned_away < count:
            assert time.monotonic() < deadline, f"the board tried {self.turned_away} times in {seconds} s"
            page.wait_for_timeout(50)


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[DemoServer]:
    """`okienko demo` in a subprocess: the board's sign-in link, a kiosk token, a clerk's and a manager's."""
    with running_demo(tmp_path_factory.mktemp("board-demo")) as demo:
        yield DemoServer(demo.url, demo.links("board")["hall"], demo.token("kiosk"), demo.staff_token("urzednik"),
                         demo.staff_token("kierownik"), demo.staff_token)


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Browser]:
    with launched_chromium(*EXTRA_ARGS) as launched:
        yield launched


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context(viewport=LANDSCAPE)
    yield made
    made.close()


def waiting(page: Page, service: str) -> Any:
    return page.locator(f'.waiting-service[data-service="{service}"] [data-count]')


def screenshot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(100)
    problems = overflow_problems(page, CUT_OFF_CHECKED)
    page.screenshot(path=str(SHOTS / f"{name}.png"), animations="disabled")  # a flash shown at its end
    assert problems == [], (name, problems)


def test_the_board_shows_calls_live_and_catches_up_after_a_break(demo_server: DemoServer,
                                                                  context: BrowserContext) -> None:
    errors: list[str] = []
    spoken: list[tuple[str, str]] = []
    real_answers: list[tuple[int, str]] = []

    def announcement(route: Route) -> None:
        query = dict(re.findall(r"(\w+)=([^&]+)", route.request.url.partition("?")[2]))
        spoken.append((query["number"], query["window"]))
        if len(spoken) == 1:  # the first is fetched from the real server: speech, or 204 without it
            answer = route.fetch()
            real_answers.append((answer.status, answer.headers.get("content-type", "")))
        route.fulfill(status=200, body=short_wav(), content_type="audio/wav")

    gate = Gate()
    context.route_web_socket(re.compile(r".*/ws/board$"), gate)
    context.route("**/board/announcement.wav?*", announcement)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(demo_server.url + demo_server.board_enroll)
    expect(page).to_have_url(re.compile(r"/board/$"))

    # A fresh board: nothing called yet, counts from the snapshot; this browser may play sound
    # unasked (as a kiosk-mode board's Chromium), so the board speaks without asking.
    expect(page.locator("#current-number")).to_have_text("—")
    expect(waiting(page, "A")).to_have_text("0")
    page.wait_for_function("() => window.okienkoBoard.sound === 'on'")
    expect(page.locator("#sound-prompt")).to_be_hidden()

    demo_server.take_ticket("A")
    expect(waiting(page, "A")).to_have_text("1")

    with page.expect_request("**/board/announcement.wav?*") as spoken_request:
        first = demo_server.call_next("3")
    assert first["number"] == "A001"
    assert "number=A001&window=3" in spoken_request.value.url
    expect(page.locator("#current-number")).to_have_text("A001")
    expect(page.locator("#current-window")).to_have_text("3")
    expect(page.locator("#current-call")).to_have_class(re.compile(r"\bflash\b"))
    expect(waiting(page, "A")).to_have_text("0")
    page.wait_for_function("() => window.okienkoBoard.announcements[0].endedAt !== null")
    assert real_answers[0][0] == 204 or real_answers[0] == (200, "audio/wav"), real_answers

    # The display above window 3 shows the number; another window shows a dash.
    above = context.new_page()
    above.goto(f"{demo_server.url}/board/window/3")
    expect(above.locator("#window-number")).to_have_text("A001")
    expect(above.locator(".window-title")).to_contain_text("3")
    expect(above.locator("#sound-prompt")).to_be_hidden()  # a window display is silent unless asked
    screenshot(above, "window-1920x1080")
    above.set_viewport_size(PORTRAIT)
    screenshot(above, "window-1080x1920")
    above.goto(f"{demo_server.url}/board/window/5")
    expect(above.locator("#window-number")).to_have_text("—")
    above.close()

    # The network drops; a call is made meanwhile; the board catches up once it is back.
    gate.open = False
    page.evaluate("window.okienkoBoard.socket.close()")
    expect(page.locator("#connection")).to_be_visible()
    demo_server.take_ticket("A")
    demo_server.take_ticket("A")
    second = demo_server.call_next("1")
    assert second["number"] == "A002"
    gate.wait_until_turned_away(page, 2)
    expect(page.locator("#current-number")).to_have_text("A001")
    gate.open = True
    expect(page.locator("#current-number")).to_have_text("A002", timeout=8000)
    expect(page.locator("#current-window")).to_have_text("1")
    expect(page.locator("#connection")).to_be_hidden()
    expect(page.locator(".calls-row").first).to_have_text(re.compile(r"A001\s*→\s*3"))
    expect(waiting(page, "A")).to_have_text("1")
    assert page.evaluate("window.okienkoBoard.state.windows['3'].number") == "A001"

    # Calls in quick succession are spoken one after another, in order, never over each other.
    demo_server.take_ticket("A")
    demo_server.take_ticket("A")
    for window in ("2", "4", "10"):
        demo_server.call_next(window)
    page.wait_for_function("() => window.okienkoBoard.announcements.filter((a) => a.endedAt).length >= 5",
                           timeout=10000)
    log = page.evaluate("window.okienkoBoard.announcements")
    assert [(a["number"], a["window"]) for a in log] == [
        ("A001", "3"), ("A002", "1"), ("A003", "2"), ("A004", "4"), ("A005", "10")]
    assert [a["result"] for a in log] == ["played"] * 5, log
    for earlier, later in zip(log, log[1:]):
        assert later["startedAt"] >= earlier["endedAt"], log
    assert spoken == [(a["number"], a["window"]) for a in log]
    expect(page.locator("#current-number")).to_have_text("A005")
    # The arrows of the last calls stand in one column, whatever the number and window beside them.
    arrows = page.locator(".calls-row:visible .calls-arrow")
    expect(arrows).to_have_count(4)
    centres = [round(box["x"] + box["width"] / 2, 1) for box in (arrows.nth(i).bounding_box() for i in range(4))]
    assert max(centres) - min(centres) < 0.5, centres

    line = "Dziś urząd czynny do 15:00 · Today the office closes at 15:00"
    demo_server.api("PUT", "/api/v1/board/ticker", demo_server.manager_token, {"text": line})
    expect(page.locator("#ticker")).to_have_text(line)

    screenshot(page, "hall-1920x1080")
    page.set_viewport_size(PORTRAIT)
    screenshot(page, "hall-1080x1920")
    assert errors == []


def test_sound_off_still_flashes_the_call(demo_server: DemoServer, context: BrowserContext) -> None:
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page.goto(demo_server.url + demo_server.board_enroll)
    page.goto(f"{demo_server.url}/board/?sound=off&lang=en")
    expect(page.locator("#sound-prompt")).to_be_hidden()
    expect(page.locator(".waiting-service")).to_have_count(5)
    before = page.locator("#current-number").text_content()
    demo_server.take_ticket("F")
    called = demo_server.call_next("5")["number"]
    assert called != before
    expect(page.locator("#current-number")).to_have_text(called)
    expect(page.locator("#current-call")).to_have_class(re.compile(r"\bflash\b"))
    assert not [url for url in requested if "announcement.wav" in url]


@pytest.fixture(scope="module")
def four_digit_demo(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[tuple[DemoServer, Path]]:
    """The demo with four-digit numbers and a two-letter prefix for I (the widest number: IW1234)."""
    folder = tmp_path_factory.mktemp("board-four-digits")
    office = demo_office_variant(folder, {"number_digits": 4}, {"I": {"prefix": "IW"}})
    with running_demo(folder, office) as demo:
        yield (DemoServer(demo.url, demo.links("board")["hall"], demo.token("kiosk"), demo.staff_token("urzednik"),
                          demo.staff_token("kierownik"), demo.staff_token), folder / "demo.db")


def test_four_digit_numbers_are_shown_whole_and_spoken(four_digit_demo: tuple[DemoServer, Path],
                                                         context: BrowserContext) -> None:
    server, database = four_digit_demo
    spoken: list[tuple[str, int]] = []

    def announcement(route: Route) -> None:
        answer = route.fetch()   # the real server: speech (or 204 without it), never 400 for four digits
        spoken.append((dict(re.findall(r"(\w+)=([^&]+)", route.request.url.partition("?")[2]))["number"],
                       answer.status))
        route.fulfill(status=200, body=short_wav(), content_type="audio/wav")

    context.route("**/board/announcement.wav?*", announcement)
    page = context.new_page()
    page.goto(server.url + server.board_enroll)
    page.wait_for_function("() => window.okienkoBoard.sound === 'on'")
    assert server.take_ticket("I")["number"] == "IW0001"
    with sqlite3.connect(database) as db:   # as if 1,232 more had come and gone today (I has no daily limit)
        db.execute("UPDATE counters SET value = 1233 WHERE name LIKE 'tickets/%/IW'")
    assert server.take_ticket("I")["number"] == "IW1234"

    assert server.call_next("11")["number"] == "IW0001"
    assert server.call_next("12")["number"] == "IW1234"
    expect(page.locator("#current-number")).to_have_text("IW1234")
    expect(page.locator(".calls-row").first).to_have_text(re.compile(r"IW0001\s*→\s*11"))
    page.wait_for_function("() => window.okienkoBoard.announcements.filter((a) => a.endedAt).length >= 2",
                           timeout=10000)
    assert [number for number, _ in spoken] == ["IW0001", "IW1234"]
    assert {status for _, status in spoken} <= {200, 204}, spoken
    screenshot(page, "hall-four-digits-1920x1080")
    page.set_viewport_size(PORTRAIT)
    screenshot(page, "hall-four-digits-1080x1920")

    above = context.new_page()
    above.goto(f"{server.url}/board/window/12")
    expect(above.locator("#window-number")).to_have_text("IW1234")
    screenshot(above, "window-four-digits-1920x1080")
    above.set_viewport_size(PORTRAIT)
    screenshot(above, "window-four-digits-1080x1920")


def boxes(page: Page, selectors: str) -> list[dict[str, Any]]:
    return page.evaluate("""(selectors) => [...document.querySelectorAll(selectors)]
        .filter((e) => e.getClientRects().length)
        .map((e) => { const b = e.getBoundingClientRect();
                      return {name: e.id || e.classList[0], x: b.x, y: b.y, width: b.width, height: b.height}; })""",
                         selectors)


def test_labels_take_turns_in_the_board_languages_and_nothing_moves(demo_server: DemoServer,
                                                                      context: BrowserContext) -> None:
    page = context.new_page()
    page.goto(demo_server.url + demo_server.board_enroll)
    demo_server.take_ticket("K")
    demo_server.call_next("8")
    expect(page.locator("#current-number")).not_to_have_text("—")
    title = page.locator("#now-calling-title .in-lang.shown")
    expect(title).to_have_text("Zapraszamy")
    assert page.evaluate("document.getElementById('board').dataset.languages") == "pl uk en"
    fixed = "#current-number, #current-window, .call, .calls-row, .waiting-count, .service-prefix, .panel-title"
    before = boxes(page, fixed)
    seen = {}
    for language in ("uk", "en", "pl"):   # in turn, every 6 s: waited for, never slept
        page.wait_for_function(f"() => window.okienkoBoard.shownLanguage === '{language}'", timeout=9000)
        seen[language] = (title.text_content(), page.locator("#clock-date").text_content(),
                          page.locator('.waiting-service[data-service="A"] .service-name .in-lang.shown')
                          .text_content())
        assert boxes(page, fixed) == before, language
        assert page.locator("#now-calling-title .in-lang.shown").count() == 1
    assert seen["uk"][0] == "Запрошуємо" and seen["en"][0] == "Now calling", seen
    assert len({date for _, date, _ in seen.values()}) == 3, seen   # the date in each language too
    assert len({name for _, _, name in seen.values()}) == 3, seen


@pytest.mark.parametrize("viewport, service, window", [(LANDSCAPE, "F", "7"), (PORTRAIT, "I", "9")],
                         ids=["1920x1080", "1080x1920"])
def test_no_text_on_a_board_is_too_small_to_read_across_the_hall(demo_server: DemoServer, browser: Browser,
                                                                  viewport: dict[str, int], service: str,
                                                                  window: str) -> None:
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        page.goto(demo_server.url + demo_server.board_enroll)
        demo_server.take_ticket(service)
        demo_server.serve(demo_server.call_next(window), window)
        demo_server.take_ticket(service)
        demo_server.call_next(window)   # the first is now among the last calls
        expect(page.locator(".calls-row").first).to_be_visible()
        page.evaluate("document.getElementById('sound-prompt').hidden = false;"   # as shown where sound waits
                      "document.getElementById('connection').hidden = false")
        above = context.new_page()
        above.goto(f"{demo_server.url}/board/window/{window}?sound=on")
        expect(above.locator("#window-number")).not_to_have_text("—")
        for screen in (page, above):
            texts = screen.evaluate(TEXT_SIZES_JS)
            assert len(texts) > 5
            small = [text for text in texts if text["size"] < MIN_TEXT_PX]
            assert small == [], small
        numbers = page.evaluate(TEXT_SIZES_JS)   # the numbers are many times larger than any label
        assert min(t["size"] for t in numbers if t["className"] == "call-number") >= 6 * MIN_TEXT_PX
        assert min(t["size"] for t in numbers if t["className"] == "calls-number") >= 2.5 * MIN_TEXT_PX
        assert min(t["size"] for t in numbers if t["className"] == "waiting-count") >= 2.5 * MIN_TEXT_PX
    finally:
        context.close()


@pytest.mark.parametrize("viewport, service, window", [(LANDSCAPE, "F", "6"), (PORTRAIT, "B", "12")],
                         ids=["1920x1080", "1080x1920"])
def test_the_sound_prompt_has_its_own_place_and_covers_nothing(demo_server: DemoServer, browser: Browser,
                                                                viewport: dict[str, int], service: str,
                                                                window: str) -> None:
    """A browser that wants a click before sound (the default without the kiosk flag): the prompt shows,
    beside the content, never over it."""
    strict = browser.browser_type.launch(executable_path=str(require_chromium()),
                                         args=[*CHROMIUM_ARGS, "--autoplay-policy=document-user-activation-required"])
    try:
        context = strict.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(demo_server.url + demo_server.board_enroll)
        demo_server.take_ticket(service)
        demo_server.call_next(window)
        expect(page.locator("#sound-prompt")).to_be_visible()
        assert page.evaluate("window.okienkoBoard.sound") == "ask"
        prompt = page.locator("#sound-prompt").bounding_box()
        for box in boxes(page, CONTENT):
            apart = (prompt["x"] + prompt["width"] <= box["x"] or box["x"] + box["width"] <= prompt["x"]
                     or prompt["y"] + prompt["height"] <= box["y"] or box["y"] + box["height"] <= prompt["y"])
            assert apart, (prompt, box)
        size = viewport["width"]
        screenshot(page, f"hall-sound-prompt-{size}x{viewport['height']}")
        # No last call shows cut in half where the panel ends.
        cut = page.evaluate("""() => { const list = document.getElementById("calls-list").getBoundingClientRect();
            return [...document.querySelectorAll(".calls-row")].filter((row) => row.getClientRects().length
                && getComputedStyle(row).visibility !== "hidden"
                && row.getBoundingClientRect().bottom > list.bottom + 1).map((row) => row.textContent); }""")
        assert cut == []
        page.locator("#sound-on").click()
        expect(page.locator("#sound-prompt")).to_be_hidden()
        page.wait_for_function("() => window.okienkoBoard.sound === 'on'")
        context.close()
    finally:
        strict.close()


def test_a_board_enrolled_with_sound_off_stays_silent(demo_server: DemoServer, context: BrowserContext) -> None:
    page = context.new_page()
    page.goto(demo_server.url + demo_server.board_enroll + "&sound=off")
    expect(page).to_have_url(re.compile(r"/board/\?sound=off$"))
    page.wait_for_function("() => window.okienkoBoard.sound === 'off'")
    page.goto(f"{demo_server.url}/board/")   # remembered by the screen
    page.wait_for_function("() => window.okienkoBoard.sound === 'off'")
    expect(page.locator("#sound-prompt")).to_be_hidden()
