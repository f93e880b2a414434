/* Okienko clerk console, keeping the view current: a WebSocket (/ws/board) says when a queue of this
 * window moved (the console then reads its window again), and a 15 s poll reads it anyway, which
 * also renews the clerk's hold on the window. A lost socket reconnects, waiting longer each time.
 */
(() => {
  "use strict";

  const Console = window.Console;
  const {text, view, seat, api, windowPath, handleFailure} = Console;
  const POLL_MS = 15000;
  const REFRESH_DEBOUNCE_MS = 300;   // a burst of events (a group of tickets) is one read
  const FIRST_RECONNECT_MS = 1000;
  const LONGEST_RECONNECT_MS = 30000;
  const RECONNECT_JITTER_MS = 500;   // the consoles of an office do not all come back at once

  const SEATING_KINDS = ["window_taken", "window_left"];

  let seatingTimer = null;
  let pollTimer = null;
  let refreshTimer = null;
  let socket = null;
  let reconnectDelay = FIRST_RECONNECT_MS;

  async function refresh() {
    if (seat.windowNumber === null) return;
    const number = seat.windowNumber;
    try {
      const windowState = await api("GET", windowPath(number));
      if (number !== seat.windowNumber) return;  // the clerk moved on while this was on its way
      Console.render(windowState);
      if (!seat.busy) Console.focusPrimary(false);
    } catch (failure) {
      if (failure.code === "network") return;    // the next poll or the reconnect tries again
      if (number !== seat.windowNumber) return;  // left meanwhile: its answer (window_not_held) is old news
      handleFailure(failure);
    }
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, REFRESH_DEBOUNCE_MS);
  }

  function scheduleSeating() {
    clearTimeout(seatingTimer);
    seatingTimer = setTimeout(() => Console.readSeating(), REFRESH_DEBOUNCE_MS);
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

  // ---- the live stream -------------------------------------------------------------------

  function setLive(isLive) {
    view.liveState.textContent = isLive ? text.live : text.reconnecting;
    view.liveDot.classList.toggle("is-live", isLive);
  }

  function concernsThisWindow(message) {
    const state = seat.state;
    if (!state) return false;
    if (message.window !== undefined && message.window !== null
        && String(message.window) === seat.windowNumber) return true;
    const services = new Set(state.queues.map((queue) => queue.service));
    if (message.service && services.has(message.service)) return true;
    return Object.keys(message.waiting || {}).some((code) => services.has(code));
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${window.location.host}/ws/board`);
    socket.addEventListener("open", () => {
      reconnectDelay = FIRST_RECONNECT_MS;
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
      // A window taken or left (by anyone, or by this clerk in another tab): the chooser shows who
      // sits where; the window's own console reads it again, so one left elsewhere says so at once.
      if (message.type === "snapshot" || SEATING_KINDS.includes(message.kind)) scheduleSeating();
    });
    socket.addEventListener("close", () => {
      setLive(false);
      setTimeout(connect, reconnectDelay + Math.random() * RECONNECT_JITTER_MS);
      reconnectDelay = Math.min(reconnectDelay * 2, LONGEST_RECONNECT_MS);
    });
  }

  Object.assign(Console, {scheduleRefresh, startPolling, stopPolling});

  // Until the socket opens the page says it is reconnecting, not live.
  setLive(false);
  connect();
})();
