/* Back office, Event statistics: pick events (checkboxes), see them side by side.
 *
 * GET /api/v1/admin/events/stats?ids=… gives each event's rows (one per service it offers) and its
 * total, and the events one may pick; without ids the last past events. The chosen ids are kept in
 * the page's address, so a reload or a shared link shows the same comparison.
 */
(() => {
  "use strict";

  const {api, fail, format, clearMessages, el, day, text, config, $} = window.Admin;
  const COUNTS = ["bookings_made", "bookings_checked_in", "bookings_no_show", "bookings_cancelled",
                  "tickets_walk_in", "tickets_booked", "served", "no_shows", "waiting_at_close"];
  const TIMES = ["wait_median_seconds", "wait_p90_seconds", "service_median_seconds", "service_p90_seconds"];
  const whole = new Intl.NumberFormat(config.lang);
  const oneDecimal = new Intl.NumberFormat(config.lang, {maximumFractionDigits: 1});

  /* Seconds as minutes: one decimal under ten minutes (a 4.5-minute visit), whole ones above. */
  const minutes = (seconds) => {
    if (seconds == null) return "–";
    const value = seconds / 60;
    return format(text.minutes, {minutes: (value < 10 ? oneDecimal : whole).format(value)});
  };

  const chosenInAddress = () => (new URLSearchParams(window.location.search).get("ids") || "")
    .split(",").filter((part) => /^\d+$/.test(part));

  function remember(ids) {
    const address = new URL(window.location.href);
    if (ids.length) address.searchParams.set("ids", ids.join(","));
    else address.searchParams.delete("ids");
    window.history.replaceState(null, "", address);
    const csv = new URLSearchParams({lang: config.lang});
    if (ids.length) csv.set("ids", ids.join(","));
    if (config.office) csv.set("office", config.office);
    $("csv-link").href = `/api/v1/admin/events/stats.csv?${csv}`;
  }

  function cells(figures) {
    return [...COUNTS.map((name) => el("td", {class: "num", "data-figure": name}, whole.format(figures[name]))),
            ...TIMES.map((name) => el("td", {class: "num", "data-figure": name}, minutes(figures[name])))];
  }

  function renderChoices(choices, shown) {
    const picked = new Set(shown.map(String));
    $("choices-empty").hidden = choices.length > 0;
    $("event-choices").replaceChildren(...choices.map((choice) => {
      const id = `event-${choice.id}`;
      return el("li", {},
        el("input", {type: "checkbox", id, name: "ids", value: choice.id, checked: picked.has(String(choice.id))}),
        el("label", {for: id}, `${day(choice.day)}: ${choice.title}`,
           choice.status === "cancelled" ? el("span", {class: "pill pill-off"}, text.cancelledEvent) : null));
    }));
  }

  function renderTable(events) {
    const table = $("stats-table");
    table.querySelectorAll("tbody").forEach((body) => body.remove());
    $("stats-empty").hidden = events.length > 0;
    table.hidden = events.length === 0;
    events.forEach((event) => {
      const heading = el("tr", {class: "event-row"},
        el("th", {scope: "rowgroup", colspan: 1 + COUNTS.length + TIMES.length, id: `event-head-${event.id}`},
           event.title, " ",
           el("span", {class: "event-when"}, format(text.eventHours, {day: day(event.day), opens: event.opens,
                                                                         closes: event.closes})),
           event.status === "cancelled" ? el("span", {class: "pill pill-off"}, text.cancelledEvent) : null,
           event.over ? null : el("span", {class: "flag"}, text.stillOpen)));
      const rows = event.services.map((service) => el("tr", {"data-event": event.id, "data-service": service.code},
        el("th", {scope: "row"}, service.name), ...cells(service)));
      if (!rows.length) rows.push(el("tr", {}, el("td", {colspan: 1 + COUNTS.length + TIMES.length, class: "hint"},
                                                   text.noServices)));
      const total = el("tr", {class: "total-row", "data-event": event.id, "data-service": ""},
        el("th", {scope: "row"}, text.total), ...cells(event.total));
      table.append(el("tbody", {"data-event": event.id}, heading, ...rows, total));
    });
  }

  async function load(ids) {
    try {
      const answer = await api("GET", "/api/v1/admin/events/stats", undefined, ids.length ? {ids: ids.join(",")} : {});
      clearMessages();
      const shown = answer.events.map((event) => event.id);
      renderChoices(answer.choices, shown);
      renderTable(answer.events);
      if (!answer.choices.length) $("stats-empty").hidden = true;   // "no events yet" says it all
      remember(ids.length ? ids : shown.map(String));
    } catch (failure) {
      fail(failure);
    }
  }

  $("pick-form").addEventListener("submit", (submitted) => {
    submitted.preventDefault();
    const ids = [...document.querySelectorAll("#event-choices input:checked")].map((box) => box.value);
    if (!ids.length) {
      window.Admin.showError(text.pickOne);
      return;
    }
    load(ids);
  });

  load(chosenInAddress());
})();
