/* Okienko call centre: free times of a service and booking a caller (POST /api/v1/call-centre/bookings). */
(() => {
  "use strict";

  const cc = window.CallCentre;
  const {$, text, format} = cc;
  const search = $("slot-search");
  const caller = $("caller");
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
    chosen = slot;
    const service = $("book-service").selectedOptions[0].textContent;
    $("caller-slot").textContent = slot.draw ? format(text.drawChosen, {service, day: slot.day})
      : format(text.chosen, {service, when: cc.when(slot.start)});
    caller.hidden = false;
    $("caller-name").focus();
  }

  search.addEventListener("submit", (event) => {
    event.preventDefault();
    list();
  });

  caller.addEventListener("submit", async (event) => {
    event.preventDefault();
    cc.clearFields(caller);
    try {
      let answer;
      let lines;
      if (chosen.draw) {
        answer = await cc.api("POST", `/api/v1/call-centre/draws/${chosen.draw.id}/entries`, cc.values(caller));
        lines = [format(text.entered, {day: chosen.day, ticket: answer.ticket})];
      } else {
        const body = {...cc.values(caller), service: $("book-service").value, start: chosen.start};
        answer = await cc.api("POST", "/api/v1/call-centre/bookings", body);
        const booking = answer.booking;
        lines = [format(text.booked, {service: booking.service_name, when: cc.when(booking.start),
                                      code: booking.code})];
      }
      if (answer.sent_to.sms) lines.push(format(chosen.draw ? text.toldSms : text.sentSms, {phone: answer.sent_to.sms}));
      if (answer.sent_to.email) lines.push(format(text.sentEmail, {email: answer.sent_to.email}));
      $("book-done").textContent = lines.join(" ");
      $("book-done").hidden = false;
      cc.showStatus(lines[0]);
      caller.reset();
      caller.hidden = true;
      $("book-slots").replaceChildren();
    } catch (failure) {
      cc.fail(failure, caller);
    }
  });
})();
