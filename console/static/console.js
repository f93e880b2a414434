/* Okienko clerk console: what every part of the page shares (window.Console).
 *
 * Plain JavaScript, no framework, no build step. The server decides everything (who is next, what
 * is allowed); the console shows the window state it gets, sends the clerk's buttons and keeps the
 * view live. Every text comes from the page (#console-config), translated.
 *
 * The page loads its scripts in order (console.html), each one concern adding to window.Console:
 *   console.js  this file: the API, messages, the page's elements and the clerk's seat
 *   desk.js     the ticket in hand, the booking behind it and the document check
 *   queues.js   the queues at this window, the waiting numbers and "call this number"
 *   actions.js  the action buttons, their keyboard shortcuts and the transfer dialog
 *   live.js     keeping the view current: the WebSocket and the poll
 *   chooser.js  choosing a window, leaving it, signing out; last, as it starts the page
 * The parts call one another through window.Console at the moment of the call (Console.render(...)),
 * never through a copy taken when a file loads: a function defined in a later file is then found
 * all the same, and no file depends on the order beyond "console.js first, chooser.js last".
 */
(() => {
  "use strict";

  const config = JSON.parse(document.getElementById("console-config").textContent);
  const text = config.messages;
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
    logout: $("logout"),
  };
  const buttons = {
    call: $("action-call"), recall: $("action-recall"), start: $("action-start"), finish: $("action-finish"),
    "no-show": $("action-no-show"), transfer: $("action-transfer"), pause: $("action-pause"),
  };

  /* Where the clerk sits and what the server last said about it: one object every part reads and
   * changes, so that no part keeps its own, older copy. */
  const seat = {
    windowNumber: null,   // the window this clerk sits at, once signed in there
    state: null,          // the last window state from the server
    stateAt: 0,           // when it arrived (client clock), to age "longest wait"
    busy: false,          // a request of the clerk's is on its way: other buttons wait for it
  };

  let clockSkew = 0;      // server clock minus client clock, from the Date header
  let statusTimer = null;

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

  /* The time by the server's clock, for the timers: a clerk's PC may have lost its time. */
  function serverNow() {
    return Date.now() + clockSkew;
  }

  /* A window's own address in the API ("/api/v1/windows/2/call-next"). */
  const windowPath = (number, action) =>
    `/api/v1/windows/${encodeURIComponent(number)}${action ? `/${action}` : ""}`;

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

  /* What to do with a refusal: a session that ended goes to the sign-in page (after a moment, to be
   * read); a window no longer held goes back to the chooser; the server's message is shown. */
  function handleFailure(failure) {
    if (!(failure instanceof ApiError)) throw failure;
    if (failure.status === 401) {
      showError(text.signedOut);
      setTimeout(() => { window.location.assign(`/console/login?lang=${encodeURIComponent(config.lang)}`); }, 1500);
      return;
    }
    if (failure.code === "window_not_held") {
      window.Console.showChooser();
    }
    showError(failure.message);
  }

  // ---- while a request runs --------------------------------------------------------------

  function setBusy(isBusy, source) {
    seat.busy = isBusy;
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

  /* Both dialogs go when the desk does (back to the chooser) or a transfer is done. */
  function closeDialogs() {
    if (view.dialog.open) view.dialog.close();
    if (view.leaveDialog.open) view.leaveDialog.close();
  }

  window.Console = {
    config, text, $, view, buttons, seat, format, ApiError, api, serverNow, windowPath,
    showError, showStatus, clearMessages, handleFailure, setBusy, closeDialogs,
  };
})();
