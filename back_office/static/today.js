/* Back office, Today: queues, windows, devices and stranded tickets, live.
 *
 * The numbers come from GET /api/v1/admin/today. The board's live channel (/ws/board, which takes
 * the staff cookie) says when anything moved in the hall: every message refreshes the view. While
 * the channel is down the view is polled every 10 s; while it is up, every 30 s all the same, since
 * a device falling silent sends no event.
 */
(() => {
  "use strict";

  const {api, fail, format, showStatus, clearMessages, el, when, text, $} = window.Admin;
  const POLL_MS = 10000;
  const LIVE_POLL_MS = 30000;
  const REFRESH_DEBOUNCE_MS = 300;
  const RECONNECT_MS = 3000;
  let today = null;
  let socket = null;
  let live = false;
  let pollTimer = null;
  let refreshTimer = null;
  let handing = null;

  const minutes = (value) => (value == null ? "–" : format(text.minutes, {minutes: value}));

  async function refresh() {
    try {
      today = await api("GET", "/api/v1/admin/today");
      clearMessages();
      render();
      $("live-state").textContent = live ? text.live : format(text.updatedAt, {time: when(new Date().toISOString(),
                                                                                            "time")});
    } catch (failure) {
      fail(failure);
    }
  }

  function render() {
    $("service-rows").replaceChildren(...today.services.map((service) => el("tr", {"data-service": service.code},
      el("th", {scope: "row"}, service.name),
      el("td", {class: "num waiting"}, service.waiting),
      el("td", {class: "num"}, minutes(service.longest_wait_minutes)),
      el("td", {class: "num"}, minutes(service.estimated_wait_minutes)),
      el("td", {class: "num"}, service.issued),
      el("td", {class: "num"}, service.served))));

    $("window-rows").replaceChildren(...today.windows.map((desk) => el("tr", {"data-window": desk.number},
      el("th", {scope: "row"}, desk.name || desk.number),
      el("td", {}, el("span", {class: `state state-${desk.state}`}, text[desk.state] || desk.state)),
      el("td", {}, desk.clerk || el("span", {class: "hint"}, text.nobody)),
      el("td", {class: "ticket-cell"}, desk.ticket ? desk.ticket.number : "–"))));

    $("device-rows").replaceChildren(...(today.devices.length ? today.devices.map((device) => el("tr",
      {class: device.silent ? "is-silent" : null},
      el("th", {scope: "row"}, device.name, device.silent ? el("span", {class: "flag"}, text.silent) : null),
      el("td", {}, text[device.kind] || device.kind),
      el("td", {}, device.last_seen_at ? when(device.last_seen_at, "recent") : text.neverSeen)))
      : [el("tr", {}, el("td", {colspan: 3, class: "hint"}, text.noDevices))]));

    const stranded = today.stranded;
    // Tickets to act on come first; with none, the panel waits at the bottom.
    const panel = $("stranded");
    if (stranded.length) $("queues").before(panel);
    else panel.parentElement.append(panel);
    panel.classList.toggle("is-urgent", stranded.length > 0);
    $("stranded-table").hidden = stranded.length === 0;
    $("stranded-empty").hidden = stranded.length > 0;
    $("stranded-rows").replaceChildren(...stranded.map((ticket) => el("tr", {"data-ticket": ticket.ticket_id},
      el("th", {scope: "row", class: "ticket-cell"}, ticket.number),
      el("td", {}, ticket.window),
      el("td", {}, when(ticket.called_at, "time")),
      el("td", {class: "actions"},
        el("button", {type: "button", class: "button", onclick: () => returnTicket(ticket)}, text.returnToQueue),
        el("button", {type: "button", class: "button", onclick: () => askWindow(ticket)}, text.handTo)))));
  }

  async function returnTicket(ticket) {
    try {
      await api("POST", `/api/v1/tickets/${encodeURIComponent(ticket.ticket_id)}/return`, {});
      showStatus(format(text.returned, {number: ticket.number}));
      await refresh();
    } catch (failure) {
      fail(failure);
    }
  }

  function askWindow(ticket) {
    handing = ticket;
    $("hand-number").textContent = ticket.number;
    const open = today.windows.filter((desk) => desk.state === "open" && desk.number !== ticket.window);
    $("hand-window").replaceChildren(...(open.length ? open : today.windows).map((desk) =>
      el("option", {value: desk.number}, desk.name || format(text.windowOption, {number: desk.number}))));
    $("hand-dialog").returnValue = "";
    $("hand-dialog").showModal();
  }

  $("hand-dialog").addEventListener("close", async () => {
    if ($("hand-dialog").returnValue !== "hand" || !handing) return;
    const ticket = handing;
    const desk = $("hand-window").value;
    try {
      await api("POST", `/api/v1/admin/tickets/${encodeURIComponent(ticket.ticket_id)}/hand`, {window: desk});
      showStatus(format(text.handed, {number: ticket.number, window: desk}));
      await refresh();
    } catch (failure) {
      fail(failure);
    }
  });

  // ---- live ------------------------------------------------------------------------------

  function schedulePoll() {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(async () => {
      await refresh();
      schedulePoll();
    }, live ? LIVE_POLL_MS : POLL_MS);
  }

  function setLive(isLive) {
    live = isLive;
    $("live-dot").classList.toggle("is-live", isLive);
    $("live-state").textContent = isLive ? text.live : text.polling;
    schedulePoll();
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    try {
      socket = new WebSocket(`${scheme}//${window.location.host}/ws/board`);
    } catch (failure) {
      setLive(false);
      return;
    }
    socket.addEventListener("open", () => setLive(true));
    socket.addEventListener("message", () => {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(refresh, REFRESH_DEBOUNCE_MS);
    });
    socket.addEventListener("close", () => {
      setLive(false);
      setTimeout(connect, RECONNECT_MS);
    });
  }

  refresh().then(connect);
  schedulePoll();
})();
