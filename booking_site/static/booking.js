/* Okienko online booking: the steps of /book, the code step, and the booking's own page.
 *
 * The server renders every element and every word (the "book-config" block holds the words this
 * script may show, already translated, and the field problems of okienko/people.py); this
 * script talks to the JSON API and shows its answers. The server checks everything again.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("book-config").textContent);
  const text = config.texts;
  const byId = (id) => document.getElementById(id);

  const REQUEST_TIMEOUT_MS = 20000;
  const TYPING_PAUSE_MS = 700; // a new problem is shown when typing pauses; a fixed one clears at once
  const SLOT_ERRORS = ["slot_full", "no_such_slot", "outside_horizon", "closed_day", "same_slot"];
  // The case number only where the service asks for it (the page has its field then).
  const FIELDS = ["name", "birth_date", "document_number", "document_country", "case_number", "email", "phone"]
    .filter((name) => byId(name));

  // ---- small helpers ------------------------------------------------------------------------

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
  }

  function show(element, visible) {
    if (element) element.hidden = !visible;
  }

  function notice(element, message) {
    if (!element) return;
    element.textContent = message || "";
    element.hidden = !message;
  }

  function focusHeading(element) {
    if (!element) return;
    element.focus({ preventScroll: true });
    element.scrollIntoView({ block: "start" });
  }

  function apiUrl(path, params) {
    const query = new URLSearchParams(Object.assign({ lang: config.lang },
      config.office ? { office: config.office } : {}, params || {}));
    return `${path}?${query}`;
  }

  // {status, ok, body}; throws only when the office cannot be reached.
  async function call(method, path, body, params) {
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const headers = { Accept: "application/json" };
      if (body) headers["Content-Type"] = "application/json";
      const response = await fetch(apiUrl(path, params), {
        method, headers, body: body ? JSON.stringify(body) : undefined, credentials: "same-origin",
        cache: "no-store", signal: controller.signal,
      });
      let answer = {};
      try { answer = await response.json(); } catch (ignored) { /* an empty or broken body */ }
      return { status: response.status, ok: response.ok, body: answer || {} };
    } finally {
      window.clearTimeout(timer);
    }
  }

  let busy = false;
  // One request at a time: a double tap must not hold two places.
  async function once(button, work) {
    if (busy) return;
    busy = true;
    if (button) button.setAttribute("aria-busy", "true");
    try {
      await work();
    } finally {
      busy = false;
      if (button) button.removeAttribute("aria-busy");
    }
  }

  // ---- dates and times: the office's wall time, as the API writes it ------------------------

  const asDate = (iso) => new Date(`${iso.slice(0, 10)}T00:00:00Z`);
  const wallTime = (iso) => iso.slice(11, 16);
  const weekdayName = new Intl.DateTimeFormat(config.lang, { weekday: "short", timeZone: "UTC" });
  const shortDate = new Intl.DateTimeFormat(config.lang, { day: "numeric", month: "short", timeZone: "UTC" });
  const longDate = new Intl.DateTimeFormat(config.lang, {
    weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC",
  });
  const dayInWords = (iso) => longDate.format(asDate(iso));

  function span(className, words) {
    const element = document.createElement("span");
    element.className = className;
    element.textContent = words;
    return element;
  }

  // ---- the day and time picker (booking, moving a booking) ----------------------------------

  const picker = { listing: null, day: null, slot: null, onSlot: null };

  function freePlaces(day) {
    return day.slots.reduce((sum, slot) => sum + slot.free, 0);
  }

  function closedWords(reason, holiday) {
    if (!reason.startsWith("holiday: ")) return text.closed;
    return fill(text.holiday, { name: holiday || reason.slice(9) });
  }

  async function loadSlots() {
    const status = byId("days-status");
    status.textContent = text.loading;
    let answer;
    try {
      // A booking's own link also shows the days it may move to first (its day closed by the office).
      const own = config.mode === "manage" && config.booking ?
        { booking: config.booking.code, secret: config.booking.secret } : {};
      answer = await call("GET", "/api/v1/slots", null, { service: config.service, ...own });
    } catch (error) {
      status.textContent = text.network;
      return;
    }
    if (!answer.ok) {
      status.textContent = answer.body.message || text.network;
      return;
    }
    picker.listing = answer.body;
    renderDays();
    document.dispatchEvent(new CustomEvent("okienko:listing", { detail: answer.body })); // draw.js
  }

  function renderDays() {
    const listing = picker.listing;
    const list = byId("days");
    list.replaceChildren();
    let bookableDays = 0;
    for (const day of listing.days) {
      if (day.draw) { // released by draw: the draw panel (draw.js) says when and how to enter
        const drawn = document.createElement("span");
        drawn.className = "day is-off is-draw";
        drawn.append(span("day-name", weekdayName.format(asDate(day.date))),
          span("day-date", shortDate.format(asDate(day.date))), span("day-free", text.draw_day));
        const item = document.createElement("li");
        item.append(drawn);
        list.append(item);
        continue;
      }
      if (!day.closed && !day.slots.length) continue; // today, with every time already past
      const free = freePlaces(day);
      const bookable = !day.closed && free > 0;
      bookableDays += bookable ? 1 : 0;
      const element = document.createElement(bookable ? "button" : "span");
      element.className = bookable ? "day" : "day is-off";
      element.append(span("day-name", weekdayName.format(asDate(day.date))),
        span("day-date", shortDate.format(asDate(day.date))),
        span("day-free", day.closed ? closedWords(day.closed, day.holiday) : (free ? fill(text.free, { count: free }) : text.full)));
      if (bookable) {
        element.type = "button";
        element.dataset.date = day.date;
        element.setAttribute("aria-pressed", String(day.date === picker.day));
        element.addEventListener("click", () => chooseDay(day.date));
      }
      const item = document.createElement("li");
      item.append(element);
      list.append(item);
    }
    const anyDay = listing.days.some((day) => day.closed || day.slots.length);
    byId("days-status").textContent = bookableDays ? text.choose_day : (anyDay ? text.no_free : text.no_days);
    if (listing.next_release_at) {
      notice(byId("release"), fill(text.next_release, {
        date: dayInWords(listing.next_release_at), time: wallTime(listing.next_release_at),
      }));
    }
    show(byId("waitlist-offer"), bookableDays === 0);
    // After a refusal the list is fresh: the same day stays open when it still has room.
    const stillThere = listing.days.find((day) => day.date === picker.day && !day.closed && freePlaces(day));
    if (stillThere) {
      renderTimes();
      show(byId("step-time"), true);
    } else {
      picker.day = null;
      picker.slot = null;
      show(byId("step-time"), false);
    }
  }

  function chooseDay(date) {
    picker.day = date;
    picker.slot = null;
    for (const button of byId("days").querySelectorAll("button.day")) {
      button.setAttribute("aria-pressed", String(button.dataset.date === date));
    }
    renderTimes();
    show(byId("step-time"), true);
    if (picker.onSlot) picker.onSlot(null);
    focusHeading(byId("time-title"));
  }

  function renderTimes() {
    const day = picker.listing.days.find((item) => item.date === picker.day);
    byId("day-chosen").textContent = dayInWords(day.date);
    const list = byId("times");
    list.replaceChildren();
    const current = config.booking ? config.booking.start : null;
    for (const slot of day.slots) {
      const isCurrent = slot.start === current;
      const bookable = slot.free > 0 && !isCurrent;
      const element = document.createElement(bookable ? "button" : "span");
      element.className = bookable ? "time" : (isCurrent ? "time is-current" : "time is-off");
      element.append(span("time-start", wallTime(slot.start)),
        span("time-free", isCurrent ? text.current_slot : (slot.free ? fill(text.free, { count: slot.free }) : text.full)));
      if (bookable) {
        element.type = "button";
        element.dataset.start = slot.start;
        element.setAttribute("aria-pressed", String(picker.slot !== null && picker.slot.start === slot.start));
        element.addEventListener("click", () => chooseSlot(slot));
      }
      const item = document.createElement("li");
      item.append(element);
      list.append(item);
    }
  }

  function chooseSlot(slot) {
    picker.slot = slot;
    notice(byId("day-notice"), "");
    for (const button of byId("times").querySelectorAll("button.time")) {
      button.setAttribute("aria-pressed", String(button.dataset.start === slot.start));
    }
    if (picker.onSlot) picker.onSlot(slot);
  }

  function slotInWords(slot) {
    return `${dayInWords(slot.start)}, ${wallTime(slot.start)}`;
  }

  // ---- the person's details, checked as they are typed (the rules of okienko/people.py) ----

  // A word: a letter of any script, then letters and combining marks (or ZWNJ/ZWJ); words joined by
  // one space, hyphen or apostrophe, or a dot with or without a space (okienko/people.py `valid_name`).
  const WORD = "\\p{L}[\\p{L}\\p{M}\\u200C\\u200D]*";
  const NAME = new RegExp(`^${WORD}(?:(?:[ '\\-\u2019]|\\. ?)${WORD})*\\.?$`, "u");
  const DOCUMENT = /^[A-Z0-9]{5,20}$/;
  const EMAIL = /^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$/;
  const PHONE = /^\+[1-9]\d{7,14}$/;

  function normalisedPhone(value) {
    const digits = value.replace(/[\s\-().]/g, "");
    if (/^\d{9}$/.test(digits)) return `+48${digits}`;
    if (digits.startsWith("00")) return `+${digits.slice(2)}`;
    return digits;
  }

  function isRealDate(value) {
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
  }

  // The office's pattern, where the browser reads it as Python does; the server checks it anyway.
  const casePattern = (() => {
    try { return config.case_number_pattern ? new RegExp(config.case_number_pattern) : null; }
    catch (ignored) { return null; }
  })();

  const lowestBirthDate = `${String(Number(config.today.slice(0, 4)) - 120).padStart(4, "0")}-01-01`;

  const checks = {
    name(value) {
      const typed = value.normalize("NFC"); // "Z\u0307" typed decomposed is "Ż", as the server sees it
      const name = typed.split(/\s+/).filter(Boolean).join(" ");
      if (!name) return "name_missing";
      // eslint-disable-next-line no-control-regex
      return name.length > 120 || !NAME.test(name) || /[\u0000-\u001F\u007F-\u009F]/.test(typed)
        ? "name_invalid" : null;
    },
    birth_date(value) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !isRealDate(value)) return "birth_date_invalid";
      return value < lowestBirthDate || value >= config.today ? "birth_date_range" : null;
    },
    document_number(value) {
      return DOCUMENT.test(value.replace(/[\s-]/g, "").toUpperCase()) ? null : "document_invalid";
    },
    document_country(value) {
      return value ? null : "country_invalid";
    },
    case_number(value) {
      const number = value.replace(/\s+/g, "").toUpperCase();
      if (!number) return "case_number_missing";
      return casePattern && !casePattern.test(number) ? "case_number_invalid" : null;
    },
    email(value) {
      const email = value.trim();
      return email.length > 254 || !EMAIL.test(email) ? "email_invalid" : null;
    },
    phone(value) {
      const phone = normalisedPhone(value);
      return phone && !PHONE.test(phone) ? "phone_invalid" : null;
    },
  };

  function fieldError(name, message) {
    const input = byId(name);
    const slot = byId(`${name}-error`);
    if (message) {
      input.setAttribute("aria-invalid", "true");
    } else {
      input.removeAttribute("aria-invalid");
    }
    if (slot.textContent !== (message || "")) slot.textContent = message || "";
    input.closest(".field").classList.toggle("has-error", Boolean(message));
  }

  function check(name) {
    const problem = checks[name](byId(name).value);
    fieldError(name, problem ? config.field_messages[problem] : "");
    return !problem;
  }

  function watchFields() {
    const pending = {};
    for (const name of FIELDS) {
      const input = byId(name);
      input.addEventListener("input", () => {
        window.clearTimeout(pending[name]);
        const problem = checks[name](input.value);
        if (!problem || input.getAttribute("aria-invalid") === "true") {
          check(name);
        } else {
          pending[name] = window.setTimeout(() => check(name), TYPING_PAUSE_MS);
        }
      });
      input.addEventListener("blur", () => {
        window.clearTimeout(pending[name]);
        // Tabbing through an empty form says nothing yet; sending it does.
        if (input.value.trim() || input.getAttribute("aria-invalid") === "true") check(name);
      });
    }
    const birth = byId("birth_date");
    birth.min = lowestBirthDate;
    birth.max = new Date(asDate(config.today).getTime() - 86400000).toISOString().slice(0, 10); // before today
  }

  // ---- /book ----------------------------------------------------------------------------------

  let formKind = "book"; // or "waitlist", or "draw" (an entry into the draw of draw.js)
  let heldId = config.booking_id || null;

  function setFormKind(kind) {
    formKind = kind;
    for (const element of document.querySelectorAll("#step-person [data-for], #step-code [data-for]")) {
      element.hidden = element.dataset.for !== kind;
    }
  }

  function showPerson(kind) {
    setFormKind(kind);
    byId("slot-chosen").textContent = kind === "book"
      ? `${config.service_name}: ${slotInWords(picker.slot)}` : config.service_name;
    notice(byId("form-notice"), "");
    show(byId("step-person"), true);
    focusHeading(byId("person-title"));
  }

  function backToDays(message) {
    show(byId("step-person"), false);
    notice(byId("day-notice"), message);
    picker.slot = null;
    focusHeading(byId("day-title"));
    loadSlots();
  }

  // After a hold (or joining the list) the earlier steps are done: only this one stays. What was shown
  // before is kept, for a hold that lapses: the visitor goes back to the days, details as typed.
  let stepsBefore = null;

  function onlyStep(id) {
    const sections = [...document.querySelectorAll(".step")];
    if (!stepsBefore) stepsBefore = sections.map((section) => [section, section.hidden]);
    for (const section of sections) section.hidden = section.id !== id;
    focusHeading(byId(id).querySelector("h2"));
  }

  // The hold lapsed (or is gone) before its code came: choose another time, without typing the
  // person's details again (the form keeps them; the next hold sends them as they are).
  function anotherTime(message) {
    for (const [section, hidden] of stepsBefore || []) section.hidden = hidden;
    stepsBefore = null;
    heldId = null;
    const code = byId("code");
    code.value = "";
    code.disabled = false;
    fieldError("code", "");
    byId("code-submit").hidden = false;
    byId("start-again").classList.add("button-quiet");
    backToDays(message);
  }

  function showCode(held) {
    heldId = held.id;
    byId("code-sent").textContent = fill(text.code_sent, { email: held.sent_to.email, time: wallTime(held.expires_at) });
    notice(byId("code-sms"), held.sent_to.sms ? fill(text.code_sms, { phone: held.sent_to.sms }) : "");
    onlyStep("step-code");
  }

  function showServerFields(fields) {
    const names = Object.keys(fields || {}).filter((name) => FIELDS.includes(name));
    for (const name of names) fieldError(name, fields[name]);
    if (names.length) byId(names[0]).focus();
  }

  async function sendPerson() {
    const bad = FIELDS.filter((name) => !check(name));
    const entry = formKind === "draw" ? window.OkienkoDraw.entryDetails() : {};
    if (bad.length || !entry) {
      // A wrong time range alone is said at the ranges, where the focus goes.
      notice(byId("form-notice"), bad.length ? text.check_fields : "");
      if (bad.length) byId(bad[0]).focus();
      return;
    }
    notice(byId("form-notice"), "");
    if (formKind === "draw") {
      await sendEntry(entry);
      return;
    }
    const body = { service: config.service, language: config.lang };
    for (const name of FIELDS) body[name] = byId(name).value;
    if (formKind === "book") body.start = picker.slot.start;
    let answer;
    try {
      answer = await call("POST", formKind === "book" ? "/api/v1/bookings" : "/api/v1/waiting-list", body);
    } catch (error) {
      notice(byId("form-notice"), text.network);
      return;
    }
    if (answer.ok && formKind === "book") {
      showCode(answer.body);
    } else if (answer.ok) {
      byId("waitlisted-text").textContent = fill(text.waitlisted, answer.body);
      onlyStep("step-waitlisted");
    } else if (SLOT_ERRORS.includes(answer.body.error)) {
      backToDays(answer.body.message);
    } else if (answer.body.error === "waitlist_off") {
      const offer = byId("waitlist-offer");
      if (offer) offer.remove();
      backToDays(answer.body.message);
    } else {
      notice(byId("form-notice"), answer.body.message || text.network);
      showServerFields(answer.body.fields);
    }
  }

  // An entry into a draw: the same person, plus what draw.js adds (the preferred times).
  async function sendEntry(entry) {
    const body = Object.assign({ language: config.lang }, entry);
    for (const name of FIELDS) body[name] = byId(name).value;
    let answer;
    try {
      answer = await call("POST", `/api/v1/draws/${encodeURIComponent(window.OkienkoDraw.drawId())}/entries`, body);
    } catch (error) {
      notice(byId("form-notice"), text.network);
      return;
    }
    if (answer.ok) {
      showCode(answer.body);
    } else if (["draw_not_open", "draw_not_found"].includes(answer.body.error)) {
      show(byId("step-person"), false);
      window.OkienkoDraw.refused(answer.body.message);
    } else if (answer.body.error === "bad_preferences") {
      window.OkienkoDraw.badPreferences(answer.body.message);
      notice(byId("form-notice"), answer.body.message);
    } else {
      notice(byId("form-notice"), answer.body.message || text.network);
      showServerFields(answer.body.fields);
    }
  }

  function startBooking() {
    watchFields();
    picker.onSlot = (slot) => {
      if (slot) {
        showPerson("book");
      } else {
        show(byId("step-person"), false);
      }
    };
    document.addEventListener("okienko:reload", () => loadSlots()); // draw.js: the window opened or closed
    const join = byId("waitlist-start");
    if (join) join.addEventListener("click", () => showPerson("waitlist"));
    const form = byId("person-form");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      once(byId("person-submit"), sendPerson);
    });
    loadSlots();
  }

  // ---- the code step (/book after a hold, /book/confirm/<id>) --------------------------------

  async function sendCode() {
    const typed = byId("code").value.replace(/\D/g, "");
    if (typed.length !== 6) {
      fieldError("code", text.code_format);
      byId("code").focus();
      return;
    }
    let answer;
    const path = formKind === "draw" ? `/api/v1/draw-entries/${encodeURIComponent(heldId)}/confirm`
      : `/api/v1/bookings/${encodeURIComponent(heldId)}/confirm`;
    try {
      answer = await call("POST", path, { code: typed, language: config.lang });
    } catch (error) {
      fieldError("code", text.network);
      return;
    }
    if (answer.ok) {
      // The booking's own page: the link the server builds (the same as in the email), marked "just booked".
      window.location.assign(formKind === "draw" ? window.OkienkoDraw.entryPath(answer.body)
        : answer.body.manage_url + "&done=1");
      return;
    }
    if (config.mode === "book" && formKind === "book"
        && ["code_expired", "booking_not_found"].includes(answer.body.error)) {
      anotherTime(text.hold_lapsed);
      return;
    }
    fieldError("code", answer.body.message || text.network);
    if (["code_expired", "booking_not_found", "already_confirmed", "entry_not_found", "draw_not_open"]
      .includes(answer.body.error)) {
      byId("code").disabled = true;
      byId("code-submit").hidden = true;
      byId("start-again").classList.remove("button-quiet");
      byId("start-again").focus();
    } else {
      byId("code").select();
    }
  }

  function startCode() {
    byId("code-form").addEventListener("submit", (event) => {
      event.preventDefault();
      once(byId("code-submit"), sendCode);
    });
    byId("code").addEventListener("input", () => {
      if (byId("code").getAttribute("aria-invalid") === "true") fieldError("code", "");
    });
  }

  // ---- the booking's own page ----------------------------------------------------------------

  function startManage() {
    const booking = config.booking;
    const print = byId("print");
    if (print) print.addEventListener("click", () => window.print()); // an ended booking offers to book again instead
    const cancelStart = byId("cancel-start");
    if (!cancelStart) return; // no longer changeable: nothing more to do here
    const manageNotice = byId("manage-notice");
    const dialog = byId("cancel-dialog");
    cancelStart.addEventListener("click", () => dialog.showModal());
    byId("cancel-keep").addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => cancelStart.focus());
    byId("cancel-confirm").addEventListener("click", () => once(byId("cancel-confirm"), async () => {
      let answer;
      try {
        answer = await call("POST", `/api/v1/bookings/${encodeURIComponent(booking.code)}/cancel`,
          { secret: booking.secret, language: config.lang });
      } catch (error) {
        answer = { ok: false, body: { message: text.network } };
      }
      if (answer.ok) {
        window.location.replace(`${booking.path}&changed=cancelled`);
        return;
      }
      dialog.close();
      notice(manageNotice, answer.body.message);
    }));

    const moveStart = byId("move-start");
    if (!moveStart) return; // too late to move, still time to cancel
    moveStart.addEventListener("click", () => {
      const opening = byId("step-move").hidden;
      show(byId("step-move"), opening);
      byId("booking").classList.toggle("is-moving", opening);
      moveStart.setAttribute("aria-expanded", String(opening));
      if (!opening) return;
      focusHeading(byId("move-title"));
      loadSlots();
    });
    picker.onSlot = (slot) => {
      show(byId("move-confirm"), Boolean(slot));
      if (slot) {
        byId("move-summary").textContent = fill(text.move_to, { date: dayInWords(slot.start), time: wallTime(slot.start) });
        byId("move-submit").focus(); // it is described by the summary above it
      }
    };
    byId("move-submit").addEventListener("click", () => once(byId("move-submit"), async () => {
      let answer;
      try {
        answer = await call("POST", `/api/v1/bookings/${encodeURIComponent(booking.code)}/reschedule`,
          { secret: booking.secret, start: picker.slot.start, language: config.lang });
      } catch (error) {
        answer = { ok: false, body: { message: text.network } };
      }
      if (answer.ok) {
        window.location.replace(`${booking.path}&changed=moved`);
      } else if (SLOT_ERRORS.includes(answer.body.error)) {
        show(byId("move-confirm"), false);
        picker.slot = null;
        notice(byId("day-notice"), answer.body.message);
        focusHeading(byId("move-title"));
        loadSlots();
      } else {
        notice(manageNotice, answer.body.message);
        manageNotice.scrollIntoView({ block: "center" });
      }
    }));
  }

  // What draw.js (the draw panel, an entry's page, a draw's record) shares with the booking steps.
  window.OkienkoBooking = {
    call, fill, show, notice, once, focusHeading, fieldError, dayInWords, wallTime, showPerson,
  };

  if (config.mode === "book" && config.service) {
    startBooking();
    startCode();
  } else if (config.mode === "confirm") {
    startCode();
  } else if (config.mode === "manage") {
    startManage();
  }
}());
