/* Okienko call centre: a caller's booking found by their identity (POST /api/v1/call-centre/lookup),
 * then moved to a free time or cancelled (each sends the identity again). */
(() => {
  "use strict";

  const cc = window.CallCentre;
  const {$, text, format} = cc;
  const identityForm = $("identity");
  let identity = null;
  let moving = null;

  function cell(content) {
    const td = document.createElement("td");
    if (content instanceof Node) td.append(content);
    else td.textContent = content;
    return td;
  }

  function button(label, onClick, extra) {
    const made = document.createElement("button");
    made.type = "button";
    made.className = `button ${extra || ""}`.trim();
    made.textContent = label;
    made.addEventListener("click", onClick);
    return made;
  }

  function show(bookings) {
    const rows = $("found-rows");
    rows.replaceChildren();
    $("move-panel").hidden = true;
    $("found-table").hidden = !bookings.length;
    if (!bookings.length) {
      cc.showError(text.notFound);
      return;
    }
    bookings.forEach((booking) => {
      const actions = document.createElement("div");
      actions.className = "login-actions";
      actions.append(button(format(text.moveBooking, {code: booking.code}), () => startMove(booking)));
      actions.append(button(format(text.cancelBooking, {code: booking.code}), () => cancel(booking),
                            "button-quiet"));
      const row = document.createElement("tr");
      row.append(cell(booking.code), cell(booking.service_name), cell(cc.when(booking.starts_at)), cell(actions));
      rows.append(row);
    });
  }

  async function find() {
    cc.clearFields(identityForm);
    identity = cc.values(identityForm);
    try {
      const answer = await cc.api("POST", "/api/v1/call-centre/lookup", identity);
      cc.showStatus("");
      show(answer.bookings);
    } catch (failure) {
      cc.fail(failure, identityForm);
    }
  }

  function startMove(booking) {
    moving = booking;
    $("move-code").textContent = booking.code;
    $("move-panel").hidden = false;
    $("move-slots").replaceChildren();
    $("move-from").focus();
  }

  async function listMoves() {
    try {
      const listing = await cc.freeTimes(moving.service, $("move-from").value);
      cc.showSlots($("move-slots"), listing, move);
    } catch (failure) {
      cc.fail(failure, $("move-search"));
    }
  }

  async function move(slot) {
    try {
      const answer = await cc.api("POST", `/api/v1/call-centre/bookings/${encodeURIComponent(moving.code)}/move`,
                                  {...identity, starts_at: slot.start});
      cc.showStatus(format(text.moved, {when: cc.when(answer.booking.starts_at)}));
      $("move-panel").hidden = true;
      await refresh();
    } catch (failure) {
      cc.fail(failure);
    }
  }

  async function cancel(booking) {
    try {
      await cc.api("POST", `/api/v1/call-centre/bookings/${encodeURIComponent(booking.code)}/cancel`, identity);
      cc.showStatus(format(text.cancelled, {code: booking.code}));
      await refresh();
    } catch (failure) {
      cc.fail(failure);
    }
  }

  async function refresh() {
    const answer = await cc.api("POST", "/api/v1/call-centre/lookup", identity);
    const rows = answer.bookings;
    if (rows.length) show(rows);
    else {
      $("found-rows").replaceChildren();
      $("found-table").hidden = true;
    }
  }

  identityForm.addEventListener("submit", (event) => {
    event.preventDefault();
    find();
  });
  $("move-search").addEventListener("submit", (event) => {
    event.preventDefault();
    listMoves();
  });
})();
