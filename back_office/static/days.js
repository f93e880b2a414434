/* Back office, Days: the coming weeks with the days that differ from the weekly hours (closures,
 * public holidays, a date's own hours), and the form that changes one date: closed, other hours
 * or extra hours on a day normally closed, for every service or some, walk-in and/or booking.
 *
 * A change is shown first (POST .../preview: who it cuts off, when, how they are told); saved from
 * that list (PUT), it says how many people were told.
 */
(() => {
  "use strict";

  const {api, fail, format, showStatus, clearMessages, clearFields, readForm, el, day: dayInWords, localDate,
         text, $} = window.Admin;
  const WEEKS = 8;
  const form = $("day-form");
  let exceptions = new Map();   // "2026-12-05" -> the day as GET /api/v1/admin/days lists it
  let asked = null;             // the date and body whose effect is shown, saved as they are

  const addDays = (iso, count) => {
    const moment = new Date(`${iso}T12:00:00Z`);
    moment.setUTCDate(moment.getUTCDate() + count);
    return moment.toISOString().slice(0, 10);
  };
  const mondayOf = (iso) => addDays(iso, -((new Date(`${iso}T12:00:00Z`).getUTCDay() + 6) % 7));
  const today = localDate(new Date());
  const first = mondayOf(today);
  const last = addDays(first, WEEKS * 7 - 1);

  async function load() {
    try {
      const answer = await api("GET", "/api/v1/admin/days", undefined, {from: first, to: last});
      exceptions = new Map(answer.days.map((entry) => [entry.date, entry]));
    } catch (failure) {
      fail(failure);
    }
    render();
  }

  function describe(entry) {
    const parts = [];
    if (entry.kind === "holiday") parts.push(entry.reason || text.holiday);
    else if (entry.kind === "closed" || !entry.hours.length) parts.push(text.closedDay);
    else parts.push(entry.hours.join(", "));
    if (entry.services) parts.push(text.forSome);
    if (entry.walk_in === false) parts.push(text.bookingOnly);
    if (entry.booking === false) parts.push(text.walkInOnly);
    if (entry.bookings) parts.push(format(text.bookingsCount, {count: entry.bookings}));
    return parts;
  }

  function render() {
    const rows = [];
    for (let week = 0; week < WEEKS; week += 1) {
      rows.push(el("tr", {}, [...Array(7).keys()].map((weekday) => {
        const iso = addDays(first, week * 7 + weekday);
        const entry = exceptions.get(iso);
        const past = iso < today;
        return el("td", {class: ["day", entry ? `day-${entry.kind}` : "", past ? "day-past" : ""].join(" ").trim()},
          el("button", {type: "button", class: "day-button", "data-date": iso, disabled: past,
                        "aria-pressed": String(form.elements.date.value === iso), onclick: () => choose(iso)},
            el("span", {class: "day-date"}, dayInWords(iso, true), iso === today ? ` · ${text.today}` : ""),
            entry ? describe(entry).map((part) => el("span", {class: "day-note"}, part)) : null));
      })));
    }
    $("calendar-rows").replaceChildren(...rows);
  }

  function choose(iso) {
    clearMessages();
    clearFields(form);
    const entry = exceptions.get(iso);
    form.elements.date.value = iso;
    const closed = entry ? !entry.hours.length : false;
    $("day-closed").checked = closed;
    $("day-hours-kind").checked = !closed;
    form.elements.hours.value = entry && entry.hours.length ? entry.hours.join(", ") : "";
    form.elements.reason.value = entry && entry.own ? entry.reason || "" : "";
    const some = Boolean(entry && entry.services);
    $("day-some").checked = some;
    $("day-all").checked = !some;
    form.querySelectorAll('[name="services"]').forEach((box) => {
      box.checked = some && entry.services.includes(box.value);
    });
    $("day-walk-in").checked = entry ? entry.walk_in !== false : true;
    $("day-booking").checked = entry ? entry.booking !== false : true;
    $("day-remove").hidden = !(entry && entry.own);
    settle();
    $("day-title").textContent = format(text.editingDay, {day: dayInWords(iso)});
    render();
    (closed ? $("day-closed") : form.elements.hours).focus();
  }

  /* Hours only for an open day; the service list only for "only these". */
  function settle() {
    form.elements.hours.disabled = $("day-closed").checked;
    form.querySelectorAll('[name="services"]').forEach((box) => { box.disabled = !$("day-some").checked; });
  }

  /* The form as PUT /api/v1/admin/days/{date} takes it. */
  function body() {
    const values = readForm(form);
    return {
      hours: values.kind === "closed" ? [] : values.hours || [],
      services: values.scope === "some" ? values.services || [] : null,
      walk_in: values.walk_in, booking: values.booking, reason: values.reason,
    };
  }

  const CONTACT = {email: "email", sms: "sms", "email+sms": "emailSms"};

  function showAffected(iso, answer) {
    $("affected-day").textContent = dayInWords(iso);
    $("affected-summary").textContent = answer.count ? format(text.affectedCount, {count: answer.count})
                                                     : text.nobodyAffected;
    $("affected-table").hidden = answer.affected.length === 0;
    $("affected-rows").replaceChildren(...answer.affected.map((person) => el("tr", {"data-code": person.code},
      el("td", {class: "ticket-cell"}, person.code),
      el("td", {}, window.Admin.when(person.starts_at, "time")),
      el("th", {scope: "row"}, person.name),
      el("td", {}, person.service_name || person.service),
      el("td", {}, text[CONTACT[person.contact]] || person.contact || "–"))));
    $("day-save").textContent = answer.count ? format(text.saveAndTell, {count: answer.count}) : text.save;
    $("affected-dialog").returnValue = "";
    $("affected-dialog").showModal();
  }

  /* Nothing is saved before the manager has seen who the change cuts off (POST .../preview);
   * "Save" in that list saves exactly what was shown. */
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    clearFields(form);
    const iso = form.elements.date.value;
    if (!iso) {
      window.Admin.markField(form, "date", text.chooseDay);
      return;
    }
    asked = {iso, body: body()};
    try {
      showAffected(iso, await api("POST", `/api/v1/admin/days/${iso}/preview`, asked.body));
    } catch (failure) {
      fail(failure, form);
    }
  });

  $("affected-dialog").addEventListener("close", async () => {
    if ($("affected-dialog").returnValue !== "save" || !asked) return;
    const {iso, body: saved} = asked;
    try {
      const answer = await api("PUT", `/api/v1/admin/days/${iso}`, saved);
      await load();
      choose(iso);
      showStatus(format(text.saved, {count: answer.told}));
    } catch (failure) {
      fail(failure, form);
    }
  });

  $("day-remove").addEventListener("click", async () => {
    const iso = form.elements.date.value;
    if (!await window.Admin.confirm(format(text.removeQuestion, {day: dayInWords(iso)}), $("day-remove").textContent)) {
      return;
    }
    try {
      const answer = await api("DELETE", `/api/v1/admin/days/${iso}`);
      await load();
      choose(iso);
      showStatus(format(text.removed, {day: dayInWords(iso), count: answer ? answer.told : 0}));
    } catch (failure) {
      fail(failure);
    }
  });

  settle();
  load();
})();
