/* Okienko call boards: the hall board and the display above a window (docs/live.md).
 *
 * One WebSocket (/ws/board) gives a full snapshot, then events with increasing `seq`.
 * The board replaces its whole state on every snapshot (after a reconnect nothing stale
 * stays), applies only events above the last `seq` it applied, flashes every call, and
 * plays the spoken calls strictly one after another.
 *
 * Labels are on the page in each of the office's board languages (data-languages); the board
 * shows one language at a time and moves on every data-rotate-seconds. Sound starts by itself
 * where the browser allows it (a kiosk-mode Chromium with --autoplay-policy=no-user-gesture-required);
 * elsewhere a prompt asks, in a place of its own on the screen.
 */
(function () {
  "use strict";

  var root = document.getElementById("board");
  if (!root) return;

  var KIND = root.dataset.board;                       // "hall" or "window"
  var MY_WINDOW = root.dataset.window || null;
  var LANG = root.dataset.lang || "pl";
  var DEFAULT_LANG = root.dataset.defaultLang || "pl";
  var BOARD_LANGUAGES = (root.dataset.languages || LANG).split(" ");
  var ROTATE_MS = 1000 * (Number(root.dataset.rotateSeconds) || 6);
  var TIMEZONE = root.dataset.timezone || "Europe/Warsaw";
  var SOUND_KEY = "okienko.board.sound";               // "on" | "off", remembered per screen
  var LAST_CALLS = 12;
  var QUEUE_LIMIT = 5;                                 // more waiting than this: the oldest are stale
  var STALE_MS = 90 * 1000;                            // a call not spoken within this is not spoken
  var MISSED_CALL_MS = 2 * 60 * 1000;                  // calls made while offline that are still worth saying
  var FLASH_MS = 8000;
  var BACKOFF_FIRST_MS = 500;
  var BACKOFF_MAX_MS = 10000;
  var CLEARING = { finished: true, no_show: true, transferred: true, returned: true };

  var state = { seq: null, calls: [], windows: {}, waiting: {}, ticker: "" };
  var board = {
    socket: null,
    state: state,
    announcements: [],          // what was queued and played, in order: for people and tests
    sound: "ask",
    connected: false,
    shownLanguage: BOARD_LANGUAGES[0]
  };
  window.okienkoBoard = board;

  // ---------------------------------------------------------------- rendering

  function byId(id) { return document.getElementById(id); }

  function setText(element, text) {
    if (element && element.textContent !== text) element.textContent = text;
  }

  function flash(element) {
    if (!element) return;
    element.classList.remove("flash");
    void element.offsetWidth;  // restart the animation when a second call comes in while flashing
    element.classList.add("flash");
    clearTimeout(element.okienkoFlash);
    element.okienkoFlash = setTimeout(function () { element.classList.remove("flash"); }, FLASH_MS);
  }

  function renderHall() {
    var newest = state.calls[0];
    setText(byId("current-number"), newest ? newest.number : "—");
    setText(byId("current-window"), newest ? newest.window : "—");
    byId("current-call").classList.toggle("empty", !newest);
    fitCall();

    var list = byId("calls-list");
    var rows = document.createDocumentFragment();
    state.calls.slice(1).forEach(function (call) {
      var row = document.createElement("li");
      row.className = "calls-row";
      var number = document.createElement("span");
      number.className = "calls-number";
      number.textContent = call.number;
      var arrow = document.createElement("span");
      arrow.className = "calls-arrow";
      arrow.setAttribute("aria-hidden", "true");
      arrow.textContent = "→";
      var win = document.createElement("span");
      win.className = "calls-window";
      win.textContent = call.window;
      row.appendChild(number);
      row.appendChild(arrow);
      row.appendChild(win);
      rows.appendChild(row);
    });
    list.replaceChildren(rows);
    fitCalls();

    var tiles = document.querySelectorAll(".waiting-service");
    for (var i = 0; i < tiles.length; i++) {
      var code = tiles[i].dataset.service;
      if (Object.prototype.hasOwnProperty.call(state.waiting, code)) {
        setText(tiles[i].querySelector("[data-count]"), String(state.waiting[code]));
      }
    }

    var ticker = byId("ticker");
    setText(byId("ticker-text"), state.ticker);
    ticker.hidden = !state.ticker;
    // Scroll only a line too long to read in place; a short one stands still.
    var text = byId("ticker-text");
    ticker.classList.remove("scrolling");
    if (state.ticker && text.scrollWidth > ticker.clientWidth) {
      ticker.style.setProperty("--ticker-seconds", Math.max(12, Math.round(state.ticker.length / 4)) + "s");
      ticker.classList.add("scrolling");
    }
  }

  function fitCalls() {
    // A last call that does not fit whole in its panel is left out, never shown cut in half.
    var list = byId("calls-list");
    var bottom = list.getBoundingClientRect().bottom + 1;
    var rows = list.children;
    for (var i = 0; i < rows.length; i++) {
      rows[i].classList.remove("calls-row-cut");
      if (rows[i].getClientRects().length && rows[i].getBoundingClientRect().bottom > bottom) {
        rows[i].classList.add("calls-row-cut");
      }
    }
  }

  function fitCall() {
    // Shrink the call only when it would not fit (a long window name, a four-digit number with a
    // two-letter prefix, a narrow screen). Only the number and the window scale, not the gaps and
    // the label, so one step may not be enough: a few more, each from what still overflows.
    var call = byId("current-call");
    call.style.removeProperty("--call-scale");
    var scale = 1;
    for (var step = 0; step < 6; step++) {
      var overflow = Math.max(call.scrollWidth / call.clientWidth, call.scrollHeight / call.clientHeight);
      if (!(overflow > 1)) break;
      scale = Math.floor(scale * 96 / overflow) / 100;
      call.style.setProperty("--call-scale", String(scale));
    }
  }
  window.addEventListener("resize", function () {
    if (KIND === "hall") { fitCall(); fitCalls(); } else fitWindowNumber();
  });

  function renderWindow() {
    var here = state.windows[MY_WINDOW];
    var number = here && here.number ? here.number : "—";
    var element = byId("window-number");
    setText(element, number);
    element.classList.toggle("empty", number === "—");
    element.dataset.status = here && here.status ? here.status : "";
    fitWindowNumber();
  }

  function fitWindowNumber() {
    // A four-digit number with a two-letter prefix ("IW1234") is wider than a portrait screen
    // at full size: shrink it (a few steps, as its padding does not scale) until it fits.
    var element = byId("window-number");
    element.style.removeProperty("--number-scale");
    var room = document.documentElement.clientWidth * 0.96;
    var scale = 1;
    for (var step = 0; step < 6; step++) {
      var overflow = element.getBoundingClientRect().width / room;
      if (!(overflow > 1)) break;
      scale = Math.floor(scale * 98 / overflow) / 100;
      element.style.setProperty("--number-scale", String(scale));
    }
  }

  function render() {
    if (KIND === "hall") renderHall(); else renderWindow();
  }

  // ---------------------------------------------------------------- state

  function addCall(call) {
    // A recall moves the number to the top instead of listing it twice.
    state.calls = [call].concat(state.calls.filter(function (c) { return c.number !== call.number; }))
      .slice(0, LAST_CALLS);
  }

  function clearNumber(number, windowNumber) {
    Object.keys(state.windows).forEach(function (w) {
      var here = state.windows[w];
      if (here.number === number && (!windowNumber || w === windowNumber)) {
        state.windows[w] = { number: null, status: null };
      }
    });
  }

  // The ticker per language (the back office's notices): this board's language first, then the others',
  // each once (okienko/office/notices.py, ticker_text). A server without them sends one `ticker` line.
  function tickerText(tickers, fallback) {
    if (!tickers) return fallback || "";
    var texts = [];
    [LANG, DEFAULT_LANG].concat(Object.keys(tickers)).forEach(function (lang) {
      var text = tickers[lang];
      if (text && texts.indexOf(text) < 0) texts.push(text);
    });
    return texts.join("  \u2022  ");
  }

  // The office's set-up changed in the back office (services, windows): read the whole board again.
  function reread() {
    fetch("/api/v1/board", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (snapshot) { if (snapshot && snapshot.seq >= state.seq) applySnapshot(snapshot); })
      .catch(function () { /* the next reconnect brings a fresh snapshot anyway */ });
  }

  function applySnapshot(snapshot) {
    var previousSeq = state.seq;
    var newestBefore = state.calls[0];
    state.seq = snapshot.seq;
    state.calls = [];
    (snapshot.calls || []).slice().reverse().forEach(function (call) { addCall(call); });
    state.windows = {};
    (snapshot.windows || []).forEach(function (w) {
      state.windows[w.window] = { number: w.number, status: w.status };
    });
    state.waiting = {};
    (snapshot.services || []).forEach(function (s) { state.waiting[s.code] = s.waiting; });
    state.ticker = tickerText(snapshot.tickers, snapshot.ticker);
    clock.sync(snapshot.at);
    render();

    if (previousSeq === null) return;  // a fresh page announces nothing old
    // Back after a break: say the calls made meanwhile, if they are recent, oldest first.
    var now = Date.parse(snapshot.at);
    (snapshot.calls || []).slice().reverse().forEach(function (call) {
      if (call.seq > previousSeq && !(now - Date.parse(call.at) > MISSED_CALL_MS)) announceCall(call);
    });
    var newest = state.calls[0];
    if (newest && (!newestBefore || newest.seq !== newestBefore.seq) && newest.seq > previousSeq) {
      flashFor(newest);
    }
  }

  function applyEvent(event) {
    if (state.seq !== null && event.seq <= state.seq) return;  // seen already
    state.seq = event.seq;
    var waiting = event.waiting || {};
    Object.keys(waiting).forEach(function (code) { state.waiting[code] = waiting[code]; });

    if (event.kind === "called" || event.kind === "recalled") {
      var call = { seq: event.seq, number: event.number, window: event.window, service: event.service,
                   at: event.at, recall: event.kind === "recalled" };
      clearNumber(event.number, null);
      addCall(call);
      if (event.window) state.windows[event.window] = { number: event.number, status: "called" };
      render();
      flashFor(call);
      announceCall(call);
      return;
    }
    if (event.kind === "started" && event.window) {
      state.windows[event.window] = { number: event.number, status: "serving" };
    } else if (CLEARING[event.kind]) {
      clearNumber(event.number, event.window);
    } else if (event.kind === "ticker") {
      state.ticker = tickerText(event.tickers, event.text);
    } else if (event.kind === "setup") {
      state.ticker = tickerText(event.tickers, event.text);
      reread();
    }
    render();
  }

  function flashFor(call) {
    if (KIND === "hall") flash(byId("current-call"));
    else if (call.window === MY_WINDOW) flash(byId("window-number"));
  }

  // ---------------------------------------------------------------- languages take turns

  function showLanguage(index) {
    var code = BOARD_LANGUAGES[index];
    board.shownLanguage = code;
    var labels = document.querySelectorAll("[data-rotating]");
    for (var i = 0; i < labels.length; i++) {
      var texts = labels[i].children;
      for (var j = 0; j < texts.length; j++) {
        var shown = texts[j].getAttribute("lang") === code;
        texts[j].classList.toggle("shown", shown);
        // Only the shown text is read out: a screen reader hears one language, not four.
        if (shown) texts[j].removeAttribute("aria-hidden"); else texts[j].setAttribute("aria-hidden", "true");
      }
    }
    clock.language(code);
  }

  if (BOARD_LANGUAGES.length > 1) {
    var turn = 0;
    setInterval(function () {
      turn = (turn + 1) % BOARD_LANGUAGES.length;
      showLanguage(turn);
    }, ROTATE_MS);
  }
  board.showLanguage = showLanguage;   // for tests and for a person at the console

  // ---------------------------------------------------------------- clock

  var clock = {
    skew: 0,
    timeFormat: null,
    dateFormat: null,
    lang: BOARD_LANGUAGES[0],
    language: function (code) {
      this.lang = code;
      this.timeFormat = this.dateFormat = null;
      this.tick();
    },
    sync: function (at) {
      var server = Date.parse(at);
      if (!isNaN(server)) this.skew = server - Date.now();  // the board's own clock may be wrong
      this.tick();
    },
    tick: function () {
      var time = byId("clock-time");
      if (!time) return;
      var now = new Date(Date.now() + this.skew);
      try {
        if (!this.timeFormat) {
          this.timeFormat = new Intl.DateTimeFormat(this.lang, { timeZone: TIMEZONE, hour: "2-digit", minute: "2-digit",
                                                            hourCycle: "h23" });
          this.dateFormat = new Intl.DateTimeFormat(this.lang, { timeZone: TIMEZONE, weekday: "long", day: "numeric",
                                                            month: "long" });
        }
        setText(time, this.timeFormat.format(now));
        setText(byId("clock-date"), this.dateFormat.format(now));
      } catch (error) {
        setText(time, now.toTimeString().slice(0, 5));
      }
    }
  };
  clock.tick();
  setInterval(function () { clock.tick(); }, 1000);

  // ---------------------------------------------------------------- sound

  var queue = [];
  var playing = null;
  var audioContext = null;

  function silentWavUrl() {
    // 50 ms of silence, made here: playing it inside the click unlocks audio for the page.
    var samples = 400, bytes = new Uint8Array(44 + samples), view = new DataView(bytes.buffer);
    var text = function (offset, s) { for (var i = 0; i < s.length; i++) bytes[offset + i] = s.charCodeAt(i); };
    text(0, "RIFF"); view.setUint32(4, 36 + samples, true); text(8, "WAVEfmt ");
    view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, 8000, true); view.setUint32(28, 8000, true); view.setUint16(32, 1, true);
    view.setUint16(34, 8, true); text(36, "data"); view.setUint32(40, samples, true);
    bytes.fill(128, 44);
    return URL.createObjectURL(new Blob([bytes], { type: "audio/wav" }));
  }

  function remember(choice) {
    try { localStorage.setItem(SOUND_KEY, choice); } catch (error) { /* private mode: ask again next time */ }
  }

  function remembered() {
    try { return localStorage.getItem(SOUND_KEY); } catch (error) { return null; }
  }

  function showPrompt(show) {
    var prompt = byId("sound-prompt");
    if (prompt) prompt.hidden = !show;
  }

  function enableSound(fromClick) {
    var probe = new Audio(silentWavUrl());
    if (fromClick && (window.AudioContext || window.webkitAudioContext) && !audioContext) {
      audioContext = new (window.AudioContext || window.webkitAudioContext)();
    }
    return probe.play().then(function () {
      if (!audioContext && (window.AudioContext || window.webkitAudioContext)) {
        audioContext = new (window.AudioContext || window.webkitAudioContext)();  // the chime, if speech fails
      }
      board.sound = "on";
      showPrompt(false);
      playNext();
    }, function () {
      board.sound = "ask";  // the browser wants a click first
      showPrompt(true);
    });
  }

  function setUpSound() {
    var asked = new URLSearchParams(location.search).get("sound");
    var choice = asked === "off" || asked === "on" ? asked : remembered();
    // Asked for in the address (the enrolment link's &sound=on|off): this screen keeps to it.
    if (asked === "off" || asked === "on") remember(asked);
    // A window display is silent unless asked: the hall board speaks for the whole room.
    if (!choice && KIND === "window") choice = "off";
    var on = byId("sound-on"), off = byId("sound-off");
    if (on) on.addEventListener("click", function () { remember("on"); enableSound(true); });
    if (off) off.addEventListener("click", function () {
      remember("off");
      board.sound = "off";
      showPrompt(false);
    });
    if (choice === "off") {
      board.sound = "off";
    } else {
      // Asked for ("on"), or not decided: try. Where the browser allows sound unasked the board
      // speaks at once and shows no prompt; elsewhere the prompt asks (enableSound's refusal).
      enableSound(false);
    }
  }

  function announceCall(call) {
    if (board.sound === "off") return;
    var item = { number: call.number, window: call.window, queuedAt: Date.now(), startedAt: null, endedAt: null,
                 result: "queued" };
    board.announcements.push(item);
    if (board.announcements.length > 50) board.announcements.shift();
    queue.push(item);
    while (queue.length > QUEUE_LIMIT) queue.shift().result = "skipped";
    playNext();
  }

  function chime(done) {
    // The server could not speak (204, or no audio): at least a two-tone chime from the board itself.
    if (!audioContext) { done(); return; }
    var start = audioContext.currentTime;
    [[784, 0], [523, 0.45]].forEach(function (tone) {
      var oscillator = audioContext.createOscillator(), gain = audioContext.createGain();
      oscillator.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, start + tone[1]);
      gain.gain.exponentialRampToValueAtTime(0.4, start + tone[1] + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + tone[1] + 0.9);
      oscillator.connect(gain).connect(audioContext.destination);
      oscillator.start(start + tone[1]);
      oscillator.stop(start + tone[1] + 1);
    });
    setTimeout(done, 1500);
  }

  function playNext() {
    if (playing || board.sound !== "on") return;
    var item;
    while ((item = queue.shift())) {
      if (Date.now() - item.queuedAt <= STALE_MS) break;
      item.result = "skipped";
    }
    if (!item) return;
    playing = item;
    item.result = "playing";
    item.startedAt = Date.now();
    var finished = false;
    var audio = new Audio("/board/announcement.wav?number=" + encodeURIComponent(item.number) +
                          "&window=" + encodeURIComponent(item.window));
    var done = function (result) {
      if (finished) return;
      finished = true;
      clearTimeout(guard);
      item.endedAt = Date.now();
      item.result = result;
      playing = null;
      playNext();
    };
    // Never cut an announcement off; only give up on one that never ends (a stalled download).
    var guard = setTimeout(function () { audio.pause(); done("timeout"); }, 30000);
    audio.addEventListener("ended", function () { done("played"); });
    audio.addEventListener("error", function () { chime(function () { done("chime"); }); });
    audio.play().catch(function (error) {
      if (error && error.name === "NotAllowedError") {
        board.sound = "ask";
        showPrompt(true);
        queue.unshift(item);
        finished = true;
        clearTimeout(guard);
        item.result = "queued";
        playing = null;
      }
      // Other failures arrive as the "error" event above.
    });
  }

  // ---------------------------------------------------------------- connection

  var backoff = BACKOFF_FIRST_MS;
  var retryTimer = null;

  function showConnection(ok) {
    board.connected = ok;
    byId("connection").hidden = ok;
    root.classList.toggle("offline", !ok);
  }

  function connect() {
    retryTimer = null;
    var socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/board");
    board.socket = socket;
    socket.onmessage = function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (error) { return; }
      if (data.type === "snapshot") {
        applySnapshot(data);
        backoff = BACKOFF_FIRST_MS;
        showConnection(true);
      } else if (data.type === "event" && state.seq !== null) {
        applyEvent(data);
      }
    };
    socket.onclose = function (event) {
      if (board.socket !== socket) return;
      if (event.code === 4403) { location.reload(); return; } // signed out (revoked): show the sign-in page
      board.socket = null;
      showConnection(false);
      if (!retryTimer) {
        retryTimer = setTimeout(connect, backoff);
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      }
    };
    socket.onerror = function () { socket.close(); };
  }

  setUpSound();
  connect();
})();
