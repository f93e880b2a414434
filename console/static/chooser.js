/* Okienko clerk console, the clerk's window: choosing it (POST /api/v1/windows/{number}/sign-in),
 * leaving it (sign-out) and signing out of the console. With a visitor at the window, the clerk
 * says first what becomes of the ticket (the leave dialog). Loaded last: it opens the page, on the
 * window the clerk still holds after a reload, else on the chooser.
 */
(() => {
  "use strict";

  const Console = window.Console;
  const {config, text, view, seat, format, api, windowPath, showStatus, clearMessages, handleFailure,
         setBusy, closeDialogs} = Console;
  const LAST_WINDOW_KEY = "okienko.console.lastWindow";

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

  // ---- who sits where: GET /api/v1/windows, read again when a window is taken or left ----

  function renderSeating(windows) {
    for (const seated of windows) {
      const choice = view.windowList.querySelector(`.window-choice[data-window="${CSS.escape(seated.number)}"]`);
      if (!choice) continue;
      const label = choice.querySelector(".window-choice-seat");
      const taken = Boolean(seated.taken_by) && !seated.yours;
      label.textContent = seated.yours ? text.seatYours
        : taken ? format(text.seatTaken, {name: seated.taken_by}) : text.seatFree;
      label.classList.toggle("is-taken", taken);
    }
  }

  async function readSeating() {
    if (view.chooser.hidden) return;
    try {
      renderSeating((await api("GET", "/api/v1/windows")).windows);
    } catch (failure) {
      // The labels stay as they were; choosing a taken window still says it is taken.
    }
  }

  function showChooser() {
    Console.stopPolling();
    seat.windowNumber = null;
    seat.state = null;
    closeDialogs();
    view.desk.hidden = true;
    view.badge.hidden = true;
    view.leave.hidden = true;
    view.chooser.hidden = false;
    arrangeChooser();
    readSeating();
    const first = view.windowList.querySelector(".window-choice");
    if (first) first.focus();
  }

  function showDesk(number, windowState) {
    seat.windowNumber = number;
    rememberWindow(number);
    view.chooser.hidden = true;
    view.desk.hidden = false;
    view.badge.hidden = false;
    view.leave.hidden = false;
    view.badgeNumber.textContent = number;
    view.deskWindow.textContent = number;
    Console.render(windowState);
    Console.startPolling();
    Console.focusPrimary(true);
  }

  async function chooseWindow(number, choice) {
    if (seat.busy) return;
    setBusy(true, choice);
    try {
      const windowState = await api("POST", windowPath(number, "sign-in"));
      clearMessages();
      setBusy(false, choice);
      showDesk(number, windowState);
    } catch (failure) {
      setBusy(false, choice);
      handleFailure(failure);
    }
  }

  async function leaveWindow(choice) {
    if (seat.busy || seat.windowNumber === null) return;
    if (seat.state && seat.state.ticket && !choice) {
      openLeave(leaveWindow);
      return;
    }
    const number = seat.windowNumber;
    const ticket = seat.state && seat.state.ticket;
    setBusy(true);
    try {
      await api("POST", windowPath(number, "sign-out"), choice ? {ticket: choice} : undefined);
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

  let onLeaveChoice = null;  // what goes on once the clerk has chosen: leaving, or signing out

  function openLeave(then) {
    const state = seat.state;
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
    if (seat.windowNumber !== null) Console.focusPrimary(true);
  });

  // ---- signing out -----------------------------------------------------------------------

  // Signing out is a plain form; with the script running it goes as a request carrying the CSRF
  // header too, which the server requires of every POST from a signed-in session.
  // With a visitor at the window, the clerk says first what becomes of the ticket.
  const logout = view.logout;
  async function signOut(choice) {
    if (seat.busy) return;
    if (seat.state && seat.state.ticket && seat.windowNumber !== null && !choice) {
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

  view.windowList.addEventListener("click", (event) => {
    const choice = event.target.closest(".window-choice");
    if (choice) chooseWindow(choice.dataset.window, choice);
  });

  view.leave.addEventListener("click", () => leaveWindow());

  Object.assign(Console, {showChooser, readSeating});

  // ---- start -----------------------------------------------------------------------------

  // After a reload (or a language switch) the clerk may still hold their window: go straight back to it.
  const last = lastWindow();
  if (last) {
    api("GET", windowPath(last))
      .then((windowState) => showDesk(last, windowState))
      .catch(() => showChooser());
  } else {
    showChooser();
  }
})();
