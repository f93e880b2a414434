/* Back office, Services: the office's set-up (GET /api/v1/admin/office) and its services: add,
 * edit (names in every language side by side, weekly hours, walk-in, only at events, limits, the
 * online booking schedule), switch off and on.
 *
 * Loads the set-up for the whole page and hands it to windows.js with an "office-loaded" event;
 * Admin.reloadOffice() loads it again after any change.
 */
(() => {
  "use strict";

  const {api, fail, format, showStatus, clearMessages, clearFields, readForm, fillForm, compact, el, confirm,
         sendAsking, text, $} = window.Admin;
  const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  // What a service's PUT takes (its code is in the address; `active` and `waiting` are only shown).
  const EDITABLE = ["prefix", "names", "number_digits", "average_service_minutes", "daily_limit",
                    "last_ticket_minutes_before_close", "walk_in", "event_only", "hours", "booking"];
  const dialog = $("service-dialog");
  const form = $("service-form");
  const bookable = $("service-bookable");
  const bookingFields = $("service-booking");
  let office = null;
  let editing = null;   // the service being edited, or null for a new one

  const name = (names) => (names ? names[window.Admin.config.lang] || names.en || Object.values(names)[0] : "");
  const ranges = (value) => (Array.isArray(value) ? value : String(value || "").split(",")).map((r) => r.trim())
    .filter(Boolean);

  /* One line per run of weekdays with the same hours: "Mon 10:00-17:30", "Tue–Fri 08:00-15:00". */
  function hoursSummary(hours) {
    const runs = [];
    WEEKDAYS.forEach((day) => {
      const shown = ranges(hours && hours[day]).join(", ");
      const last = runs[runs.length - 1];
      if (shown && last && last.shown === shown && last.end === WEEKDAYS.indexOf(day) - 1) {
        last.end += 1;
      } else if (shown) {
        runs.push({start: WEEKDAYS.indexOf(day), end: WEEKDAYS.indexOf(day), shown});
      }
    });
    if (!runs.length) return el("span", {class: "hint"}, text.closedAllWeek);
    const label = (run) => text.dayShort[WEEKDAYS[run.start]]
      + (run.end > run.start ? `–${text.dayShort[WEEKDAYS[run.end]]}` : "");
    return el("ul", {class: "hours-summary"}, runs.map((run) =>
      el("li", {}, el("span", {class: "day"}, label(run)), " ", run.shown)));
  }

  async function load() {
    try {
      office = await api("GET", "/api/v1/admin/office");
    } catch (failure) {
      fail(failure);
      return;
    }
    render();
    document.dispatchEvent(new CustomEvent("office-loaded", {detail: office}));
  }

  function render() {
    $("service-rows").replaceChildren(...office.services.map((service) => {
      const on = service.active !== false;
      return el("tr", {"data-service": service.code, class: on ? null : "is-off"},
        el("td", {class: "ticket-cell"}, service.code),
        el("th", {scope: "row"}, name(service.names),
           service.walk_in === false ? el("span", {class: "pill pill-off"}, text.bookedOnly) : null,
           service.booking ? el("span", {class: "pill"}, text.bookable) : null,
           service.event_only ? el("span", {class: "pill"}, text.eventOnly) : null),
        el("td", {}, hoursSummary(service.hours)),
        el("td", {class: "num"}, service.daily_limit == null ? text.noLimit : service.daily_limit),
        el("td", {}, on ? text.on : el("span", {class: "pill pill-off"}, text.off),
           service.waiting ? el("span", {class: "hint"}, " · ", format(text.waitingNow, {count: service.waiting})) : null),
        el("td", {class: "actions"},
          el("button", {type: "button", class: "button", onclick: () => open(service),
                        "aria-label": `${text.edit} ${service.code}`}, text.edit),
          on ? el("button", {type: "button", class: "button button-danger", onclick: () => switchOff(service)},
                  text.switchOff)
             : el("button", {type: "button", class: "button", onclick: () => switchOn(service)}, text.switchOn)));
    }));
  }

  function open(service) {
    editing = service;
    const values = service || {walk_in: true, number_digits: (office && office.office.number_digits) || 3, names: {}, hours: {}};
    $("service-dialog-title").textContent = service ? format(text.editService, {code: service.code}) : text.addService;
    fillForm(form, values);
    bookable.checked = Boolean(values.booking);
    bookingFields.disabled = !bookable.checked;
    form.elements.code.readOnly = Boolean(service);
    dialog.showModal();
    if (service) form.elements.prefix.focus();   // the code cannot change: start at what can
  }

  /* The booking schedule as the API takes it, or null (not bookable online): what is left empty
   * takes its default, a weekday without ranges has no slots. */
  function schedule(values) {
    if (!bookable.checked || !values) return null;
    const days = Object.fromEntries(Object.entries(values.days || {}).filter(([, ranges]) => ranges.length));
    const bring = Object.fromEntries(Object.entries(values.what_to_bring || {}).filter(([, line]) => line));
    return compact({...values, days, what_to_bring: Object.keys(bring).length ? bring : null,
                    release_mode: values.release_mode || null, case_number: values.case_number || null});
  }

  /* The form as the API takes it: every weekday's ranges ([] closed), no limit as null. */
  function body() {
    const values = readForm(form);
    values.booking = schedule(values.booking);
    const service = compact({...values, daily_limit: undefined});
    service.daily_limit = values.daily_limit;
    if (!editing) return service;
    service.booking = values.booking;   // null: no longer bookable online
    delete service.code;
    return Object.fromEntries(Object.entries(service).filter(([key]) => EDITABLE.includes(key)));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    clearFields(form);
    const service = body();
    const code = editing ? editing.code : service.code;
    try {
      if (editing) {
        const path = `/api/v1/admin/services/${encodeURIComponent(code)}`;
        if (!await sendAsking((confirmed) => api("PUT", path, confirmed ? {...service, confirm: true} : service))) return;
      } else {
        await api("POST", "/api/v1/admin/services", service);
      }
      dialog.close();
      showStatus(format(text.serviceSaved, {code}));
      await load();
    } catch (failure) {
      fail(failure, form);
    }
  });

  /* Switching off a service asks first where people wait today (409 service_has_waiting: their
   * tickets would be cancelled) or booked visits lose their slot (bookings_cut_off, sendAsking). */
  async function switchOff(service, confirmed) {
    clearMessages();
    const path = `/api/v1/admin/services/${encodeURIComponent(service.code)}/switch-off`;
    try {
      if (!await sendAsking((sure) => api("POST", path, {confirm: Boolean(confirmed || sure)}))) return;
      showStatus(format(text.switchedOff, {code: service.code}));
      await load();
    } catch (failure) {
      if (failure.code === "service_has_waiting" && !confirmed && await confirm(failure.message, text.switchOff)) {
        await switchOff(service, true);
        return;
      }
      if (failure.code !== "service_has_waiting" || confirmed) fail(failure);
    }
  }

  async function switchOn(service) {
    clearMessages();
    try {
      await api("POST", `/api/v1/admin/services/${encodeURIComponent(service.code)}/switch-on`, {});
      showStatus(format(text.switchedOn, {code: service.code}));
      await load();
    } catch (failure) {
      fail(failure);
    }
  }

  bookable.addEventListener("change", () => {
    bookingFields.disabled = !bookable.checked;
    if (bookable.checked) bookingFields.querySelector("input").focus();
  });
  $("add-service").addEventListener("click", () => open(null));
  window.Admin.reloadOffice = load;
  window.Admin.displayName = name;
  load();
})();
