/* Back office, Calendars: the staff calendar links (a service's or a window's booked visits);
 * make one (its address shown once), revoke one (asked first). /api/v1/admin/calendar-feeds[/{id}/revoke]. */
(() => {
  "use strict";

  const {api, fail, format, showStatus, clearMessages, clearFields, readForm, el, when, confirm, text,
         $} = window.Admin;
  const addForm = $("add-feed");

  async function load() {
    try {
      render((await api("GET", "/api/v1/admin/calendar-feeds")).feeds);
    } catch (failure) {
      fail(failure);
    }
  }

  const target = (feed) => feed.scope === "window" ? format(text.window, {number: feed.target}) : feed.target;
  const nameOf = (feed) => feed.label || target(feed);

  function render(feeds) {
    $("feed-rows").replaceChildren(...feeds.map((feed) => {
      const active = !feed.revoked_at;
      return el("tr", {"data-feed": feed.id, class: active ? null : "is-off"},
        el("th", {scope: "row"}, nameOf(feed), active ? null : el("span", {class: "pill pill-off"}, text.revoked)),
        el("td", {}, target(feed), el("span", {class: "hint"}, " · ", feed.with_names ? text.withNames : text.codesOnly)),
        el("td", {}, when(feed.created_at, "recent"), el("span", {class: "hint"}, " · ", feed.created_by)),
        el("td", {class: "actions"}, active ? el("button", {
          type: "button", class: "button button-danger", onclick: () => revoke(feed),
          "aria-label": `${text.revoke} ${nameOf(feed)}`}, text.revoke) : null));
    }));
  }

  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    clearFields(addForm);
    const {for: chosen, label, with_names} = readForm(addForm);
    const [scope, ...rest] = chosen.split(":");
    try {
      const {feed} = await api("POST", "/api/v1/admin/calendar-feeds",
                               {scope, target: rest.join(":"), label, with_names});
      addForm.reset();
      $("feed-name").textContent = nameOf(feed);
      $("feed-url").textContent = feed.url;
      $("feed-webcal").href = feed.webcal_url;
      $("feed-dialog").showModal();
      await load();
    } catch (failure) {
      fail(failure, addForm);
    }
  });

  async function revoke(feed) {
    if (!await confirm(format(text.revokeQuestion, {name: nameOf(feed)}), text.revokeConfirm)) return;
    try {
      await api("POST", `/api/v1/admin/calendar-feeds/${feed.id}/revoke`, {});
      showStatus(format(text.revokedDone, {name: nameOf(feed)}));
      await load();
    } catch (failure) {
      fail(failure);
    }
  }

  load();
})();
