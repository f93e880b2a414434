/* Back office, Services (second half): windows and priority categories, from the set-up services.js
 * loads ("office-loaded"). The office's own settings are a section of their own (office.js). */
(() => {
  "use strict";

  const {api, fail, format, showStatus, clearMessages, clearFields, readForm, fillForm, compact, el, confirm,
         text, $} = window.Admin;
  const windowDialog = $("window-dialog");
  const windowForm = $("window-form");
  const priorityDialog = $("priority-dialog");
  const priorityForm = $("priority-form");
  let office = null;
  let editingWindow = null;
  let editingPriority = null;

  const name = (names) => window.Admin.displayName(names);
  const serviceName = (code) => {
    const service = office.services.find((candidate) => candidate.code === code);
    return service ? `${code} · ${name(service.names)}` : code;
  };

  document.addEventListener("office-loaded", (event) => {
    office = event.detail;
    renderWindows();
    renderPriorities();
  });

  // ---- windows ---------------------------------------------------------------------------

  function renderWindows() {
    $("window-rows").replaceChildren(...office.windows.map((desk) => {
      const on = desk.active !== false;
      return el("tr", {"data-window": desk.number, class: on ? null : "is-off"},
        el("td", {class: "ticket-cell"}, desk.number),
        el("th", {scope: "row"}, desk.name || "–"),
        el("td", {}, el("ol", {class: "inline-list"}, desk.services.map((code) => el("li", {}, serviceName(code))))),
        el("td", {}, on ? text.on : el("span", {class: "pill pill-off"}, text.off)),
        el("td", {class: "actions"},
          el("button", {type: "button", class: "button", onclick: () => openWindow(desk),
                        "aria-label": `${text.edit} ${desk.number}`}, text.edit),
          on ? el("button", {type: "button", class: "button button-danger", onclick: () => switchOffWindow(desk)},
                  text.switchOff)
             : el("button", {type: "button", class: "button", onclick: () => switchOn("windows", desk.number)},
                  text.switchOn)));
    }));
  }

  function openWindow(desk) {
    editingWindow = desk;
    $("window-dialog-title").textContent = desk ? format(text.editWindow, {number: desk.number}) : text.addWindow;
    // The window's own services first, in its order (the order call-next follows), then the rest.
    const chosen = desk ? desk.services : [];
    const codes = [...chosen, ...office.services.map((s) => s.code).filter((code) => !chosen.includes(code))];
    $("window-services").replaceChildren(...codes.map((code, index) => el("li", {class: "field-inline"},
      el("input", {type: "checkbox", id: `window-service-${index}`, name: "services", value: code, "data-group": true}),
      el("label", {for: `window-service-${index}`}, serviceName(code)))));
    fillForm(windowForm, desk || {services: []});
    windowForm.elements.number.readOnly = Boolean(desk);
    windowDialog.showModal();
    if (desk) windowForm.elements.name.focus();
  }

  windowForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    clearFields(windowForm);
    const values = readForm(windowForm);
    const desk = {number: values.number, name: values.name, services: values.services || []};
    try {
      if (editingWindow) {
        await api("PUT", `/api/v1/admin/windows/${encodeURIComponent(desk.number)}`,
                  {name: desk.name, services: desk.services});
      } else {
        await api("POST", "/api/v1/admin/windows", desk);
      }
      windowDialog.close();
      showStatus(format(text.windowSaved, {number: desk.number}));
      await window.Admin.reloadOffice();
    } catch (failure) {
      fail(failure, windowForm);
    }
  });

  async function switchOn(kind, key) {
    clearMessages();
    try {
      await api("POST", `/api/v1/admin/${kind}/${encodeURIComponent(key)}/switch-on`, {});
      showStatus(text.saved);
      await window.Admin.reloadOffice();
    } catch (failure) {
      fail(failure);
    }
  }

  async function switchOffPriority(priority) {
    clearMessages();
    try {
      await api("POST", `/api/v1/admin/priorities/${encodeURIComponent(priority.code)}/switch-off`, {});
      showStatus(text.saved);
      await window.Admin.reloadOffice();
    } catch (failure) {
      fail(failure);
    }
  }

  /* A window with a visitor at it is refused (409 window_in_use) with the reason; asked once. */
  async function switchOffWindow(desk, confirmed) {
    clearMessages();
    try {
      await api("POST", `/api/v1/admin/windows/${encodeURIComponent(desk.number)}/switch-off`,
                {confirm: Boolean(confirmed)});
      showStatus(format(text.windowOff, {number: desk.number}));
      await window.Admin.reloadOffice();
    } catch (failure) {
      if (failure.status === 409 && !confirmed && await confirm(failure.message, text.switchOff)) {
        await switchOffWindow(desk, true);
        return;
      }
      if (failure.status !== 409 || confirmed) fail(failure);
    }
  }

  // ---- priority categories ---------------------------------------------------------------

  function renderPriorities() {
    $("priority-rows").replaceChildren(...office.priorities.map((priority) => {
      const on = priority.active !== false;
      return el("tr", {"data-priority": priority.code, class: on ? null : "is-off"},
        el("td", {}, priority.code),
        el("td", {class: "ticket-cell"}, priority.mark),
        el("th", {scope: "row"}, name(priority.names), on ? null : el("span", {class: "pill pill-off"}, text.off)),
        el("td", {class: "actions"},
          el("button", {type: "button", class: "button", onclick: () => openPriority(priority),
                        "aria-label": `${text.edit} ${priority.code}`}, text.edit),
          on ? el("button", {type: "button", class: "button button-danger", onclick: () => switchOffPriority(priority)},
                  text.switchOff)
             : el("button", {type: "button", class: "button", onclick: () => switchOn("priorities", priority.code)},
                  text.switchOn)));
    }));
  }

  function openPriority(priority) {
    editingPriority = priority;
    $("priority-dialog-title").textContent = priority ? format(text.editPriority, {code: priority.code})
                                                      : text.addPriority;
    fillForm(priorityForm, priority || {names: {}});
    priorityForm.elements.code.readOnly = Boolean(priority);
    priorityDialog.showModal();
    if (priority) priorityForm.elements.mark.focus();
  }

  priorityForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    clearFields(priorityForm);
    const priority = compact(readForm(priorityForm));
    try {
      if (editingPriority) {
        await api("PUT", `/api/v1/admin/priorities/${encodeURIComponent(priority.code)}`,
                  {mark: priority.mark, names: priority.names});
      } else {
        await api("POST", "/api/v1/admin/priorities", priority);
      }
      priorityDialog.close();
      showStatus(format(text.prioritySaved, {code: priority.code}));
      await window.Admin.reloadOffice();
    } catch (failure) {
      fail(failure, priorityForm);
    }
  });

  $("add-window").addEventListener("click", () => openWindow(null));
  $("add-priority").addEventListener("click", () => openPriority(null));
})();
