/* Okienko clerk console, the ticket in hand: its number, status and timer, the visitor's language,
 * and for a booked visit who booked it, with the check of the document the visitor hands over
 * (POST /api/v1/tickets/{id}/document-check). render() takes each window state from the server and
 * hands on to the queues (queues.js) and the buttons (actions.js).
 */
(() => {
  "use strict";

  const Console = window.Console;
  const {config, text, view, buttons, seat, api, serverNow, handleFailure} = Console;
  const TICK_MS = 1000;

  let checkedTicket = null;  // the ticket whose document check is shown

  function duration(milliseconds) {
    const total = Math.max(0, Math.floor(milliseconds / 1000));
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = String(total % 60).padStart(2, "0");
    return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
  }

  function clockTime(iso) {
    if (!iso) return "";
    // The server sends office-local time with its offset; show the wall-clock part as it is.
    const match = /T(\d{2}:\d{2})/.exec(iso);
    return match ? match[1] : "";
  }

  // A date of birth to compare with a document: the month in words, never 04/12 read either way.
  const birthDateFormat = new Intl.DateTimeFormat(config.lang, {dateStyle: "long", timeZone: "UTC"});

  function birthDate(iso) {
    const [year, month, day] = (iso || "").split("-").map(Number);
    return year && month && day ? birthDateFormat.format(Date.UTC(year, month - 1, day)) : (iso || "");
  }

  // ---- the window state ------------------------------------------------------------------

  function render(windowState) {
    seat.state = windowState;
    seat.stateAt = Date.now();
    const ticket = windowState.ticket;
    view.pausedBanner.hidden = !windowState.paused;
    view.desk.classList.toggle("is-paused", windowState.paused);
    view.pauseLabel.textContent = windowState.paused ? text.resume : text.pause;
    buttons.pause.setAttribute("aria-pressed", String(windowState.paused));

    view.empty.hidden = Boolean(ticket);
    view.ticket.hidden = !ticket;
    if (ticket) {
      view.ticket.dataset.status = ticket.status;
      view.ticketStatus.textContent = ticket.status === "serving" ? text.statusServing : text.statusCalled;
      view.ticketStatus.className = `status-pill status-${ticket.status}`;
      view.ticketPriority.hidden = !ticket.priority;
      view.ticketPriority.textContent = ticket.priority
        ? `${ticket.priority.mark ? `${ticket.priority.mark} ` : ""}${ticket.priority.name}` : "";
      view.ticketNumber.textContent = ticket.number;
      view.ticketService.textContent = ticket.service_name;
      view.calledAt.textContent = clockTime(ticket.called_at);
      view.timerLabel.textContent = ticket.status === "serving" ? text.servingFor : text.sinceCalled;
      view.recalls.textContent = String(ticket.recalls || 0);
      // The visitor's language, named in itself (as they would recognise it), to greet them in it.
      view.ticketLanguage.textContent = ticket.language_name || ticket.language || "";
      view.ticketLanguage.lang = ticket.language || "";
    }
    renderBooking(ticket ? ticket.booking : null);
    tick();
    Console.renderQueues();
    Console.renderButtons();
  }

  // Since the call, or since serving began: by the server's clock, second by second.
  function tick() {
    const ticket = seat.state && seat.state.ticket;
    if (!ticket || view.desk.hidden) return;
    const since = Date.parse(ticket.status === "serving" ? ticket.started_at : ticket.called_at);
    view.timer.textContent = Number.isNaN(since) ? "" : duration(serverNow() - since);
  }

  // ---- a booked visit --------------------------------------------------------------------

  function renderBooking(booking) {
    view.booking.hidden = !booking;
    view.ticket.classList.toggle("is-booked", Boolean(booking));
    view.bookingName.textContent = booking ? booking.name : "";
    view.bookingBirthDate.textContent = booking ? birthDate(booking.birth_date) : "";
    // The issuing country beside the number, where the visitor gave it: the clerk compares both.
    view.bookingDocument.textContent = booking
      ? [booking.document, booking.document_country].filter(Boolean).join(" · ") : "";
    view.bookingStartsAt.textContent = booking ? clockTime(booking.starts_at) : "";
    // A new visitor in hand: the last one's check and number go.
    const ticketId = booking && seat.state && seat.state.ticket ? seat.state.ticket.id : null;
    if (ticketId !== checkedTicket) {
      checkedTicket = ticketId;
      view.checkNumber.value = "";
      view.checkCountry.hidden = !(booking && booking.document_country);
      view.checkCountry.value = booking && booking.document_country ? booking.document_country : "";
      showCheck(null, "");
    }
  }

  // ---- the document check ----------------------------------------------------------------

  function showCheck(matched, message) {
    view.checkResult.hidden = !message;
    view.checkResult.textContent = message;
    view.checkResult.classList.toggle("is-match", matched === true);
    view.checkResult.classList.toggle("is-mismatch", matched === false);
  }

  async function checkDocument() {
    const number = view.checkNumber.value.trim();
    const ticket = seat.state && seat.state.ticket;
    if (!ticket || !ticket.booking) return;
    if (!number) {
      showCheck(null, text.typeDocument);
      view.checkNumber.focus();
      return;
    }
    view.checkSubmit.disabled = true;
    try {
      const answer = await api("POST", `/api/v1/tickets/${encodeURIComponent(ticket.id)}/document-check`,
                               {document_number: number,
                                document_country: view.checkCountry.hidden ? "" : view.checkCountry.value});
      if (checkedTicket === ticket.id) showCheck(answer.matched, answer.message);
    } catch (failure) {
      handleFailure(failure);
    } finally {
      view.checkSubmit.disabled = false;
      view.checkNumber.select();  // the next scan replaces it
    }
  }

  view.checkForm.addEventListener("submit", (event) => {
    event.preventDefault();  // Enter (a scanner ends with it) or the button
    checkDocument();
  });
  // A result belongs to the number it was given for: typing or choosing another country clears it.
  view.checkNumber.addEventListener("input", () => showCheck(null, ""));
  view.checkCountry.addEventListener("change", () => showCheck(null, ""));

  setInterval(tick, TICK_MS);

  Object.assign(Console, {render, tick});
})();
