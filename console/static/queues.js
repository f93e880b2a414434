/* Okienko clerk console, the queues at this window: how many wait for each service and for how
 * long, and the waiting numbers in the order this window calls them; choosing a number calls that
 * visitor now, out of turn (POST /api/v1/windows/{number}/call).
 */
(() => {
  "use strict";

  const Console = window.Console;
  const {config, text, view, seat, format, api, windowPath, showStatus, handleFailure, setBusy} = Console;
  // "Longest wait" keeps growing while no new window state comes: the server's minutes plus the time since.
  const LONGEST_WAIT_TICK_MS = 30000;
  const LONG_WAIT_MINUTES = 30;

  function renderQueues() {
    const state = seat.state;
    if (!state) return;
    const aged = Math.floor((Date.now() - seat.stateAt) / 60000);
    const rows = state.queues.map((queue) => {
      const row = document.createElement("tr");
      row.dataset.service = queue.service;
      const name = document.createElement("th");
      name.scope = "row";
      const code = document.createElement("span");
      code.className = "service-code";
      code.textContent = queue.service;
      name.append(code, " ", queue.name);
      const waiting = document.createElement("td");
      waiting.className = "num queue-waiting";
      waiting.textContent = String(queue.waiting);
      const longest = document.createElement("td");
      longest.className = "num queue-longest";
      const minutes = queue.waiting ? queue.longest_wait_minutes + aged : 0;
      longest.textContent = queue.waiting ? format(text.minutes, {minutes}) : "–";
      if (queue.waiting && minutes >= LONG_WAIT_MINUTES) longest.classList.add("is-long");
      row.append(name, waiting, longest);
      return row;
    });
    view.queueRows.replaceChildren(...rows);
    renderWaiting();
  }

  // The waiting numbers in the order this window calls them; choosing one calls it out of turn.
  function renderWaiting() {
    const state = seat.state;
    if (!state) return;
    const waiting = state.waiting || [];
    if (!waiting.length) {
      const empty = document.createElement("li");
      empty.className = "waiting-empty";
      empty.textContent = text.nobodyInQueue;
      view.waitingList.replaceChildren(empty);
      return;
    }
    const canCall = Console.allowed().call;
    view.waitingList.replaceChildren(...waiting.map((ticket) => {
      const item = document.createElement("li");
      const choice = document.createElement("button");
      choice.type = "button";
      choice.className = "button waiting-number";
      choice.classList.toggle("is-returned", ticket.returned);
      choice.dataset.number = ticket.number;
      choice.disabled = !canCall;
      const otherLanguage = ticket.language !== config.lang;
      const marks = [ticket.priority && text.priorityMark, ticket.booked && text.bookedMark,
                     ticket.returned && text.returnedMark, otherLanguage && ticket.language.toUpperCase()]
        .filter(Boolean);
      // The chip shows the language's short code; the name (in itself, as the visitor would say it)
      // is what a screen reader reads and a pointer shows.
      const spoken = [ticket.priority && text.priorityMark, ticket.booked && text.bookedMark,
                      ticket.returned && text.returnedMark, otherLanguage && ticket.language_name].filter(Boolean);
      choice.setAttribute("aria-label", [format(text.calledNumber, {number: ticket.number}), ...spoken].join(", "));
      if (otherLanguage) choice.title = ticket.language_name;
      choice.append(ticket.number);
      if (marks.length) {
        const small = document.createElement("span");
        small.className = "waiting-marks";
        small.textContent = marks.join(" · ");
        choice.append(small);
      }
      item.append(choice);
      return item;
    }));
  }

  async function callNumber(number, source) {
    if (seat.busy || !seat.state || seat.windowNumber === null || !Console.allowed().call) return;
    const at = seat.windowNumber;
    setBusy(true, source);
    try {
      const answer = await api("POST", windowPath(at, "call"), {number});
      showStatus(format(text.called, {number: answer.number}));
      const windowState = await api("GET", windowPath(at));
      if (at === seat.windowNumber) Console.render(windowState);
    } catch (failure) {
      handleFailure(failure);
      if (seat.windowNumber !== null) Console.scheduleRefresh();
    } finally {
      setBusy(false, source);
      if (seat.windowNumber !== null) Console.focusPrimary(false);
    }
  }

  view.waitingList.addEventListener("click", (event) => {
    const choice = event.target.closest(".waiting-number");
    if (choice && !choice.disabled) callNumber(choice.dataset.number, choice);
  });

  setInterval(renderQueues, LONGEST_WAIT_TICK_MS);

  Object.assign(Console, {renderQueues});
})();
