/* Okienko call centre: free times of a service and booking a caller (POST /api/v1/call-centre/bookings),
 * or entering them into the day's open draw with their preferred times
 * (POST /api/v1/call-centre/draws/{id}/entries); then the receipt the operator reads out. */
(() => {
  "use strict";

  const cc = window.CallCentre;
  const {$, text, format, config} = cc;
  const search = $("slot-search");
  const caller = $("caller");
  const MAX_RANGES = 3;
  let chosen = null;

  async function list() {
    $("book-done").hidden = true;
    try {
      cc.showStatus(text.loading);
      const listing = await cc.freeTimes($("book-service").value, $("book-from").value);
      cc.showStatus("");
      cc.showSlots($("book-slots"), listing, choose);
    } catch (failure) {
      cc.fail(failure, search);
    }
  }

  function choose(slot) {
    chosen = {...slot, service: $("book-service").value,
              serviceName: $("book-service").selectedOptions[0].textContent};
    $("caller-slot").textContent = slot.draw ? format(text.drawChosen, {service: chosen.serviceName, day: slot.day})
      : format(text.chosen, {service: chosen.serviceName, when: cc.when(slot.start)});
    $("preferences").hidden = !slot.draw;
    preferencesError("");
    caller.hidden = false;
    $("book-done").hidden = true;
    $("caller-name").focus();
  }

  /* The preferred times as the API takes them: [] for any time; null (and the problem shown) when wrong. */
  function readRanges() {
    if (!$("preference-ranges").checked) return [];
    const ranges = [];
    for (let number = 1; number <= MAX_RANGES; number += 1) {
      const from = $(`range-${number}-from`).value;
      const to = $(`range-${number}-to`).value;
      if (!from && !to) continue;
      if (!from || !to || to <= from) {
        preferencesError(text.badRange);
        return null;
      }
      ranges.push({from, to});
    }
    if (!ranges.length) {
      preferencesError(text.noRange);
      return null;
    }
    return ranges;
  }

  function preferencesError(message) {
    const box = $("preferences");
    $("preferences-error").textContent = message || "";
    box.classList.toggle("has-error", Boolean(message));
    box.querySelectorAll('input[type="time"]').forEach((input) => {
      if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    });
    if (message) $("range-1-from").focus();
  }

  const rangesInWords = (ranges) => (ranges.length
    ? ranges.map((range) => format(text.range, range)).join(text.then) : text.receiptAnyTime);

  /* A moment, or a plain date, in words in the page's language and the office's time zone. */
  const inWords = (iso) => new Intl.DateTimeFormat(config.lang, {dateStyle: "full", timeStyle: "short",
                                                                 hourCycle: "h23", timeZone: config.timezone}).format(new Date(iso));
  const dayInWords = (isoDate) => new Intl.DateTimeFormat(config.lang, {dateStyle: "full", timeZone: "UTC"})
    .format(new Date(`${isoDate}T00:00:00Z`));
  const timeInWords = (iso) => new Intl.DateTimeFormat(config.lang, {dateStyle: "medium", timeStyle: "short",
                                                                     hourCycle: "h23", timeZone: config.timezone}).format(new Date(iso));

  function line(label, value, kind) {
    const paragraph = document.createElement("p");
    if (label) {
      const strong = document.createElement("strong");
      strong.textContent = `${label}: `;
      paragraph.append(strong);
    }
    const span = document.createElement("span");
    if (kind) span.className = kind;
    span.textContent = value;
    paragraph.append(span);
    return paragraph;
  }

  function messageLines(sentTo, drawn) {
    const lines = [];
    if (sentTo.sms) lines.push(line("", format(drawn ? text.receiptDrawSms : text.receiptSms, {phone: sentTo.sms})));
    if (sentTo.email) lines.push(line("", format(text.receiptEmail, {email: sentTo.email})));
    if (!lines.length) lines.push(line("", text.receiptNoMessage));
    return lines;
  }

  function bookingReceipt(booking, sentTo) {
    const code = booking.code;
    return [
      line("", format(text.booked, {service: booking.service_name, when: cc.when(booking.start), code})),
      line(text.receiptCode, code, "receipt-code"),
      line("", format(text.receiptSpelled, {letters: code.split("").join(" · ")})),
      line(text.receiptWhen, inWords(booking.start)),
      line(text.receiptService, booking.service_name),
      ...(booking.what_to_bring ? [line(text.receiptBring, booking.what_to_bring)] : []),
      line("", format(text.receiptDocument, {end: booking.person.document.slice(-2)})),
      line("", text.receiptCheckIn),
      ...messageLines(sentTo, false),
    ];
  }

  function drawReceipt(answer, ranges) {
    const bring = (config.bring || {})[chosen.service];
    return [
      line("", format(text.entered, {day: chosen.day, ticket: answer.ticket})),
      line(text.receiptDrawDay, `${chosen.serviceName}, ${dayInWords(chosen.day)}`),
      line(text.receiptTimes, rangesInWords(ranges)),
      line("", format(text.receiptResult, {closes: timeInWords(chosen.draw.closes_at)})),
      ...(bring ? [line(text.receiptIfDrawn, bring)] : []),
      ...messageLines(answer.sent_to, true),
      line(text.receiptTicket, answer.ticket, "receipt-ticket"),
    ];
  }

  search.addEventListener("submit", (event) => {
    event.preventDefault();
    list();
  });

  document.querySelectorAll('input[name="preference_kind"]').forEach((radio) => radio.addEventListener("change", () => {
    $("ranges").hidden = !$("preference-ranges").checked;
    preferencesError("");
  }));

  caller.addEventListener("submit", async (event) => {
    event.preventDefault();
    cc.clearFields(caller);
    const details = cc.values(caller);
    delete details.preference_kind;
    try {
      let lines;
      if (chosen.draw) {
        const ranges = readRanges();
        if (ranges === null) return;
        preferencesError("");
        const answer = await cc.api("POST", `/api/v1/call-centre/draws/${chosen.draw.id}/entries`,
                                    {...details, preferences: ranges});
        lines = drawReceipt(answer, ranges);
      } else {
        const body = {...details, service: chosen.service, start: chosen.start};
        const answer = await cc.api("POST", "/api/v1/call-centre/bookings", body);
        lines = bookingReceipt(answer.booking, answer.sent_to);
      }
      $("receipt-lines").replaceChildren(...lines);
      $("book-done").hidden = false;
      cc.showStatus(lines[0].textContent);
      caller.reset();
      caller.hidden = true;
      $("ranges").hidden = true;
      $("book-slots").replaceChildren();
      $("book-done").focus();
    } catch (failure) {
      if (failure.code === "bad_preferences") {
        preferencesError(failure.message);
        return;
      }
      cc.fail(failure, caller);
    }
  });
})();
