/* Back office, Events: information Saturdays and other special days (GET /api/v1/admin/events):
 * the list, newest date first, with each event's state and bookings; the form that adds a draft or
 * changes an event (titles and descriptions in every language side by side, 24-hour times, the
 * office's event-only services, when booking opens); publish and cancel, each asked first.
 *
 * A change to a published event, and a cancellation, is first sent as a preview (nothing is kept):
 * the question says how many people will be told, and only then is it sent for real.
 */
(() => {
  "use strict";

  const {api, fail, format, showStatus, clearMessages, clearFields, readForm, fillForm, el, confirm, text,
         day: dayInWords, $} = window.Admin;
  const lang = window.Admin.config.lang;
  const serviceNames = JSON.parse($("service-names").textContent);
  const form = $("event-form");
  let events = [];
  let eventOnly = [];
  let editing = null;   // the event being changed, or null for a new one

  const serviceName = (code) => {
    const names = serviceNames[code] || {};
    return `${code} · ${names[lang] || names.pl || code}`;
  };
  const title = (event) => event.titles[lang] || event.titles.pl || Object.values(event.titles)[0] || "";
  const hhmm = (iso) => window.Admin.when(iso, "time");
  const localDay = (iso) => window.Admin.localDate(new Date(iso));

  async function load() {
    try {
      const answer = await api("GET", "/api/v1/admin/events");
      events = answer.events;
      eventOnly = answer.event_only_services;
    } catch (failure) {
      fail(failure);
    }
    render();
  }

  function render() {
    $("no-events").hidden = events.length > 0;
    $("no-events").textContent = text.noEvents;
    $("events-table").hidden = events.length === 0;
    $("event-rows").replaceChildren(...events.map((event) => {
      const open = event.status !== "cancelled";
      return el("tr", {"data-event": event.id, "data-date": event.date, class: open ? null : "is-off"},
        el("td", {}, dayInWords(event.date),
           event.warnings.includes("not_saturday") ? el("span", {class: "pill pill-off"}, text.notSaturday) : null),
        el("td", {}, `${event.opens}–${event.closes}`),
        el("th", {scope: "row"}, title(event)),
        el("td", {}, event.services.join(", ") || "–"),
        el("td", {}, event.booking_opens_at ? window.Admin.when(event.booking_opens_at) : text.walkInOnly),
        el("td", {}, el("span", {class: event.status === "published" ? "pill" : "pill pill-off"}, text[event.status])),
        el("td", {class: "num"}, event.bookings),
        el("td", {class: "actions"},
          open ? el("button", {type: "button", class: "button", onclick: () => edit(event),
                               "aria-label": `${window.Admin.text.edit}: ${dayInWords(event.date)}`},
                    window.Admin.text.edit) : null,
          event.status === "draft" ? el("button", {type: "button", class: "button button-primary",
                                                   onclick: () => publish(event)}, text.publish) : null,
          open ? el("button", {type: "button", class: "button button-danger", onclick: () => cancelEvent(event)},
                    text.cancelEvent) : null));
    }));
    renderServices();
  }

  function renderServices() {
    const chosen = editing ? editing.services : [];
    const codes = [...new Set([...eventOnly, ...chosen])];
    const list = $("event-services");
    if (!codes.length) {
      list.replaceChildren(el("li", {class: "hint"}, text.noEventServices));
      return;
    }
    const checked = new Set(readForm(form).services || chosen);
    list.replaceChildren(...codes.map((code, index) => el("li", {},
      el("input", {type: "checkbox", id: `event-service-${index}`, name: "services", value: code, "data-group": true,
                   checked: checked.has(code)}),
      el("label", {for: `event-service-${index}`}, serviceName(code)))));
  }

  function edit(event, focus = true) {
    clearMessages();
    editing = event;
    $("event-form-title").textContent = event ? format(text.editEvent, {day: dayInWords(event.date)}) : text.addEvent;
    $("event-new").hidden = !event;
    fillForm(form, event ? {...event, booking_opens_at: event.booking_opens_at ? localDay(event.booking_opens_at) : "",
                            booking_opens_time: event.booking_opens_at ? hhmm(event.booking_opens_at) : ""}
                         : {opens: "08:00", closes: "15:00", titles: {}, descriptions: {}});
    renderServices();
    form.querySelectorAll('[name="services"]').forEach((box) => {
      box.checked = Boolean(event && event.services.includes(box.value));
    });
    if (focus) form.elements.date.focus();
  }

  /* The form as the API takes it; booking opens at the office's wall time (no offset). */
  function body() {
    const values = readForm(form);
    const opensDay = values.booking_opens_at;
    return {
      date: values.date, opens: values.opens, closes: values.closes,
      titles: values.titles || {}, descriptions: values.descriptions || {}, services: values.services || [],
      booking_opens_at: opensDay ? `${opensDay}T${values.booking_opens_time || "00:00"}` : null,
    };
  }

  const outcomes = (answer, outcome) => answer.affected.filter((person) => person.outcome === outcome).length;

  form.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    clearMessages();
    clearFields(form);
    const sent = body();
    try {
      let answer;
      if (!editing) {
        answer = await api("POST", "/api/v1/admin/events", sent);
        showStatus(format(answer.warnings.includes("not_saturday") ? text.notSaturdayWarning : text.created,
                          {day: dayInWords(answer.event.date)}));
      } else {
        const path = `/api/v1/admin/events/${editing.id}`;
        if (editing.status === "published") {
          const preview = await api("PUT", path, {...sent, preview: true});
          if (preview.told && !await confirm(format(text.changeQuestion, {
            count: preview.told, moved: outcomes(preview, "moved"), cut: outcomes(preview, "cut_off")}),
          text.saveAndTell)) {
            return;
          }
        }
        answer = await api("PUT", path, sent);
        showStatus(format(answer.warnings.includes("not_saturday") ? text.notSaturdayWarning : text.saved,
                          {day: dayInWords(answer.event.date), count: answer.told}));
      }
      editing = null;
      await load();
      edit(null);
    } catch (failure) {
      fail(failure, form);
    }
  });

  async function publish(event) {
    clearMessages();
    if (!await confirm(format(text.publishQuestion, {day: dayInWords(event.date)}), text.publish)) return;
    try {
      await api("POST", `/api/v1/admin/events/${event.id}/publish`);
      showStatus(format(text.publishedNow, {day: dayInWords(event.date)}));
      await load();
    } catch (failure) {
      fail(failure);
    }
  }

  async function cancelEvent(event) {
    clearMessages();
    try {
      const preview = await api("POST", `/api/v1/admin/events/${event.id}/cancel`, {preview: true});
      const question = preview.told ? text.cancelQuestion : text.cancelNobody;
      if (!await confirm(format(question, {day: dayInWords(event.date), count: preview.told}), text.cancelEvent)) {
        return;
      }
      const answer = await api("POST", `/api/v1/admin/events/${event.id}/cancel`, {});
      showStatus(format(text.cancelledNow, {day: dayInWords(event.date), count: answer.told}));
      if (editing && editing.id === event.id) edit(null);
      await load();
    } catch (failure) {
      fail(failure);
    }
  }

  $("add-event").addEventListener("click", () => edit(null));
  $("event-new").addEventListener("click", () => edit(null));
  load().then(() => edit(null, false));
})();
