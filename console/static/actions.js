/* Okienko clerk console, the clerk's buttons: call next, start, finish, call again, not present,
 * transfer and pause, each also on a letter key; which of them the window state allows, which one
 * is the next step (it gets the focus), and the dialog choosing the queue a transfer goes to.
 */
(() => {
  "use strict";

  const Console = window.Console;
  const {text, view, buttons, seat, format, api, windowPath, showStatus, clearMessages, handleFailure,
         setBusy, closeDialogs} = Console;
  const SHORTCUTS = {n: "call", r: "recall", s: "start", f: "finish", x: "no-show", t: "transfer", p: "pause"};

  // What the server would accept now: a button it would refuse is disabled, not left to fail.
  function allowed() {
    const state = seat.state;
    const ticket = state && state.ticket;
    const status = ticket ? ticket.status : null;
    return {
      call: Boolean(state) && !state.paused && status !== "called",
      recall: status === "called",
      start: status === "called",
      finish: status === "serving",
      "no-show": status === "called" && Boolean(ticket.can_mark_no_show),
      transfer: Boolean(ticket) && state.transfer_to.length > 1,
      pause: Boolean(state),
    };
  }

  function primaryAction() {
    const state = seat.state;
    const status = state && state.ticket ? state.ticket.status : null;
    if (status === "called") return "start";
    if (status === "serving") return "finish";
    return state && state.paused ? "pause" : "call";
  }

  function renderButtons() {
    const can = allowed();
    const primary = primaryAction();
    for (const [action, button] of Object.entries(buttons)) {
      button.disabled = !can[action];
      button.classList.toggle("is-primary", action === primary && can[action]);
    }
    const state = seat.state;
    const ticket = state && state.ticket;
    const waitingForRecall = ticket && ticket.status === "called" && !ticket.can_mark_no_show;
    view.noShowHint.textContent = waitingForRecall
      ? format(text.noShowAfter, {count: state.recalls_before_no_show}) : "";
    for (const choice of view.waitingList.querySelectorAll("button")) choice.disabled = !can.call;
  }

  // After a click the button pressed may have become disabled: keep the keyboard where the next step is.
  function focusPrimary(always) {
    const active = document.activeElement;
    const lost = !active || active === document.body || active.disabled || view.desk.hidden;
    if (!always && !lost) return;
    const button = buttons[primaryAction()];
    if (button && !button.disabled) button.focus();
  }

  async function perform(action, options = {}) {
    if (seat.busy || !seat.state || seat.windowNumber === null) return;
    const button = buttons[action];
    if (button && button.disabled && !options.fromDialog) return;
    const ticket = seat.state.ticket;
    const number = seat.windowNumber;
    let path;
    let body;
    if (action === "call") path = windowPath(number, "call-next");
    else if (action === "pause") {
      path = windowPath(number, "pause");
      body = {paused: !seat.state.paused};
    } else {
      if (!ticket) return;
      path = `/api/v1/tickets/${encodeURIComponent(ticket.id)}/${action}`;
      if (action === "transfer") body = {service: options.service};
    }
    setBusy(true, options.source || button);
    try {
      const answer = await api("POST", path, body);
      clearMessages();
      if (action === "pause") {
        Console.render(answer);
        showStatus(answer.paused ? text.paused : text.resumed);
      } else {
        const done = {
          call: answer ? format(text.called, {number: answer.number}) : text.nobodyWaiting,
          recall: format(text.recalled, {number: ticket && ticket.number}),
          start: format(text.started, {number: ticket && ticket.number}),
          finish: format(text.finished, {number: ticket && ticket.number}),
          "no-show": format(text.noShow, {number: ticket && ticket.number}),
          transfer: format(text.transferred, {number: ticket && ticket.number, service: options.serviceName}),
        }[action];
        showStatus(done);
        const windowState = await api("GET", windowPath(number));
        if (number === seat.windowNumber) Console.render(windowState);
      }
    } catch (failure) {
      handleFailure(failure);
      if (seat.windowNumber !== null) Console.scheduleRefresh();
    } finally {
      setBusy(false, options.source || button);
      if (seat.windowNumber !== null) focusPrimary(false);
    }
  }

  // ---- transfer dialog: the services this window may send the visitor to -----------------

  function openTransfer() {
    const state = seat.state;
    if (seat.busy || !state || !state.ticket || buttons.transfer.disabled) return;
    const ticket = state.ticket;
    view.transferNumber.textContent = ticket.number;
    const items = state.transfer_to.filter((service) => service.service !== ticket.service).map((service) => {
      const item = document.createElement("li");
      const choice = document.createElement("button");
      choice.type = "button";
      choice.className = "button transfer-choice";
      choice.dataset.service = service.service;
      const code = document.createElement("span");
      code.className = "service-code";
      code.textContent = service.service;
      choice.append(code, " ", service.name);
      choice.addEventListener("click", async () => {
        if (seat.busy) return;
        await perform("transfer", {service: service.service, serviceName: service.name, source: choice,
                                   fromDialog: true});
        closeDialogs();
        focusPrimary(true);
      });
      item.append(choice);
      return item;
    });
    view.transferServices.replaceChildren(...items);
    view.dialog.showModal();
    const first = view.transferServices.querySelector("button");
    if (first) first.focus();
  }

  view.dialog.addEventListener("close", () => {
    if (seat.windowNumber !== null) focusPrimary(true);
  });

  // ---- keyboard and clicks ---------------------------------------------------------------

  function shortcutOf(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return null;
    if (/^[a-z]$/i.test(event.key)) return event.key.toLowerCase();
    // A Cyrillic, Georgian or Devanagari layout (or Turkish "ı"): the key at the place of the Latin letter.
    return /^Key[A-Z]$/.test(event.code) ? event.code.slice(3).toLowerCase() : null;
  }

  // The letters act only at the desk, with no dialog open and nobody typing (the document check).
  document.addEventListener("keydown", (event) => {
    if (view.desk.hidden || view.dialog.open || view.leaveDialog.open) return;
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    const action = SHORTCUTS[shortcutOf(event)];
    if (!action) return;
    event.preventDefault();
    if (action === "transfer") openTransfer();
    else perform(action);
  });

  for (const [action, button] of Object.entries(buttons)) {
    button.addEventListener("click", () => {
      if (action === "transfer") openTransfer();
      else perform(action);
    });
  }

  Object.assign(Console, {allowed, renderButtons, focusPrimary});
})();
