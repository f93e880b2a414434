/* Back office, Staff: accounts with their role and state; add one (a temporary password, shown
 * once), change a role, disable or enable, reset a password, unlock after wrong passwords.
 * /api/v1/admin/users[/{username}[/disable|/enable|/reset-password|/unlock]]. */
(() => {
  "use strict";

  const {api, fail, format, showStatus, clearMessages, clearFields, readForm, el, fromTemplate, confirm, config,
         text, $} = window.Admin;
  const addForm = $("add-user");

  async function load() {
    try {
      render((await api("GET", "/api/v1/admin/users")).users);
    } catch (failure) {
      fail(failure);
    }
  }

  const path = (user, action) => `/api/v1/admin/users/${encodeURIComponent(user.username)}${action ? `/${action}` : ""}`;

  function roleCell(user, index) {
    // A manager sees an administrator's role but cannot change it (the select offers no "admin").
    // Nor their own: a manager does not take their own rights away by a slip of the mouse.
    if (user.role === "admin" && config.role !== "admin" || user.username === config.username) {
      return text.role[user.role] || user.role;
    }
    const select = fromTemplate("role-template");
    select.id = `role-${index}`;
    select.value = user.role;
    select.setAttribute("aria-label", format(text.changeRole, {name: user.username}));
    select.addEventListener("change", () => setRole(user, select));
    return select;
  }

  function states(user) {
    const shown = [];
    if (user.disabled) shown.push(el("span", {class: "pill pill-off"}, text.disabled));
    if (user.locked) shown.push(el("span", {class: "flag"}, text.locked));
    if (user.must_change_password) shown.push(el("span", {class: "pill"}, text.mustChange));
    return shown.length ? shown : text.active;
  }

  function render(users) {
    $("staff-rows").replaceChildren(...users.map((user, index) => el("tr",
      {"data-user": user.username, class: user.disabled ? "is-off" : user.locked ? "is-flagged" : null},
      el("th", {scope: "row"}, user.username),
      el("td", {}, roleCell(user, index)),
      el("td", {class: "states"}, states(user)),
      el("td", {class: "actions"},
        user.locked ? el("button", {type: "button", class: "button", onclick: () => act(user, "unlock", text.unlockedDone),
                                    "aria-label": `${text.unlock} ${user.username}`}, text.unlock) : null,
        el("button", {type: "button", class: "button", onclick: () => reset(user),
                      "aria-label": `${text.resetPassword} ${user.username}`}, text.resetPassword),
        user.username === config.username ? null : user.disabled
          ? el("button", {type: "button", class: "button", onclick: () => act(user, "enable", text.enabledDone),
                          "aria-label": `${text.enable} ${user.username}`}, text.enable)
          : el("button", {type: "button", class: "button button-danger", onclick: () => disable(user),
                          "aria-label": `${text.disable} ${user.username}`}, text.disable)))));
  }

  async function act(user, action, done) {
    clearMessages();
    try {
      await api("POST", path(user, action), {});
      showStatus(format(done, {name: user.username}));
      await load();
    } catch (failure) {
      fail(failure);
    }
  }

  async function disable(user) {
    if (await confirm(format(text.disableQuestion, {name: user.username}), text.disable)) {
      await act(user, "disable", text.disabledDone);
    }
  }

  function showPassword(username, password) {
    $("password-title").textContent = format(text.passwordFor, {name: username});
    $("temporary-password").textContent = password;
    $("password-dialog").showModal();
  }

  async function reset(user) {
    if (!await confirm(format(text.resetQuestion, {name: user.username}), text.resetConfirm)) return;
    clearMessages();
    try {
      const answer = await api("POST", path(user, "reset-password"), {});
      showPassword(user.username, answer.temporary_password);
      await load();
    } catch (failure) {
      fail(failure);
    }
  }

  async function setRole(user, select) {
    clearMessages();
    try {
      await api("PUT", path(user), {role: select.value});
      showStatus(format(text.roleDone, {name: user.username, role: text.role[select.value]}));
      await load();
    } catch (failure) {
      select.value = user.role;
      fail(failure);
    }
  }

  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    clearFields(addForm);
    try {
      const answer = await api("POST", "/api/v1/admin/users", readForm(addForm));
      addForm.reset();
      showStatus(format(text.added, {name: answer.user.username}));
      showPassword(answer.user.username, answer.temporary_password);
      await load();
    } catch (failure) {
      fail(failure, addForm);
    }
  });

  load();
})();
