/* Back office, Devices: kiosks and boards with their last heartbeat and printer; add one (its
 * sign-in link and QR code, shown once), rename, make a new link, revoke (asked first).
 * /api/v1/admin/devices[/{id}[/revoke|/enrol]]. */
(() => {
  "use strict";

  const {api, fail, format, showStatus, clearMessages, clearFields, readForm, el, when, confirm, text,
         $} = window.Admin;
  const addForm = $("add-device");
  const renameForm = $("rename-form");
  let renaming = null;

  async function load() {
    try {
      render((await api("GET", "/api/v1/admin/devices")).devices);
    } catch (failure) {
      fail(failure);
    }
  }

  function printer(device) {
    const status = device.printer_status || "none";
    if (status === "none") return el("span", {class: "hint"}, text.printer.none);
    return [text.printer[status] || status,
            device.printer_checked_at ? el("span", {class: "hint"}, " · ",
              format(text.checkedAt, {time: when(device.printer_checked_at, "recent")})) : null,
            device.printer_silent ? el("span", {class: "flag"}, text.silent) : null];
  }

  function render(devices) {
    $("device-rows").replaceChildren(...devices.map((device) => {
      const active = device.active !== false;
      const flagged = active && (device.silent || device.printer_silent);
      return el("tr", {"data-device": device.id, class: active ? (flagged ? "is-silent" : null) : "is-off"},
        el("th", {scope: "row", class: "nowrap"}, device.name,
           active ? null : el("span", {class: "pill pill-off"}, text.revoked)),
        el("td", {}, text.kind[device.kind] || device.kind),
        el("td", {}, device.last_seen_at ? when(device.last_seen_at, "recent") : text.neverSeen,
           active && device.silent ? el("span", {class: "flag"}, text.silent) : null),
        el("td", {}, printer(device)),
        el("td", {class: "actions"},
          el("button", {type: "button", class: "button", onclick: () => askRename(device),
                        "aria-label": `${text.rename} ${device.name}`}, text.rename),
          el("button", {type: "button", class: "button", onclick: () => newLink(device),
                        "aria-label": `${text.newLink} ${device.name}`}, text.newLink),
          active ? el("button", {type: "button", class: "button button-danger", onclick: () => revoke(device),
                                 "aria-label": `${text.revoke} ${device.name}`}, text.revoke) : null));
    }));
  }

  /* The link and QR code, shown once. The SVG is the server's drawing, parsed as SVG (never as HTML). */
  function showEnrolment(answer) {
    $("enrol-name").textContent = answer.device.name;
    $("enrol-url").textContent = new URL(answer.enrol_url, window.location.href).href;
    const drawing = new DOMParser().parseFromString(answer.qr_svg, "image/svg+xml").documentElement;
    drawing.setAttribute("aria-hidden", "true");
    $("enrol-qr").replaceChildren(document.importNode(drawing, true));
    $("enrol-agent").hidden = !(answer.token && answer.device.kind === "kiosk");
    $("enrol-token").textContent = answer.token || "";
    $("enrol-dialog").showModal();
  }

  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    clearFields(addForm);
    try {
      const answer = await api("POST", "/api/v1/admin/devices", readForm(addForm));
      addForm.reset();
      showStatus(format(text.added, {name: answer.device.name}));
      showEnrolment(answer);
      await load();
    } catch (failure) {
      fail(failure, addForm);
    }
  });

  function askRename(device) {
    renaming = device;
    clearFields(renameForm);
    renameForm.elements.name.value = device.name;
    $("rename-dialog").showModal();
  }

  renameForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    clearFields(renameForm);
    try {
      const answer = await api("PUT", `/api/v1/admin/devices/${renaming.id}`, readForm(renameForm));
      $("rename-dialog").close();
      showStatus(format(text.renamed, {name: answer.device.name}));
      await load();
    } catch (failure) {
      fail(failure, renameForm);
    }
  });

  async function newLink(device) {
    if (!await confirm(format(text.linkQuestion, {name: device.name}), text.linkConfirm)) return;
    try {
      showEnrolment(await api("POST", `/api/v1/admin/devices/${device.id}/enrol`, {}));
      await load();
    } catch (failure) {
      fail(failure);
    }
  }

  async function revoke(device) {
    if (!await confirm(format(text.revokeQuestion, {name: device.name}), text.revokeConfirm)) return;
    try {
      await api("POST", `/api/v1/admin/devices/${device.id}/revoke`, {});
      showStatus(format(text.revokedDone, {name: device.name}));
      await load();
    } catch (failure) {
      fail(failure);
    }
  }

  load();
})();
