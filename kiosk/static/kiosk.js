/* Okienko kiosk: the touch screen in the hall.
 *
 * The server renders every element and every word (kiosk.html); this script switches between the
 * start, priority, booking and ticket screens, takes tickets, checks booked visitors in and keeps
 * the queue figures fresh. Words it shows come from the page's "kiosk-config" block, already
 * translated: none are written here.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("kiosk-config").textContent);
  const text = config.messages;

  const POLL_MS = 10000;
  const SETUP_QUIET_MS = 5000; // a changed set-up reloads the page only when nobody touched it for this long
  const LIVE_RETRY_FIRST_MS = 1000;
  const LIVE_RETRY_MAX_MS = 30000;
  const HEARTBEAT_MS = 20000; // the back office flags a kiosk not heard from for a minute
  const POLL_TIMEOUT_MS = 8000;
  const ISSUE_TIMEOUT_MS = 15000; // the server may wait a few seconds for the printer before answering
  // Retries reuse the Idempotency-Key, so never a second ticket. They go on for long enough to
  // outlast a database restart (measured: up to 5.3 s), backing off so a hall of kiosks does not
  // hammer a server that is coming back.
  const RETRY_DELAYS_MS = [600, 1000, 2000, 3000, 4000, 5000];
  const RETRY_FOR_MS = 30000;
  const DONE_GUARD_MS = 1000; // a double tap on a service must not land on "Done" and hide the ticket
  const IDLE_RESET_MS = Math.max(60, config.idle_seconds * 4) * 1000;
  const FRESH_PAGE_MS = 6 * 3600 * 1000; // reload now and then at a quiet moment: new code, no leaks
  const SCAN_EVERY_MS = 250; // a camera frame four times a second is enough for a QR code held still
  const loadedAt = Date.now();

  const byId = (id) => document.getElementById(id);
  const shell = document.querySelector(".shell");
  const notice = byId("notice");
  const state = {
    screen: "start",
    priority: null,
    busy: false,
    online: true,
    stale: false, // the office's services changed: reload at the next quiet moment
    lastActivity: Date.now(),
    ticketShownAt: 0,
    doneTimer: 0,
    countdown: null,
    noticeTimer: 0,
    scan: null, // the camera while it looks for a booking's QR code: {stream, timer}
  };
  const codeInput = byId("booking-code"); // null where the office takes no bookings
  let sms = null; // the SMS before the turn (sms.js), where the office sends SMS
  let qrDetector = null; // a BarcodeDetector, once a camera and QR support are known to be there

  // ---- small helpers ------------------------------------------------------------------------

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
  }

  function setText(element, value) {
    const next = String(value);
    if (element.textContent !== next) element.textContent = next;
  }

  /** "10:20" from "2026-12-03T10:20:00+01:00": the office's wall time, as the server sent it. */
  function wallTime(iso) {
    const match = /T(\d{2}:\d{2})/.exec(iso || "");
    return match ? match[1] : "";
  }

  function minutesText(minutes) {
    return minutes > 0 ? fill(text.about_minutes, { minutes }) : text.no_wait;
  }

  function sleep(ms) {
    return new Promise((resolve) => window.setTimeout(resolve, ms));
  }

  // crypto.randomUUID exists only on https or localhost; a kiosk may use plain http in the LAN.
  function newKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function request(url, options, timeoutMs) {
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), timeoutMs);
    const headers = Object.assign({ Accept: "application/json" }, options.headers);
    return fetch(url, Object.assign({ credentials: "same-origin", cache: "no-store" }, options,
      { headers, signal: controller.signal })).finally(() => window.clearTimeout(timer));
  }

  function announce(message) {
    const region = byId("announcer");
    region.textContent = "";
    // A fresh text node after a pause is announced even when the words repeat.
    window.setTimeout(() => { region.textContent = message; }, 100);
  }

  function sentence(part) {
    return /[.!?…]$/.test(part) ? part : part + ".";
  }

  // ---- screens ------------------------------------------------------------------------------

  function show(screen, focusTarget) {
    if (screen !== "booking") stopScanning();
    for (const name of ["start", "priority", "booking", "ticket", "sms"]) {
      const section = byId("screen-" + name);
      if (section) section.hidden = name !== screen;
    }
    shell.dataset.screen = screen;
    state.screen = screen;
    setLanguageLinks();
    if (screen === "start") fitServices();
    if (focusTarget) focusTarget.focus({ preventScroll: true });
  }

  // Long names in some languages (or the priority banner's room) can overfill the buttons. Then all
  // of them get a little smaller ("is-snug", "is-snugger"); only if that is not enough they drop the
  // Polish line ("is-tight") and, last, show icons for the labels of the figures ("is-tighter").
  // A button is overfull when a part of it reaches into its padding: its figures must not sit on
  // its edge (a centred part that overflows shows no scrollHeight, so the parts are measured).
  function fitServices() {
    const list = byId("services");
    if (!list) return;
    const buttons = Array.from(list.querySelectorAll(".service"));
    const overfull = () => buttons.some((button) => {
      const style = getComputedStyle(button);
      const inside = button.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
      return button.scrollHeight > button.clientHeight + 1
        || Array.from(button.children).some((part) => part.offsetHeight > inside + 1);
    });
    list.classList.remove("is-snug", "is-snugger", "is-tight", "is-tighter");
    for (const level of ["is-snug", "is-snugger", "is-tight", "is-tighter"]) {
      if (!overfull()) break;
      list.classList.add(level);
    }
  }

  function setPriority(category) {
    state.priority = category;
    const toggle = byId("priority-toggle");
    if (toggle) toggle.setAttribute("aria-pressed", String(Boolean(category)));
    byId("priority-banner").hidden = !category;
    if (category) {
      setText(byId("priority-banner-mark"), category.mark);
      setText(byId("priority-banner-name"), category.name);
    }
    fitServices();
  }

  function a11yOn() {
    return document.body.classList.contains("a11y");
  }

  function setA11y(on) {
    document.body.classList.toggle("a11y", on);
    byId("a11y-toggle").setAttribute("aria-pressed", String(on));
    placeBookingButton();
    setLanguageLinks();
    fitServices();
  }

  // In accessibility mode every control sits in the lower half, which the matters already fill. On a
  // portrait screen "I have a booking" moves into the toolbar then (on a landscape one kiosk.css
  // gives it a cell of the matters' grid), and back under the matters after.
  const haveBooking = byId("have-booking");
  const haveBookingHome = haveBooking ? [haveBooking.parentElement, haveBooking.nextSibling] : null;
  const portrait = window.matchMedia("(orientation: portrait)");
  function placeBookingButton() {
    if (!haveBooking) return;
    if (a11yOn() && portrait.matches) document.querySelector(".toolbar-actions").prepend(haveBooking);
    else if (haveBooking.parentElement !== haveBookingHome[0]) {
      haveBookingHome[0].insertBefore(haveBooking, haveBookingHome[1]);
    }
  }

  // The same visitor switching language keeps the mode they chose, and the code screen they are on.
  function setLanguageLinks() {
    for (const link of document.querySelectorAll(".language")) {
      link.href = "/kiosk/?lang=" + encodeURIComponent(link.dataset.lang) + (a11yOn() ? "&a11y=1" : "")
        + (state.screen === "booking" ? "&screen=booking" : "");
    }
  }

  function homeUrl() {
    return "/kiosk/?lang=" + encodeURIComponent(config.home_lang);
  }

  /** Back to the start for the next visitor: office language, standard mode, no priority. */
  async function goHome() {
    stopCountdown();
    closeNotice();
    const fresh = config.lang !== config.home_lang || a11yOn() || state.stale
      || Date.now() - loadedAt > FRESH_PAGE_MS;
    resetInPlace();
    if (!fresh || !state.online) return;
    // Reload only when the server answers: a kiosk must never be left on a browser error page.
    try {
      const response = await request("/healthz", {}, 3000);
      if (response.ok && state.screen === "start" && !state.busy) window.location.replace(homeUrl());
    } catch (error) {
      /* stay on the page as it is; the next quiet moment tries again */
    }
  }

  function resetInPlace() {
    if (sms) sms.forget();
    setPriority(null);
    setA11y(false);
    clearCode();
    show("start");
    announce("");
    state.lastActivity = Date.now();
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  }

  // ---- queue figures ------------------------------------------------------------------------

  function applyServices(services) {
    const buttons = new Map(Array.from(document.querySelectorAll(".service"), (b) => [b.dataset.service, b]));
    const walkIn = services.filter((service) => service.walk_in);
    if (walkIn.length !== buttons.size || walkIn.some((service) => !buttons.has(service.code))) {
      state.stale = true;
    }
    for (const service of walkIn) {   // renamed in the back office: the page shows the new name after a reload
      const name = buttons.has(service.code) && buttons.get(service.code).querySelector(".service-name");
      if (name && service.name && name.textContent.trim() !== service.name) state.stale = true;
    }
    for (const service of walkIn) {
      const button = buttons.get(service.code);
      if (!button) continue;
      const open = Boolean(service.open_now);
      const stats = button.querySelector(".service-stats");
      const closed = button.querySelector(".service-closed");
      button.classList.toggle("is-closed", !open);
      if (open) button.removeAttribute("aria-disabled");
      else button.setAttribute("aria-disabled", "true");
      button.setAttribute("aria-describedby", (open ? stats : closed).id);
      stats.hidden = !open;
      closed.hidden = open;
      setText(button.querySelector('[data-field="waiting"]'), service.waiting);
      setText(button.querySelector('[data-field="wait"]'), minutesText(service.estimated_wait_minutes));
      setText(button.querySelector('[data-field="closed"]'),
        service.closed_reason ? service.closed_reason.message : "");
    }
    fitServices();
  }

  function setOnline(online) {
    state.online = online;
    byId("connection").hidden = online;
  }

  async function refreshServices() {
    const url = "/api/v1/services?lang=" + encodeURIComponent(config.lang)
      + "&office=" + encodeURIComponent(config.office);
    try {
      const response = await request(url, {}, POLL_TIMEOUT_MS);
      if (!response.ok) throw new Error("HTTP " + response.status);
      applyServices((await response.json()).services || []);
      setOnline(true);
    } catch (error) {
      setOnline(false); // keep showing the last known figures
    }
  }

  async function pollForever() {
    await refreshServices();
    window.setTimeout(pollForever, POLL_MS);
  }

  // ---- the back office's changes, live (/ws/kiosk) ------------------------------------------

  function showOfficeMessage(lines) {
    const line = (lines && (lines[config.lang] || lines[config.home_lang])) || "";
    const element = byId("kiosk-notice");
    setText(element, line);
    element.hidden = !line;
  }

  /** The office's set-up or its message changed: show the message, read the services again at once,
   * and if the buttons themselves changed, reload as soon as nobody is using the kiosk. */
  async function setUpChanged(message) {
    showOfficeMessage(message.kiosk);
    await refreshServices();
    reloadWhenQuiet();
  }

  let quietTimer = 0;
  /** The buttons changed: reload on the start screen once nobody has touched the kiosk for a moment
   * (never under a visitor's finger); until then look again every second. */
  function reloadWhenQuiet() {
    window.clearTimeout(quietTimer);
    if (!state.stale) return;
    if (state.screen === "start" && !state.busy && !notice.open && !state.priority
        && Date.now() - state.lastActivity > SETUP_QUIET_MS) {
      goHome();
      return;
    }
    quietTimer = window.setTimeout(reloadWhenQuiet, 1000);
  }

  let liveDelay = LIVE_RETRY_FIRST_MS;
  function followSetUp() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${window.location.host}/ws/kiosk`);
    let first = true;
    socket.addEventListener("message", (incoming) => {
      let message;
      try {
        message = JSON.parse(incoming.data);
      } catch (error) {
        return;
      }
      if (message.type !== "setup") return;
      liveDelay = LIVE_RETRY_FIRST_MS;
      if (first) {
        first = false;
        showOfficeMessage(message.kiosk); // what it is now; a reconnect may have missed a change
        refreshServices();
        return;
      }
      setUpChanged(message);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4403) heartbeat();   // revoked: the heartbeat's 401 shows the sign-in page
      window.setTimeout(followSetUp, liveDelay + Math.random() * 500);
      liveDelay = Math.min(liveDelay * 2, LIVE_RETRY_MAX_MS);
    });
  }

  // "Still here", also while nobody takes a ticket: the server notes the kiosk's heartbeat. A kiosk
  // whose token was revoked shows its sign-in page at once (the page itself says why).
  function heartbeat() {
    request("/api/v1/devices/heartbeat", { method: "POST" }, POLL_TIMEOUT_MS).then((response) => {
      if (response.status === 401 && !state.busy) window.location.reload();
    }).catch(() => {});
  }

  // ---- taking a ticket ----------------------------------------------------------------------

  function setBusy(on) {
    state.busy = on;
    byId("busy").hidden = !on;
    shell.inert = on; // no second tap and no tabbing away while the ticket is being issued
    if (on) announce(text.busy);
  }

  async function errorMessage(response) {
    try {
      const body = await response.json();
      if (body && body.message) return body.message;
    } catch (error) {
      /* not JSON: a proxy's error page */
    }
    return text.unreachable;
  }

  function setBusyText(message) {
    setText(byId("busy-message"), message);
    announce(message);
  }

  /** POST a ticket or a check-in; on a network error, a timeout or a 5xx, ask again the same way
   * with the SAME Idempotency-Key for up to
   * RETRY_FOR_MS, telling the visitor to wait meanwhile. Never a second ticket. */
  async function postPatiently(url, body, headers) {
    const started = Date.now();
    try {
      for (let attempt = 0; ; attempt += 1) {
        let response = null;
        try {
          response = await request(url, {
            method: "POST",
            body,
            headers: Object.assign({ "Content-Type": "application/json" }, headers),
          }, ISSUE_TIMEOUT_MS);
          if (response.ok) return { ticket: await response.json() };
          if (response.status < 500) return { message: await errorMessage(response) };
        } catch (error) {
          response = null; // the ticket may exist already: only the same key may ask again
        }
        const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)];
        if (Date.now() - started + delay > RETRY_FOR_MS) {
          return { message: response ? await errorMessage(response) : text.unreachable };
        }
        if (attempt === 0) setBusyText(text.still_trying);
        await sleep(delay);
      }
    } finally {
      setText(byId("busy-message"), text.busy);
    }
  }

  async function takeTicket(button) {
    if (state.busy || state.screen !== "start" || button.getAttribute("aria-disabled") === "true") return;
    setBusy(true);
    const body = JSON.stringify({
      service: button.dataset.service,
      language: config.lang,
      priority: state.priority ? state.priority.code : null,
    });
    let outcome;
    try {
      outcome = await postPatiently("/api/v1/tickets", body, { "Idempotency-Key": newKey() });
    } finally {
      setBusy(false);
    }
    if (outcome.ticket) showTicket(outcome.ticket);
    else showNotice(outcome.message);
  }

  function showTicket(ticket) {
    const problem = ticket.print_problem;
    // A replayed request reports what became of the first print, like any other answer.
    const printed = Boolean(ticket.printed);

    setText(byId("ticket-number"), ticket.number);
    setText(byId("ticket-service"), ticket.service_name);
    const polish = byId("ticket-service-pl");
    setText(polish, ticket.service_name_pl || "");
    polish.hidden = config.lang === "pl" || !ticket.service_name_pl || ticket.service_name_pl === ticket.service_name;
    byId("ticket-priority").hidden = !ticket.priority;
    if (ticket.priority) {
      setText(byId("ticket-priority-mark"), ticket.priority.mark);
      setText(byId("ticket-priority-name"), ticket.priority.name);
    }
    const bookedAt = wallTime(ticket.appointment_at);
    byId("ticket-booked").hidden = !bookedAt;
    setText(byId("ticket-booked-text"), bookedAt ? fill(text.booked_at, { time: bookedAt }) : "");
    const expectedAt = wallTime(ticket.expected_at);
    byId("ticket-ahead-fact").hidden = Boolean(expectedAt);
    byId("ticket-wait-fact").hidden = Boolean(expectedAt);
    byId("ticket-expected-fact").hidden = !expectedAt;
    setText(byId("ticket-ahead"), ticket.position);
    setText(byId("ticket-wait"), minutesText(ticket.estimated_wait_minutes));
    setText(byId("ticket-expected"), expectedAt);
    byId("ticket-qr").src = "/t/" + encodeURIComponent(ticket.id) + "/qr.svg";
    byId("print-ok").hidden = !printed;
    byId("print-problem").hidden = printed;
    setText(byId("print-problem-message"), !printed && problem ? problem.message : "");
    byId("screen-ticket").classList.toggle("not-printed", !printed);

    state.ticketShownAt = Date.now();
    // "Done" takes no tap for its first second, and says so to assistive technology (and tests).
    const done = byId("ticket-done");
    done.setAttribute("aria-disabled", "true");
    window.clearTimeout(state.doneTimer);
    state.doneTimer = window.setTimeout(() => done.setAttribute("aria-disabled", "false"), DONE_GUARD_MS);
    setPriority(null);
    if (sms) sms.offer(ticket);
    show("ticket", byId("ticket-title"));
    fitTicketNumber();
    const parts = [
      text.your_number + ": " + ticket.number,
      ticket.service_name,
      bookedAt ? fill(text.booked_at, { time: bookedAt }) : "",
      ...(expectedAt ? [text.called_at_about + " " + expectedAt] : [
        text.people_ahead + ": " + ticket.position,
        text.estimated_wait + ": " + minutesText(ticket.estimated_wait_minutes),
      ]),
    ];
    if (printed) parts.push(text.printed);
    else parts.push(problem ? problem.message : "", text.note_number);
    announce(parts.filter(Boolean).map(sentence).join(" "));
    // Someone without a printed slip needs time to write the number down or take a photo.
    startCountdown(printed ? config.idle_seconds : config.idle_seconds * 2);
  }

  // A four-digit number with a two-letter prefix ("FW1234") can be wider than the card at full
  // size, on a portrait screen above all: shrink it, a few steps (each from what still sticks
  // out of its box or of the card), until it fits.
  function fitTicketNumber() {
    const number = byId("ticket-number");
    if (byId("screen-ticket").hidden) return;
    const card = number.closest(".ticket");
    const glyphs = document.createRange();
    glyphs.selectNodeContents(number);
    number.style.removeProperty("--number-scale");
    let scale = 1;
    for (let step = 0; step < 8; step += 1) {
      const width = glyphs.getBoundingClientRect().width;
      const excess = Math.max(width - number.clientWidth, card.scrollWidth - card.clientWidth);
      if (!(excess > 1) || !(width > 0)) break;
      scale = Math.floor((scale * 98 * (width - excess)) / width) / 100;
      number.style.setProperty("--number-scale", String(Math.max(scale, 0.3)));
    }
  }

  function startCountdown(seconds) {
    stopCountdown();
    const totalMs = seconds * 1000;
    let deadline = Date.now() + totalMs;
    const label = byId("countdown");
    const bar = byId("countdown-bar");
    const tick = () => {
      const leftMs = Math.max(0, deadline - Date.now());
      setText(label, fill(text.countdown, { seconds: Math.ceil(leftMs / 1000) }));
      bar.style.transform = "scaleX(" + (leftMs / totalMs).toFixed(3) + ")";
      if (leftMs <= 0) goHome();
    };
    state.countdown = {
      timer: window.setInterval(tick, 250),
      extend() { deadline = Date.now() + totalMs; tick(); },
    };
    tick();
  }

  function stopCountdown() {
    if (state.countdown) window.clearInterval(state.countdown.timer);
    state.countdown = null;
  }

  // ---- checking in with a booking code ------------------------------------------------------

  /** What was typed or scanned, as the server stores codes: upper case letters and digits only. */
  function cleanCode(value) {
    return String(value).toUpperCase().replace(/[^A-Z0-9]/g, "");
  }

  function codeChanged() {
    byId("booking-submit").disabled = codeInput.value.length !== config.code_length;
    codeInput.removeAttribute("aria-invalid");
    byId("booking-error").hidden = true;
  }

  // Typing on a keyboard: keep the caret where it was, drop what cannot be in a code.
  function onCodeInput() {
    const typed = codeInput.value;
    const cleaned = cleanCode(typed).slice(0, config.code_length);
    if (cleaned !== typed) {
      const caret = Math.min(cleanCode(typed.slice(0, codeInput.selectionStart || 0)).length, cleaned.length);
      codeInput.value = cleaned;
      codeInput.setSelectionRange(caret, caret);
    }
    codeChanged();
  }

  function spelled(code) {
    return code.split("").join(" ");
  }

  function typeKey(key) {
    if (codeInput.value.length >= config.code_length) return;
    codeInput.value += key;
    codeChanged();
    announce(spelled(codeInput.value));
  }

  function deleteKey() {
    codeInput.value = codeInput.value.slice(0, -1);
    codeChanged();
    announce(spelled(codeInput.value));
  }

  function clearCode() {
    if (!codeInput) return;
    stopScanning();
    codeInput.value = "";
    codeChanged();
  }

  function openBooking() {
    if (state.busy) return;
    clearCode();
    show("booking", codeInput);
  }

  function showBookingError(message) {
    byId("booking-error").hidden = false;
    setText(byId("booking-error-message"), message);
    codeInput.setAttribute("aria-invalid", "true");
    codeInput.focus({ preventScroll: true });
    announce(message);
  }

  async function checkIn(event) {
    if (event) event.preventDefault();
    const code = codeInput.value;
    if (state.busy || state.screen !== "booking" || code.length !== config.code_length) return;
    stopScanning();
    setBusy(true);
    let outcome;
    try {
      outcome = await postPatiently("/api/v1/check-in", JSON.stringify({ code, language: config.lang }),
        { "Idempotency-Key": newKey() });
    } finally {
      setBusy(false);
    }
    if (state.screen !== "booking") return; // sent back to the start meanwhile
    if (outcome.ticket) {
      clearCode(); // the next visitor must not find this code on the screen
      showTicket(outcome.ticket);
    } else {
      showBookingError(outcome.message); // the code stays, to be corrected
    }
  }

  // ---- the camera, where the browser can read QR codes ------------------------------------

  async function prepareScanning() {
    const button = byId("booking-scan");
    const media = navigator.mediaDevices; // only on https or localhost
    if (!button || !("BarcodeDetector" in window) || !media || !media.getUserMedia) return;
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (!formats.includes("qr_code")) return;
      const devices = await media.enumerateDevices();
      if (!devices.some((device) => device.kind === "videoinput")) return;
      qrDetector = new window.BarcodeDetector({ formats: ["qr_code"] });
      button.hidden = false;
    } catch (error) {
      /* no scanning here: typing always works */
    }
  }

  function setScanning(on) {
    byId("booking-scanner").hidden = !on;
    byId("code-keys").hidden = on;
    byId("booking-scan").hidden = on || !qrDetector;
    shell.classList.toggle("is-scanning", on);
  }

  async function startScanning() {
    if (!qrDetector || state.scan || state.busy || state.screen !== "booking") return;
    byId("booking-error").hidden = true;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false });
    } catch (error) {
      qrDetector = null; // refused or gone: typing only, without a button that fails again
      byId("booking-scan").hidden = true;
      showBookingError(text.camera_unavailable);
      return;
    }
    if (state.screen !== "booking" || state.scan) {
      stream.getTracks().forEach((track) => track.stop());
      return;
    }
    const scan = { stream, timer: 0 };
    state.scan = scan;
    const video = byId("booking-video");
    video.srcObject = stream;
    setScanning(true);
    byId("booking-scan-stop").focus({ preventScroll: true });
    video.play().catch(() => { /* a muted preview plays without a gesture; if not, frames still come */ });
    const look = async () => {
      if (state.scan !== scan) return;
      let found = "";
      try {
        if (video.readyState >= 2) {
          const codes = await qrDetector.detect(video);
          found = codes.map((code) => cleanCode(code.rawValue || ""))
            .find((code) => code.length === config.code_length) || "";
        }
      } catch (error) {
        /* a frame that could not be read: try the next one */
      }
      if (state.scan !== scan) return;
      if (!found) {
        scan.timer = window.setTimeout(look, SCAN_EVERY_MS);
        return;
      }
      stopScanning();
      codeInput.value = found;
      codeChanged();
      checkIn();
    };
    look();
  }

  function stopScanning() {
    const scan = state.scan;
    if (!scan) return;
    state.scan = null;
    window.clearTimeout(scan.timer);
    scan.stream.getTracks().forEach((track) => track.stop());
    byId("booking-video").srcObject = null;
    setScanning(false);
  }

  /** A key pressed on a keyboard, as a character of a code; on a Cyrillic layout, the Latin letter
   *  printed on the same key. */
  function codeCharacter(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return "";
    const typed = event.key.toUpperCase();
    if (/^[A-Z0-9]$/.test(typed)) return typed;
    const place = /^(?:Key([A-Z])|Digit(\d)|Numpad(\d))$/.exec(event.code || "");
    return place ? place[1] || place[2] || place[3] : "";
  }

  function wireBooking() {
    if (!codeInput) return;
    byId("have-booking").addEventListener("click", openBooking);
    byId("booking-back").addEventListener("click", () => {
      clearCode();
      show("start", byId("start-title"));
    });
    byId("booking-form").addEventListener("submit", checkIn);
    codeInput.addEventListener("input", onCodeInput);
    for (const key of document.querySelectorAll(".code-key")) {
      // The on-screen keys leave the focus in the field, where a keyboard's keys also land.
      key.addEventListener("mousedown", (event) => event.preventDefault());
      key.addEventListener("click", () => (key.dataset.key ? typeKey(key.dataset.key) : deleteKey()));
    }
    byId("booking-scan").addEventListener("click", startScanning);
    byId("booking-scan-stop").addEventListener("click", () => {
      stopScanning();
      codeInput.focus({ preventScroll: true });
    });
    document.addEventListener("keydown", (event) => {
      if (state.screen !== "booking" || state.busy) return;
      if (event.key === "Escape") {
        if (state.scan) {
          stopScanning();
          codeInput.focus({ preventScroll: true });
        } else {
          clearCode();
          show("start", byId("start-title"));
        }
        return;
      }
      const character = codeCharacter(event);
      // In the field the browser types Latin keys itself; elsewhere, or on another layout, we do.
      if (!character || (event.target === codeInput && event.key.toUpperCase() === character)) return;
      event.preventDefault();
      if (event.target === codeInput) {
        codeInput.setRangeText(character, codeInput.selectionStart, codeInput.selectionEnd, "end");
        onCodeInput();
      } else {
        typeKey(character);
      }
    });
    prepareScanning();
  }

  // ---- the error dialog ---------------------------------------------------------------------

  function showNotice(message) {
    setText(byId("notice-message"), message);
    notice.showModal();
    byId("notice-ok").focus();
    state.noticeTimer = window.setTimeout(closeNotice, config.idle_seconds * 2000);
    refreshServices(); // a "closed" answer usually means the figures on screen are old
  }

  function closeNotice() {
    window.clearTimeout(state.noticeTimer);
    if (notice.open) notice.close();
  }

  // ---- wiring -------------------------------------------------------------------------------

  function wire() {
    for (const button of document.querySelectorAll(".service")) {
      button.addEventListener("click", () => takeTicket(button));
    }
    for (const button of document.querySelectorAll(".category")) {
      button.addEventListener("click", () => {
        setPriority({ code: button.dataset.category, mark: button.dataset.mark, name: button.dataset.name });
        show("start", byId("start-title"));
      });
    }
    const priorityToggle = byId("priority-toggle");
    if (priorityToggle) {
      priorityToggle.addEventListener("click", () => {
        if (state.priority || state.screen === "priority") {
          setPriority(null);
          show("start", byId("start-title"));
        } else {
          show("priority", byId("priority-title"));
        }
      });
    }
    byId("priority-back").addEventListener("click", () => show("start", byId("start-title")));
    byId("priority-cancel").addEventListener("click", () => {
      setPriority(null);
      byId("start-title").focus({ preventScroll: true });
    });
    byId("a11y-toggle").addEventListener("click", () => setA11y(!a11yOn()));
    wireBooking();
    if (window.KioskSms) {
      sms = window.KioskSms({
        byId, config, announce, request,
        show(screen, focusTarget) {
          stopCountdown(); // typing a number takes longer than the ticket's countdown
          show(screen, focusTarget);
        },
        backToTicket() {
          show("ticket", byId("ticket-title"));
          fitTicketNumber();
          startCountdown(config.idle_seconds);
        },
      });
    }
    byId("ticket-done").addEventListener("click", () => {
      if (Date.now() - state.ticketShownAt >= DONE_GUARD_MS) goHome();
    });
    byId("notice-ok").addEventListener("click", closeNotice);
    // After a refusal the same visitor may pick another matter: back to start, same language.
    notice.addEventListener("close", () => {
      window.clearTimeout(state.noticeTimer);
      show("start", byId("start-title"));
    });

    // Links answer Enter only; on a kiosk the language buttons should answer Space as well.
    for (const link of document.querySelectorAll(".language")) {
      link.addEventListener("keydown", (event) => {
        if (event.key === " ") {
          event.preventDefault();
          link.click();
        }
      });
    }
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && state.screen === "priority") show("start", byId("start-title"));
    });

    // Any touch or key keeps the ticket on screen a while longer and counts as activity.
    const activity = () => {
      state.lastActivity = Date.now();
      if (state.screen === "ticket" && state.countdown) state.countdown.extend();
    };
    document.addEventListener("pointerdown", activity, true);
    document.addEventListener("keydown", activity, true);
    window.addEventListener("resize", () => {
      fitServices();
      fitTicketNumber();
    });
    portrait.addEventListener("change", () => {
      placeBookingButton();
      fitServices();
      fitTicketNumber();
    });
    // Long presses must not open menus or select text on a public touch screen.
    document.addEventListener("contextmenu", (event) => event.preventDefault());
  }

  function startClock() {
    const time = byId("clock-time");
    const date = byId("clock-date");
    const format = (options) => {
      try {
        return new Intl.DateTimeFormat(config.lang, Object.assign({ timeZone: config.timezone }, options));
      } catch (error) {
        return new Intl.DateTimeFormat(config.lang, options); // unknown zone: the kiosk's own clock
      }
    };
    const timeFormat = format({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    const dateFormat = format({ weekday: "long", day: "numeric", month: "long" });
    const tick = () => {
      const now = new Date();
      setText(time, timeFormat.format(now));
      time.dateTime = now.toISOString();
      setText(date, dateFormat.format(now));
    };
    tick();
    window.setInterval(tick, 1000);
  }

  function watchIdle() {
    window.setInterval(() => {
      const dirty = state.screen !== "start" || state.priority || a11yOn() || state.stale
        || config.lang !== config.home_lang;
      const quiet = Date.now() - state.lastActivity > IDLE_RESET_MS;
      if (dirty && quiet && state.screen !== "ticket" && !state.busy && !notice.open) goHome();
    }, 5000);
  }

  const query = new URLSearchParams(window.location.search);
  setA11y(query.get("a11y") === "1");
  wire();
  if (codeInput && query.get("screen") === "booking") openBooking(); // a language switch on the code screen
  startClock();
  watchIdle();
  window.setTimeout(pollForever, POLL_MS);
  followSetUp();
  heartbeat();
  window.setInterval(heartbeat, HEARTBEAT_MS);
})();
