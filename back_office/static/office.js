/* Back office, Office and booking rules: the office's own settings ([office] of the office file)
 * and the rules of online booking for all its services ([office.booking]).
 *
 * A rule left empty keeps its default (shown beside it), and the office file stays as short as the
 * manager left it: a rule is only written when it was written before or differs from its default.
 */
(() => {
  "use strict";

  const {api, fail, format, showStatus, clearMessages, clearFields, readForm, fillForm, confirm, sendAsking, text,
         $} = window.Admin;
  const OFFICE_KEYS = ["name", "timezone", "default_language", "priority_mode", "transfer_position",
                       "recalls_before_no_show", "number_digits", "closed_on_public_holidays", "ticket_footer",
                       "booking", "board_languages"];
  const DEFAULTS = JSON.parse($("booking-defaults").textContent);
  const form = $("office-form");
  let stored = null;   // the office's settings as last loaded

  async function load() {
    try {
      stored = (await api("GET", "/api/v1/admin/office")).office;
    } catch (failure) {
      fail(failure);
      return;
    }
    // Choices and switches show their default when unset; number rules stay empty (their default is beside them).
    const shown = Object.fromEntries(Object.entries(DEFAULTS).filter(([, value]) => typeof value !== "number"));
    fillForm(form, {number_digits: 3, ...stored, booking: {...shown, ...stored.booking}});
  }

  /* The rules to store: each one the manager set, without those that only repeat a default. */
  function rules(values) {
    const before = stored.booking || {};
    const same = (value, key) => JSON.stringify(value) === JSON.stringify(DEFAULTS[key]);
    return Object.fromEntries(Object.entries(values || {}).filter(([key, value]) =>
      value !== null && (value !== "" || key === "quiet_hours") && (key in before || !same(value, key))));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    clearFields(form);
    const values = readForm(form);
    const changes = Object.fromEntries(OFFICE_KEYS.map((key) => [key, values[key]]));
    // Hours as numbers ("24, 2" -> [24, 2]); a word stays as it is, for the server to name it.
    values.booking.reminders = (values.booking.reminders || []).map((hours) => (/^\d+$/.test(hours) ? Number(hours) : hours));
    changes.booking = rules(values.booking);
    if (changes.recalls_before_no_show === null) delete changes.recalls_before_no_show;
    if (changes.timezone !== stored.timezone
        && !await confirm(format(text.timezoneQuestion, {old: stored.timezone, new: changes.timezone}),
                          text.timezoneChange)) {
      return;
    }
    try {
      if (!await sendAsking((confirmed) => api("PUT", "/api/v1/admin/office",
                                                confirmed ? {...changes, confirm: true} : changes))) {
        return;
      }
      showStatus(text.officeSaved);
      await load();
    } catch (failure) {
      fail(failure, form);
    }
  });

  load();
})();
