/* Back office, Closures from a calendar: the office's closure calendars (their last fetch, its result,
 * fetch now, remove), the form that adds one (fetched at once), and the import of a one-off .ics file:
 * read in the browser, previewed (POST /api/v1/admin/closure-import/preview: the dates it changes and
 * whom it cuts off), imported only from that preview (POST /api/v1/admin/closure-import).
 */
(() => {
  "use strict";

  const {api, fail, format, showStatus, clearMessages, clearFields, readForm, el, day: dayInWords, when,
         confirm, text, $} = window.Admin;
  const STATUS = {new: "statusNew", ok: "statusOk", unchanged: "statusUnchanged"};
  const KIND = {ics: "kindIcs", caldav: "kindCaldav"};
  const CONTACT = {email: "email", "email+sms": "emailSms"};
  let importing = null;   // the file's text whose preview is shown: imported as it is

  async function load() {
    try {
      render((await api("GET", "/api/v1/admin/closure-calendars")).calendars);
    } catch (failure) {
      fail(failure);
    }
  }

  function result(calendar) {
    if (calendar.status === "error") return format(text.statusError, {error: calendar.error});
    return text[STATUS[calendar.status]] || calendar.status;
  }

  function render(calendars) {
    $("no-calendars").textContent = text.noCalendars;
    $("no-calendars").hidden = calendars.length > 0;
    $("calendars-table").hidden = calendars.length === 0;
    $("calendar-rows").replaceChildren(...calendars.map((calendar) => el("tr", {"data-id": calendar.id,
                                                                               class: `calendar-${calendar.status}`},
      el("th", {scope: "row"}, calendar.name),
      el("td", {}, calendar.host, el("br"), el("span", {class: "hint"}, text[KIND[calendar.kind]] || calendar.kind)),
      el("td", {}, calendar.polled_at ? when(calendar.polled_at) : text.never),
      el("td", {class: calendar.status === "error" ? "cell-error" : ""}, result(calendar)),
      el("td", {}, String(calendar.days)),
      el("td", {class: "actions"},
        el("button", {type: "button", class: "button", onclick: () => fetchNow(calendar)}, text.fetchNow),
        el("button", {type: "button", class: "button button-danger", onclick: () => remove(calendar)},
           text.remove)))));
  }

  function told(name, answer) {
    showStatus(format(text.fetched, {name, changed: answer.poll.changed.length, told: answer.poll.told}));
  }

  async function fetchNow(calendar) {
    clearMessages();
    try {
      const answer = await api("POST", `/api/v1/admin/closure-calendars/${calendar.id}/poll`);
      if (answer.poll.status !== "error") told(calendar.name, answer);
    } catch (failure) {
      fail(failure);
    }
    await load();
  }

  async function remove(calendar) {
    clearMessages();
    if (!await confirm(format(text.removeQuestion, {name: calendar.name}), text.remove)) return;
    try {
      const answer = await api("DELETE", `/api/v1/admin/closure-calendars/${calendar.id}`);
      showStatus(format(text.removed, {name: calendar.name, told: answer.told}));
    } catch (failure) {
      fail(failure);
    }
    await load();
  }

  $("calendar-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    const form = event.target;
    clearFields(form);
    const values = readForm(form);
    try {
      const answer = await api("POST", "/api/v1/admin/closure-calendars",
                               {name: values.name || "", url: values.url || "", kind: values.kind || "ics"});
      if (answer.poll.status !== "error") told(answer.calendar.name, answer);
      form.reset();
    } catch (failure) {
      fail(failure, form);
    }
    await load();
  });

  // ---- the one-off import ----------------------------------------------------------------

  function state(entry) {
    if (entry.kind === "weekly") return text.weekly;
    if (entry.kind === "holiday") return `${text.holiday}: ${entry.reason}`;
    const shown = entry.kind === "closed" || !entry.hours.length ? text.closedDay : entry.hours.join(", ");
    return entry.source ? `${shown} (${format(text.fromCalendar, {name: entry.source})})` : shown;
  }

  function showPlan(plan) {
    $("import-plan").hidden = false;
    $("plan-summary").textContent = plan.changes.length
      ? format(text.previewSummary, {changes: plan.changes.length, skipped: plan.skipped.length, count: plan.count})
      : text.nothingToImport;
    $("plan-table").hidden = plan.changes.length === 0;
    $("plan-rows").replaceChildren(...plan.changes.map((change) => el("tr", {"data-date": change.date},
      el("th", {scope: "row"}, dayInWords(change.date)),
      el("td", {}, state(change.before)),
      el("td", {}, state(change.after)),
      el("td", {}, change.after.reason || ""))));
    $("plan-affected-summary").textContent = plan.count ? format(text.affectedCount, {count: plan.count})
                                                        : text.nobodyAffected;
    $("plan-affected").hidden = plan.affected.length === 0;
    $("plan-affected-rows").replaceChildren(...plan.affected.map((person) => el("tr", {"data-code": person.code},
      el("td", {class: "ticket-cell"}, person.code),
      el("td", {}, when(person.starts_at)),
      el("th", {scope: "row"}, person.name),
      el("td", {}, person.service_name || person.service),
      el("td", {}, text[CONTACT[person.contact]] || person.contact || "–"))));
    $("import-apply").hidden = plan.changes.length === 0;
    $("import-apply").textContent = plan.count ? format(text.applyAndTell, {count: plan.count}) : text.apply;
    $("plan-title").focus();
  }

  $("import-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    const form = event.target;
    clearFields(form);
    const file = $("import-file").files[0];
    if (!file) {
      window.Admin.markField(form, "file", text.chooseFile);
      return;
    }
    try {
      importing = await file.text();
      showPlan(await api("POST", "/api/v1/admin/closure-import/preview", {ics: importing}));
    } catch (failure) {
      importing = null;
      $("import-plan").hidden = true;
      fail(failure, form);
    }
  });

  $("import-cancel").addEventListener("click", () => {
    importing = null;
    $("import-plan").hidden = true;
    $("import-file").focus();
  });

  $("import-apply").addEventListener("click", async () => {
    if (importing === null) return;
    clearMessages();
    try {
      const answer = await api("POST", "/api/v1/admin/closure-import", {ics: importing});
      importing = null;
      $("import-plan").hidden = true;
      $("import-form").reset();
      showStatus(format(text.imported, {changes: answer.changes.length, told: answer.told}));
    } catch (failure) {
      fail(failure);
    }
  });

  $("plan-title").tabIndex = -1;
  load();
})();
