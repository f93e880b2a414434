/* Okienko draws, the visitor's side: the draw panel on /book (when a day is drawn, the entry's
 * extra details), an entry's own page (/book/draw/<id>?receipt=…) and a draw's public record
 * (/book/draws/<id>). Like booking.js it shows the JSON API's answers in words the server already
 * translated ("book-config"); the pages near a draw ask again every config.poll_seconds.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("book-config").textContent);
  const text = config.texts;
  const byId = (id) => document.getElementById(id);
  const shared = window.OkienkoBooking;
  if (!shared) return;
  const { call, fill, show, notice, once, focusHeading, dayInWords } = shared;

  const POLL_MS = (config.poll_seconds || 15) * 1000;
  const MAX_RANGES = 3;

  // ---- moments in the office's time zone ----------------------------------------------------

  const zone = config.timezone || "Europe/Warsaw";
  const clock = new Intl.DateTimeFormat(config.lang, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone });
  const clockSeconds = new Intl.DateTimeFormat(config.lang, {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZone: zone,
  });
  const calendar = new Intl.DateTimeFormat(config.lang, {
    weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: zone,
  });
  const timeOf = (iso) => clock.format(new Date(iso));
  const dateOf = (iso) => calendar.format(new Date(iso));
  const moment = (iso) => fill(text.moment, { date: dateOf(iso), time: timeOf(iso) });

  function windowWords(draw) {
    const sameDay = dateOf(draw.opens_at) === dateOf(draw.closes_at);
    return fill(text.draw_window, {
      opens: moment(draw.opens_at), closes: sameDay ? timeOf(draw.closes_at) : moment(draw.closes_at),
    });
  }

  function withLanguage(path, extra) {
    const [base, query] = path.split("?");
    const params = new URLSearchParams(query || "");
    params.set("lang", config.lang);
    if (config.office) params.set("office", config.office);
    for (const [name, value] of Object.entries(extra || {})) params.set(name, value);
    return `${base}?${params}`;
  }

  const recordPath = (drawId, extra) => withLanguage(`/book/draws/${encodeURIComponent(drawId)}`, extra);

  function stamp(element) {
    notice(element, fill(text.updated, { time: clockSeconds.format(new Date()) }));
  }

  // Ask again later; one timer per page, replaced by every new plan.
  let timer = null;
  function again(work, delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(work, Math.max(1000, Math.min(delay, 2147483000)));
  }

  // ---- /book: the draw panel and the entry's extra details -----------------------------------

  let shownDraw = null;

  // The draw to show: the next one the listing names, else the nearest drawn day (open first).
  function drawOf(listing) {
    if (listing.next_draw) return listing.next_draw;
    const days = listing.days.filter((day) => day.draw).map((day) => Object.assign({ day: day.date }, day.draw));
    const rank = { open: 0, closed: 1, upcoming: 2 };
    days.sort((a, b) => (rank[a.status] ?? 3) - (rank[b.status] ?? 3) || a.day.localeCompare(b.day));
    return days[0] || null;
  }

  async function showPanel(listing) {
    const draw = drawOf(listing);
    const panel = byId("step-draw");
    shownDraw = draw;
    show(panel, Boolean(draw));
    if (!draw) return;
    byId("draw-heading").textContent = fill(text.draw_title, { date: dayInWords(draw.day) });
    byId("draw-window").textContent = windowWords(draw);
    const status = {
      upcoming: text.draw_upcoming, open: fill(text.draw_open, { time: timeOf(draw.closes_at) }),
      closed: text.draw_closed, done: text.draw_done,
    };
    byId("draw-status").textContent = status[draw.status] || "";
    show(byId("draw-enter"), draw.status === "open");
    byId("draw-record").href = recordPath(draw.id);
    // The panel changes at the window's opening and closing, and when the draw has run.
    const next = draw.status === "upcoming" ? new Date(draw.opens_at) - Date.now()
      : draw.status === "open" ? new Date(draw.closes_at) - Date.now() : POLL_MS;
    again(() => document.dispatchEvent(new CustomEvent("okienko:reload")), next + 1000);
    let answer;
    try {
      answer = await call("GET", `/api/v1/draws/${encodeURIComponent(draw.id)}`);
    } catch (error) {
      return; // the figures are a nicety; the panel stands without them
    }
    if (!answer.ok || !shownDraw || shownDraw.id !== draw.id) return;
    const places = answer.body.places || (config.draw_places || {})[draw.day] || 0;
    notice(byId("draw-places"), places ? fill(text.draw_places, { count: places }) : "");
    notice(byId("draw-entries"), answer.body.entries ? fill(text.draw_entries, { count: answer.body.entries }) : "");
  }

  function enter() {
    byId("steps").classList.add("is-entering");
    shared.showPerson("draw");
    byId("slot-chosen").textContent = `${config.service_name}: ${dayInWords(shownDraw.day)}`;
  }

  function readRanges() {
    if (!byId("preference-ranges").checked) return [];
    const ranges = [];
    for (let number = 1; number <= MAX_RANGES; number += 1) {
      const from = byId(`range-${number}-from`).value;
      const to = byId(`range-${number}-to`).value;
      if (!from && !to) continue;
      if (!from || !to || to <= from) return null;
      ranges.push({ from, to });
    }
    return ranges.length ? ranges : undefined;
  }

  function preferencesError(message) {
    const box = byId("preferences");
    byId("preferences-error").textContent = message || "";
    box.classList.toggle("has-error", Boolean(message));
    for (const input of box.querySelectorAll('input[type="time"]')) {
      if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    }
  }

  // The entry's own fields (the preferred times), checked; null (with the problem shown) when wrong.
  function entryDetails() {
    const ranges = readRanges();
    if (ranges === null || ranges === undefined) {
      preferencesError(ranges === null ? text.bad_range : text.no_range);
      byId("range-1-from").focus();
      return null;
    }
    preferencesError("");
    return { preferences: ranges };
  }

  function startPanel() {
    document.addEventListener("okienko:listing", (event) => showPanel(event.detail));
    byId("draw-enter").addEventListener("click", enter);
    const rangesList = byId("ranges");
    for (const radio of document.querySelectorAll('input[name="preference_kind"]')) {
      radio.addEventListener("change", () => {
        show(rangesList, byId("preference-ranges").checked);
        preferencesError("");
      });
    }
    for (const input of rangesList.querySelectorAll("input")) {
      input.addEventListener("input", () => {
        if (byId("preferences").classList.contains("has-error") && readRanges()) preferencesError("");
      });
    }
    window.OkienkoDraw = {
      drawId: () => shownDraw.id,
      entryDetails,
      refused(message) {
        notice(byId("day-notice"), message);
        focusHeading(byId("draw-title"));
        document.dispatchEvent(new CustomEvent("okienko:reload"));
      },
      badPreferences: preferencesError,
      entryPath: (entered) => withLanguage(entered.status_url),
    };
  }

  // ---- /book/draw/<id>?receipt=…: where the entry stands -------------------------------------

  const STATUS_CLASS = { won: "status-confirmed", not_drawn: "status-cancelled", withdrawn: "status-expired" };

  async function loadEntry() {
    let answer;
    try {
      answer = await call("GET", `/api/v1/draw-entries/${encodeURIComponent(config.entry_id)}`, null,
        { receipt: config.receipt });
    } catch (error) {
      notice(byId("entry-notice"), text.network);
      again(loadEntry, POLL_MS);
      return;
    }
    show(byId("entry-loading"), false);
    if (!answer.ok) {
      notice(byId("entry-notice"), answer.body.message || text.network);
      show(byId("entry"), false);
      return;
    }
    notice(byId("entry-notice"), "");
    const entry = answer.body;
    const drawId = entry.draw && typeof entry.draw === "object" ? entry.draw.id : entry.draw;
    let draw = entry.draw && typeof entry.draw === "object" && entry.draw.closes_at ? entry.draw : null;
    if (!draw) {
      try {
        const found = await call("GET", `/api/v1/draws/${encodeURIComponent(drawId)}`);
        if (found.ok) draw = found.body;
      } catch (error) { /* shown without the draw's times */ }
    }
    renderEntry(entry, draw, drawId);
    if (entry.status === "entered" || entry.status === "pending") {
      const closes = draw ? new Date(draw.closes_at) - Date.now() : 0;
      // Far from the draw, look again when it is near; near it, every few seconds.
      again(loadEntry, closes > 2 * POLL_MS ? closes - POLL_MS : POLL_MS);
    }
  }

  function renderEntry(entry, draw, drawId) {
    show(byId("entry"), true);
    const status = byId("entry-status");
    status.textContent = text[`status_${entry.status}`] || entry.status;
    status.className = `pass-status ${STATUS_CLASS[entry.status] || ""}`;
    byId("entry-service").textContent = entry.service_name || entry.service;
    byId("entry-day").textContent = dayInWords(entry.day);
    byId("entry-draw-time").textContent = draw ? moment(draw.closes_at) : "";
    byId("entry-name").textContent = entry.person ? entry.person.name : "";
    byId("entry-document").textContent = entry.person ? entry.person.document : "";
    byId("entry-ticket").textContent = entry.ticket || "";
    notice(byId("entry-rank"), entry.rank ? fill(text.rank_text, { rank: entry.rank }) : "");
    const ticket = entry.ticket ? { ticket: entry.ticket } : {};
    byId("entry-record").href = recordPath(drawId, ticket);

    show(byId("entry-entered"), entry.status === "entered");
    if (entry.status === "entered" && draw) {
      byId("entry-entered").textContent = fill(text.entered_text, { date: dateOf(draw.closes_at), time: timeOf(draw.closes_at) });
    }
    const won = entry.status === "won" && entry.booking;
    show(byId("entry-won"), Boolean(won));
    if (won) {
      byId("entry-booking-code").textContent = entry.booking.code;
      byId("entry-booking-time").textContent = fill(text.won_text, {
        date: dateOf(entry.booking.start),
        time: `${timeOf(entry.booking.start)}${entry.booking.end ? `–${timeOf(entry.booking.end)}` : ""}`,
      });
    }
    show(byId("entry-not-drawn"), entry.status === "not_drawn");
    notice(byId("entry-waitlist"), entry.waitlist_position
      ? fill(text.waitlist_position, { position: entry.waitlist_position }) : "");
    show(byId("entry-withdrawn"), entry.status === "withdrawn");
    show(byId("withdraw-start"), entry.status === "entered" && Boolean(draw) && draw.status === "open");
    stamp(byId("entry-updated"));
  }

  function startEntry() {
    const dialog = byId("withdraw-dialog");
    const start = byId("withdraw-start");
    start.addEventListener("click", () => dialog.showModal());
    byId("withdraw-keep").addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => { if (!start.hidden) start.focus(); });
    byId("withdraw-confirm").addEventListener("click", () => once(byId("withdraw-confirm"), async () => {
      let answer;
      try {
        answer = await call("POST", `/api/v1/draw-entries/${encodeURIComponent(config.entry_id)}/withdraw`,
          { receipt: config.receipt, language: config.lang });
      } catch (error) {
        answer = { ok: false, body: { message: text.network } };
      }
      dialog.close();
      if (!answer.ok) notice(byId("entry-notice"), answer.body.message || text.network);
      await loadEntry();
      focusHeading(byId("entry-status"));
    }));
    loadEntry();
  }

  // ---- /book/draws/<id>: the public record ------------------------------------------------------

  function rangesInWords(preferences) {
    if (!preferences || !preferences.length) return text.any_time;
    return preferences.map((range) => fill(text.range, range)).join(", ");
  }

  function cell(tag, words, className) {
    const element = document.createElement(tag);
    element.textContent = words;
    if (className) element.className = className;
    return element;
  }

  async function loadRecord() {
    let answer;
    try {
      answer = await call("GET", `/api/v1/draws/${encodeURIComponent(config.draw_id)}`);
    } catch (error) {
      notice(byId("record-notice"), text.network);
      again(loadRecord, POLL_MS);
      return;
    }
    show(byId("record-loading"), false);
    if (!answer.ok) {
      notice(byId("record-notice"), answer.body.message || text.network);
      return;
    }
    notice(byId("record-notice"), "");
    renderRecord(answer.body);
    if (answer.body.status !== "done") {
      const closes = new Date(answer.body.closes_at) - Date.now();
      again(loadRecord, closes > 2 * POLL_MS ? closes - POLL_MS : POLL_MS);
    }
  }

  function renderRecord(draw) {
    show(byId("record"), true);
    byId("record-service").textContent = draw.service_name || (config.service_names || {})[draw.service] || draw.service;
    byId("record-day").textContent = dayInWords(draw.day);
    const sameDay = dateOf(draw.opens_at) === dateOf(draw.closes_at);
    byId("record-window").textContent = fill(text.window_range, {
      opens: moment(draw.opens_at), closes: sameDay ? timeOf(draw.closes_at) : moment(draw.closes_at),
    });
    byId("record-status").textContent = text[`public_status_${draw.status}`] || draw.status;
    byId("record-places").textContent = draw.status === "done" || draw.places ? String(draw.places) : "—";
    byId("record-entries").textContent = String(draw.entries ?? "—");
    byId("record-commitment").textContent = draw.commitment;
    byId("record-seed").textContent = draw.seed || text.not_yet;
    const rows = draw.result || [];
    show(byId("record-no-result"), !rows.length);
    show(byId("record-table-frame"), rows.length > 0);
    const body = byId("record-table").tBodies[0];
    body.replaceChildren();
    let yours = null;
    for (const row of rows) {
      const line = document.createElement("tr");
      line.append(cell("td", String(row.rank), "rank"), cell("td", row.ticket, "hash"),
        cell("td", row.outcome === "won" ? text.outcome_won : text.outcome_not_drawn, `outcome outcome-${row.outcome}`),
        cell("td", row.start ? timeOf(row.start) : rangesInWords(row.preferences)));
      if (config.ticket && row.ticket === config.ticket) {
        line.className = "is-yours";
        yours = line;
      }
      body.append(line);
    }
    show(byId("record-yours"), Boolean(yours));
    const link = byId("record-json");
    link.href = `/api/v1/draws/${encodeURIComponent(draw.id)}`;
    show(link, draw.status === "done");
    stamp(byId("record-updated"));
  }

  if (config.mode === "book" && config.draws && byId("step-draw")) {
    startPanel();
  } else if (config.mode === "draw-entry") {
    startEntry();
  } else if (config.mode === "draw-public") {
    loadRecord();
  }
}());
