/* Okienko clerk console: choose a window, then call, serve and pass on visitors.
 *
 * Plain JavaScript, no framework. The server decides everything (who is next, what is allowed);
 * this page shows the window state it gets, sends the clerk's buttons and keeps the view live:
 * a WebSocket (/ws/board) says when a queue of this window moved, and a 15 s poll renews the
 * clerk's hold on the window. Every text comes from the page (#console-config), translated.
 */
(() => {
  "use strict";

  const config = JSON.parse(document.getElementById("console-config").textContent);
  const text = config.messages;
  const LAST_WINDOW_KEY = "okienko.console.lastWindow";
  const POLL_MS = 15000;
  const REFRESH_DEBOUNCE_MS = 300;
  const LONGEST_WAIT_TICK_MS = 30000;
  const STATUS_CLEAR_MS = 10000;

  const $ = (id) => document.getElementById(id);
  const view = {
    chooser: $("chooser"), desk: $("desk"), windowList: $("window-list"),
    badge: $("window-badge"), badgeNumber: $("window-badge-number"), deskWindow: $("desk-window"),
    leave: $("leave-window"), error: $("error"), status: $("status"),
    pausedBanner: $("paused-banner"), empty: $("ticket-empty"), ticket: $("ticket"),
    ticketStatus: $("ticket-status"), ticketPriority: $("ticket-priority"), ticketNumber: $("ticket-number"),
    ticketService: $("ticket-service"), calledAt: $("ticket-called-at"), timerLabel: $("ticket-timer-label"),
    timer: $("ticket-timer"), recalls: $("ticket-recalls"), actions: $("actions"), pauseLabel: $("pause-label"),
    ticketLanguage: $("ticket-language"), waitingList: $("waiting-list"),
    leaveDialog: $("leave-dialog"), leaveQuestion: $("leave-question"), leaveNoShowHint: $("leave-no-show-hint"),
    booking: $("ticket-booking"), bookingName: $("booking-name"), bookingBirthDate: $("booking-birth-date"),
    bookingDocument: $("booking-document"), bookingStartsAt: $("booking-starts-at"),
    checkForm: $("document-check"), checkNumber: $("document-check-number"), checkSubmit: $("document-check-submit"),
    checkResult: $("document-check-result"), checkCountry: $("document-check-country"),
    noShowHint: $("no-show-hint"), queueRows: $("queue-rows"), liveState: $("live-state"), liveDot: $("live-dot"),
    dialog: $("transfer-dialog"), transferNumber: $("transfer-number"), transferServices: $("transfer-services"),
  };
  const buttons = {
    call: $("action-call"), recall: $("action-recall"), start: $("action-start"), finish: $("action-finish"),
    "no-show": $("action-no-show"), transfer: $("action-transfer"), pause: $("action-pause"),
  };
  const SHORTCUTS = {n: "call", r: "recall", s: "start", f: "finish", x: "no-show", t: "transfer", p: "pause"};

  let windowNumber = null;   // the window this clerk sits at, once signed in there
  let state = null;          // the last window state from the server
  let stateAt = 0;           // when it arrived (client clock), to age "longest wait"
  let clockSkew = 0;         // server clock minus client clock, from the Date header
  let busy = false;
  let pollTimer = null;
  let refreshTimer = null;
  let statusTimer = null;
  let checkedTicket = null;  // the ticket whose document check is shown

  const format = (message, params) =>
    message.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));

  // ---- talking to the server -------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(method, path, body) {
    const url = `${path}${path.includes("?") ? "&" : "?"}lang=${encodeURIComponent(config.lang)}`;
    const headers = {Accept: "application/json"};
    if (method !== "GET") headers["X-CSRF-Token"] = config.csrfToken;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, {method, headers, credentials: "same-origin", cache: "no-store",
                                   body: body === undefined ? undefined : JSON.stringify(body)});
    } catch (failure) {
      throw new ApiError(0, "network", text.network);
    }
    // The Date header has whole seconds and may be a second old: only a clock that is clearly wrong
    // (a PC that lost its time) is corrected, or the timers would run up to two seconds behind.
    const served = Date.parse(response.headers.get("Date") || "");
    if (!Number.isNaN(served)) {
      const skew = served - Date.now();
      clockSkew = Math.abs(skew) > 5000 ? skew : 0;
    }
    if (response.status === 204) return null;
    let answer = null;
    try {
      answer = await response.json();
    } catch (failure) {
      answer = null;
    }
    if (!response.ok) {
      const code = answer && answer.error ? answer.error : `http_${response.status}`;
      throw new ApiError(response.status, code, answer && answer.message ? answer.message : text.network);
    }
    return answer;
  }

  // ---- messages --------------------------------------------------------------------------

  function showError(message) {
    clearTimeout(statusTimer);
    view.status.textContent = "";
    view.error.textContent = message;
  }

  function showStatus(message) {
    view.error.textContent = "";
    view.status.textContent = message;
    clearTimeout(statusTimer);
    statusTimer = setTimeout(() => { view.status.textContent = ""; }, STATUS_CLEAR_MS);
  }

  function clearMessages() {
    view.error.textContent = "";
  }

  function handleFailure(failure) {
    if (!(failure instanceof ApiError)) throw failure;
    if (failure.status === 401) {
      showError(text.signedOut);
      setTimeout(() => { window.location.assign(`/console/login?lang=${encodeURIComponent(config.lang)}`); }, 1500);
      return;
    }
    if (failure.code === "window_not_held") {
      showChooser();
    }
    showError(failure.message);
  }

  // ---- the window chooser ----------------------------------------------------------------

  function lastWindow() {
    try {
      return window.localStorage.getItem(LAST_WINDOW_KEY);
    } catch (failure) {
      return null;
    }
  }

  function rememberWindow(number) {
    try {
      window.localStorage.setItem(LAST_WINDOW_KEY, number);
    } catch (failure) {
      // Private mode or storage full: the chooser just will not put this window first.
    }
  }

  function arrangeChooser() {
    const last = lastWindow();
    for (const choice of view.windowList.querySelectorAll(".window-choice")) {
      const isLast = choice.dataset.window === last;
      choice.classList.toggle("window-choice-is-last", isLast);
      choice.querySelector(".window-choice-last").hidden = !isLast;
      if (isLast) view.windowList.prepend(choice.closest("li"));
    }
  }

  function showChooser() {
    stopPolling();
    windowNumber = null;
    state = null;
    closeDialog();
    view.desk.hidden = true;
    view.badge.hidden = true;
    view.leave.hidden = true;
    view.chooser.hidden = false;
    arrangeChooser();
    const first = view.windowList.querySelector(".window-choice");
    if (first) first.focus();
  }

  function showDesk(number, windowState) {
    windowNumber = number;
    rememberWindow(number);
    view.chooser.hidden = true;
    view.desk.hidden = false;
    view.badge.hidden = false;
    view.leave.hidden = false;
    view.badgeNumber.textContent = number;
    view.deskWindow.textContent = number;
    render(windowState);
    startPolling();
    focusPrimary(true);
  }

  async function chooseWindow(number, choice) {
    if (busy) return;
    setBusy(true, choice);
    try {
      const windowState = await api("POST", `/api/v1/windows/${encodeURIComponent(number)}/sign-in`);
      clearMessages();
      setBusy(false, choice);
      showDesk(number, windowState);
    } catch (failure) {
      setBusy(false, choice);
      handleFailure(failure);
    }
  }

  async function leaveWindow(choice) {
    if (busy || windowNumber === null) return;
    if (state && state.ticket && !choice) {
      openLeave(leaveWindow);
      return;
    }
    const number = windowNumber;
    const ticket = state && state.ticket;
    setBusy(true);
    try {
      await api("POST", `/api/v1/windows/${encodeURIComponent(number)}/sign-out`, choice ? {ticket: choice} : undefined);
      setBusy(false);
      showChooser();
      showStatus(choice === "return" && ticket ? format(text.returned, {number: ticket.number})
        : format(text.windowLeft, {window: number}));
    } catch (failure) {
      setBusy(false);
      handleFailure(failure);
    }
  }

  // ---- leaving with a visitor at the window: what becomes of the ticket ------------------

  let onLeaveChoice = null;

  function openLeave(then) {
    const ticket = state.ticket;
    const called = ticket.status === "called";
    view.leaveQuestion.textContent = format(called ? text.leaveCalled : text.leaveServing, {number: ticket.number});
    const noShow = view.leaveDialog.querySelector('[data-choice="no_show"]');
    noShow.closest("li").hidden = !called;
    noShow.disabled = !ticket.can_mark_no_show;
    view.leaveNoShowHint.textContent = ticket.can_mark_no_show
      ? "" : format(text.noShowAfter, {count: state.recalls_before_no_show});
    view.leaveDialog.querySelector('[data-choice="finish"]').closest("li").hidden = called;
    onLeaveChoice = then;
    view.leaveDialog.showModal();
    view.leaveDialog.querySelector('[data-choice="return"]').focus();
  }

  view.leaveDialog.addEventListener("click", (event) => {
    const choice = event.target.closest(".leave-choice");
    if (!choice || choice.disabled || !onLeaveChoice) return;
    const then = onLeaveChoice;
    onLeaveChoice = null;
    view.leaveDialog.close();
    then(choice.dataset.choice);
  });

  view.leaveDialog.addEventListener("close", () => {
    onLeaveChoice = null;
    if (windowNumber !== null) focusPrimary(true);
  });

  // ---- the desk --------------------------------------------------------------------------

  function serverNow() {
    return Date.now() + clockSkew;
  }

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
    const ticketId = booking && state && state.ticket ? state.ticket.id : null;
    if (ticketId !== checkedTicket) {
      checkedTicket = ticketId;
      view.checkNumber.value = "";
      view.checkCountry.hidden = !(booking && booking.document_country);
      view.checkCountry.value = booking && booking.document_country ? booking.document_country : "";
      showCheck(null, "");
    }
  }

  // ---- the desk's document check ---------------------------------------------------------

  function showCheck(matched, message) {
    view.checkResult.hidden = !message;
    view.checkResult.textContent = message;
    view.checkResult.classList.toggle("is-match", matched === true);
    view.checkResult.classList.toggle("is-mismatch", matched === false);
  }

  async function checkDocument() {
    const number = view.checkNumber.value.trim();
    const ticket = state && state.ticket;
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

  function render(windowState) {
    state = windowState;
    stateAt = Date.now();
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
    renderQueues();
    renderButtons();
  }

  function renderQueues() {
    if (!state) return;
    const aged = Math.floor((Date.now() - stateAt) / 60000);
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
      if (queue.waiting && minutes >= 30) longest.classList.add("is-long");
      row.append(name, waiting, longest);
      return row;
    });
    view.queueRows.replaceChildren(...rows);
    renderWaiting();
  }

  // The waiting numbers in the order this window calls them; choosing one calls it out of turn.
  function renderWaiting() {
    if (!state) return;
    const waiting = state.waiting || [];
    if (!waiting.length) {
      const empty = document.createElement("li");
      empty.className = "waiting-empty";
      empty.textContent = text.nobodyInQueue;
      view.waitingList.replaceChildren(empty);
      return;
    }
    const canCall = allowed().call;
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
    if (busy || !state || windowNumber === null || !allowed().call) return;
    const at = windowNumber;
    setBusy(true, source);
    try {
      const answer = await api("POST", `/api/v1/windows/${encodeURIComponent(at)}/call`, {number});
      showStatus(format(text.called, {number: answer.number}));
      const windowState = await api("GET", `/api/v1/windows/${encodeURIComponent(at)}`);
      if (at === windowNumber) render(windowState);
    } catch (failure) {
      handleFailure(failure);
      if (windowNumber !== null) scheduleRefresh();
    } finally {
      setBusy(false, source);
      if (windowNumber !== null) focusPrimary(false);
    }
  }

  function allowed() {
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

  function tick() {
    const ticket = state && state.ticket;
    if (!ticket || view.desk.hidden) return;
    const since = Date.parse(ticket.status === "serving" ? ticket.started_at : ticket.called_at);
    view.timer.textContent = Number.isNaN(since) ? "" : duration(serverNow() - since);
  }

  function setBusy(isBusy, source) {
    busy = isBusy;
    document.body.classList.toggle("is-busy", isBusy);
    view.desk.setAttribute("aria-busy", String(isBusy));
    // aria-disabled, not disabled: the focused button keeps the focus while its request runs.
    const controls = [...Object.values(buttons), view.leave, ...view.windowList.querySelectorAll("button"),
                      ...view.transferServices.querySelectorAll("button")];
    for (const control of controls) {
      if (isBusy) control.setAttribute("aria-disabled", "true");
      else control.removeAttribute("aria-disabled");
    }
    if (source) source.classList.toggle("is-working", isBusy);
  }

  async function refresh() {
    if (windowNumber === null) return;
    const number = windowNumber;
    try {
      const windowState = await api("GET", `/api/v1/windows/${encodeURIComponent(number)}`);
      if (number !== windowNumber) return;  // the clerk moved on while this was on its way
      render(windowState);
      if (!busy) focusPrimary(false);
    } catch (failure) {
      if (failure.code === "network") return;  // the next poll or the reconnect tries again
      if (number !== windowNumber) return;     // left meanwhile: its answer (window_not_held) is old news
      handleFailure(failure);
    }
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, REFRESH_DEBOUNCE_MS);
  }

  function startPolling() {
    stopPolling();
    pollTimer = setInterval(refresh, POLL_MS);
  }

  function stopPolling() {
    clearInterval(pollTimer);
    clearTimeout(refreshTimer);
    pollTimer = null;
  }

  async function perform(action, options = {}) {
    if (busy || !state || windowNumber === null) return;
    const button = buttons[action];
    if (button && button.disabled && !options.fromDialog) return;
    const ticket = state.ticket;
    const number = windowNumber;
    let path;
    let body;
    if (action === "call") path = `/api/v1/windows/${encodeURIComponent(number)}/call-next`;
    else if (action === "pause") {
      path = `/api/v1/windows/${encodeURIComponent(number)}/pause`;
      body = {paused: !state.paused};
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
        render(answer);
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
        const windowState = await api("GET", `/api/v1/windows/${encodeURIComponent(number)}`);
        if (number === windowNumber) render(windowState);
      }
    } catch (failure) {
      handleFailure(failure);
      if (windowNumber !== null) scheduleRefresh();
    } finally {
      setBusy(false, options.source || button);
      if (windowNumber !== null) focusPrimary(false);
    }
  }

  // ---- transfer dialog -------------------------------------------------------------------

  function openTransfer() {
    if (busy || !state || !state.ticket || buttons.transfer.disabled) return;
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
        if (busy) return;
        await perform("transfer", {service: service.service, serviceName: service.name, source: choice,
                                   fromDialog: true});
        closeDialog();
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

  function closeDialog() {
    if (view.dialog.open) view.dialog.close();
    if (view.leaveDialog.open) view.leaveDialog.close();
  }

  view.dialog.addEventListener("close", () => {
    if (windowNumber !== null) focusPrimary(true);
  });

  // ---- live updates ----------------------------------------------------------------------

  let socket = null;
  let reconnectDelay = 1000;

  function setLive(isLive) {
    view.liveState.textContent = isLive ? text.live : text.reconnecting;
    view.liveDot.classList.toggle("is-live", isLive);
  }

  function concernsThisWindow(message) {
    if (!state) return false;
    if (message.window !== undefined && message.window !== null && String(message.window) === windowNumber) return true;
    const services = new Set(state.queues.map((queue) => queue.service));
    if (message.service && services.has(message.service)) return true;
    return Object.keys(message.waiting || {}).some((code) => services.has(code));
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${window.location.host}/ws/board`);
    socket.addEventListener("open", () => {
      reconnectDelay = 1000;
      setLive(true);
    });
    socket.addEventListener("message", (incoming) => {
      let message;
      try {
        message = JSON.parse(incoming.data);
      } catch (failure) {
        return;
      }
      // A snapshot follows every (re)connection: whatever happened meanwhile, read the window again.
      // A `setup` event: the back office changed services or windows; read the window (its queues) again.
      if (message.type === "snapshot" || (message.type === "event"
          && (message.kind === "setup" || concernsThisWindow(message)))) {
        scheduleRefresh();
      }
    });
    socket.addEventListener("close", () => {
      setLive(false);
      setTimeout(connect, reconnectDelay + Math.random() * 500);
      reconnectDelay = Math.min(reconnectDelay * 2, 30000);
    });
  }

  // ---- keyboard and clicks ---------------------------------------------------------------

  function shortcutOf(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return null;
    if (/^[a-z]$/i.test(event.key)) return event.key.toLowerCase();
    // Ukrainian or Russian layout: the key at the place of the Latin letter.
    return /^Key[A-Z]$/.test(event.code) ? event.code.slice(3).toLowerCase() : null;
  }

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

  view.windowList.addEventListener("click", (event) => {
    const choice = event.target.closest(".window-choice");
    if (choice) chooseWindow(choice.dataset.window, choice);
  });

  view.leave.addEventListener("click", () => leaveWindow());

  view.waitingList.addEventListener("click", (event) => {
    const choice = event.target.closest(".waiting-number");
    if (choice && !choice.disabled) callNumber(choice.dataset.number, choice);
  });

  view.checkForm.addEventListener("submit", (event) => {
    event.preventDefault();  // Enter (a scanner ends with it) or the button
    checkDocument();
  });
  view.checkNumber.addEventListener("input", () => showCheck(null, ""));
  view.checkCountry.addEventListener("change", () => showCheck(null, ""));

  // Signing out is a plain form; with the script running it goes as a request carrying the CSRF
  // header too, which the server requires of every POST from a signed-in session.
  // With a visitor at the window, the clerk says first what becomes of the ticket.
  const logout = $("logout");
  async function signOut(choice) {
    if (busy) return;
    if (state && state.ticket && windowNumber !== null && !choice) {
      openLeave(signOut);
      return;
    }
    setBusy(true, logout.querySelector("button"));
    try {
      await fetch(logout.action, {method: "POST", credentials: "same-origin", redirect: "manual",
                                  headers: {"X-CSRF-Token": config.csrfToken},
                                  body: new URLSearchParams(choice ? {ticket: choice} : {})});
    } catch (failure) {
      // The network failed: the plain form is the way out that remains.
      logout.submit();
      return;
    }
    window.location.assign(`/console/login?lang=${encodeURIComponent(config.lang)}`);
  }
  logout.addEventListener("submit", (event) => {
    event.preventDefault();
    signOut();
  });

  // ---- start -----------------------------------------------------------------------------

  setInterval(tick, 1000);
  setInterval(renderQueues, LONGEST_WAIT_TICK_MS);
  setLive(false);
  connect();

  // After a reload (or a language switch) the clerk may still hold their window: go straight back to it.
  const last = lastWindow();
  if (last) {
    api("GET", `/api/v1/windows/${encodeURIComponent(last)}`)
      .then((windowState) => showDesk(last, windowState))
      .catch(() => showChooser());
  } else {
    showChooser();
  }
})();
