/* Back office, Bookings: a day's bookings, searched by code, name or time, the ones whose day was
 * closed first; a booking's details and history; cancel or move on the visitor's behalf (the
 * visitor is told). GET /api/v1/admin/bookings, GET/POST /api/v1/admin/bookings/{code}[/cancel|/move].
 */
(() => {
  "use strict";

  const {api, fail, format, showStatus, clearMessages, clearFields, readForm, el, when, localDate, text,
         $} = window.Admin;
  const search = $("booking-search");
  const cancelForm = $("cancel-form");
  const moveForm = $("move-form");
  let acting = null;   // the booking being cancelled or moved

  // The address keeps the search (?day=&q=&flag=), so a reload or a link shows the same list.
  const wanted = new URLSearchParams(window.location.search);
  search.elements.day.value = wanted.get("day") || localDate(new Date());
  search.elements.q.value = wanted.get("q") || "";
  search.elements.flag.checked = wanted.get("flag") === "day_closed";

  const statusLabel = (status) => text.status[status] || status;
  const flaggedFirst = (a, b) => (Boolean(b.flag) - Boolean(a.flag)) || a.starts_at.localeCompare(b.starts_at);

  async function load() {
    const values = readForm(search);
    const query = {};
    if (values.day && !values.flag) query.day = values.day;
    if (values.q) query.q = values.q;
    if (values.flag) query.flag = "day_closed";
    const shown = new URL(window.location.href);
    ["day", "q", "flag"].forEach((key) => shown.searchParams.delete(key));
    Object.entries(query).forEach(([key, value]) => shown.searchParams.set(key, value));
    window.history.replaceState(null, "", shown);
    try {
      const answer = await api("GET", "/api/v1/admin/bookings", undefined, query);
      render(answer.bookings.sort(flaggedFirst), query.day ? "time" : "dateTime");
    } catch (failure) {
      fail(failure, search);
    }
  }

  function render(bookings, timeKind) {
    $("bookings-count").textContent = bookings.length ? `(${format(text.found, {count: bookings.length})})` : "";
    $("bookings-table").hidden = bookings.length === 0;
    $("bookings-empty").hidden = bookings.length > 0;
    $("booking-rows").replaceChildren(...bookings.map((booking) => {
      const live = booking.status === "confirmed";
      return el("tr", {"data-code": booking.code, class: booking.flag ? "is-flagged" : null},
        el("td", {class: "nowrap"}, when(booking.starts_at, timeKind)),
        el("td", {class: "ticket-cell"}, booking.code),
        el("th", {scope: "row"}, booking.name),
        el("td", {}, booking.service_name || booking.service),
        el("td", {}, statusLabel(booking.status), booking.flag ? el("span", {class: "flag"}, text.dayClosed) : null),
        el("td", {class: "actions"},
          el("button", {type: "button", class: "button", onclick: () => details(booking.code),
                        "aria-label": `${text.history} ${booking.code}`}, text.history),
          live ? el("button", {type: "button", class: "button", onclick: () => askMove(booking),
                               "aria-label": `${text.moveBooking} ${booking.code}`}, text.moveBooking) : null,
          live ? el("button", {type: "button", class: "button button-danger", onclick: () => askCancel(booking),
                               "aria-label": `${text.cancelBooking} ${booking.code}`}, text.cancelBooking) : null));
    }));
  }

  /* The visitor's language by its name in the page's language ("Ukrainian", "ukraiński"). */
  const languageName = (code) => text.languages[code] || code;
  /* A date of birth with the month in words: never 04/12, read either way. */
  const birthDateFormat = new Intl.DateTimeFormat(window.Admin.config.lang, {dateStyle: "long", timeZone: "UTC"});
  const birthDate = (isoDate) => birthDateFormat.format(new Date(`${isoDate}T00:00:00Z`));

  /* Where a move took the booking: the next move's starting point, or where it is now. */
  function movedTo(history, index, booking) {
    const later = history.slice(index + 1).find((event) => event.kind === "moved" && event.detail.before);
    return later ? later.detail.before : booking.starts_at;
  }

  /* Two moments of a move: the times alone when both are on one day, else with their dates. */
  function span(before, after) {
    const kind = before && localDate(new Date(before)) === localDate(new Date(after)) ? "time" : "dateTime";
    return {before: before ? when(before, kind) : "–", after: when(after, kind)};
  }

  /* One fact of the booking's history as a sentence in the page's language (what the detail says,
   * without its keys); a kind this page does not know is a plain line, never the raw detail. */
  function happened(event, after) {
    const detail = event.detail || {};
    const said = text.event;
    switch (event.kind) {
      case "held": return said.held;
      case "offered": return said.offered;
      case "confirmed": return detail.draw ? said.confirmedInDraw : said.confirmed;
      case "cancelled": return detail.by ? format(said.cancelledBy, {by: detail.by}) : said.cancelled;
      case "moved": return format(detail.by ? said.movedBy : said.moved, {...span(detail.before, after),
                                                                           by: detail.by || ""});
      case "flagged": return said.flagged;
      case "checked_in": return detail.ticket ? format(said.checkedInTicket, {ticket: detail.ticket})
        : said.checkedIn;
      case "document_checked": return format(detail.matched ? said.documentMatched : said.documentDiffers,
                                             {by: detail.by || "–"});
      case "expired": return detail.reason === "wrong_codes" ? said.expiredCodes : said.expired;
      case "no_show": return said.noShow;
      default: return said.other;
    }
  }

  async function details(code) {
    clearMessages();
    let answer;
    try {
      answer = await api("GET", `/api/v1/admin/bookings/${encodeURIComponent(code)}`);
    } catch (failure) {
      fail(failure);
      return;
    }
    const {booking, history} = answer;
    $("booking-code").textContent = booking.code;
    const shown = {...booking, status: statusLabel(booking.status), starts_at: when(booking.starts_at),
                   created_at: when(booking.created_at), confirmed_at: when(booking.confirmed_at),
                   birth_date: booking.birth_date ? birthDate(booking.birth_date) : null,
                   language: languageName(booking.language)};
    $("booking-facts").replaceChildren(...text.facts.filter(([key]) => shown[key])
      .map(([key, label]) => el("div", {}, el("dt", {}, label), el("dd", {}, shown[key]))));
    $("history-rows").replaceChildren(...history.map((event, index) => el("tr", {"data-kind": event.kind},
      el("td", {class: "nowrap"}, when(event.at)),
      el("td", {}, happened(event, movedTo(history, index, booking))))));
    $("booking-dialog").showModal();
  }

  function askCancel(booking) {
    acting = booking;
    clearFields(cancelForm);
    cancelForm.reset();
    $("cancel-question").textContent = format(text.cancelQuestion, {code: booking.code, name: booking.name});
    $("cancel-dialog").showModal();
  }

  cancelForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    try {
      await api("POST", `/api/v1/admin/bookings/${encodeURIComponent(acting.code)}/cancel`, readForm(cancelForm));
      $("cancel-dialog").close();
      showStatus(format(text.cancelled, {code: acting.code}));
      await load();
    } catch (failure) {
      fail(failure, cancelForm);
    }
  });

  function askMove(booking) {
    acting = booking;
    clearFields(moveForm);
    $("move-code").textContent = booking.code;
    // The wall-clock time of the booking (the API answers in the office's time), minutes only.
    moveForm.elements.starts_at.value = booking.starts_at.slice(0, 16);
    $("move-dialog").showModal();
  }

  moveForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    clearFields(moveForm);
    const startsAt = moveForm.elements.starts_at.value;
    try {
      await api("POST", `/api/v1/admin/bookings/${encodeURIComponent(acting.code)}/move`,
                {starts_at: startsAt.length === 16 ? `${startsAt}:00` : startsAt});
      $("move-dialog").close();
      showStatus(format(text.moved, {code: acting.code}));
      await load();
    } catch (failure) {
      fail(failure, moveForm);
    }
  });

  search.addEventListener("submit", (event) => {
    event.preventDefault();
    clearMessages();
    load();
  });

  load();
})();
