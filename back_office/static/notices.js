/* Back office, Notices: the board ticker and the kiosk message, in every language side by side
 * (GET and PUT /api/v1/admin/notices). */
(() => {
  "use strict";

  const {api, fail, showStatus, clearMessages, clearFields, readForm, fillForm, text, $} = window.Admin;
  const form = $("notices-form");

  async function load() {
    try {
      fillForm(form, await api("GET", "/api/v1/admin/notices"));
    } catch (failure) {
      fail(failure);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    clearFields(form);
    const button = $("notices-save");
    button.disabled = true;
    try {
      fillForm(form, await api("PUT", "/api/v1/admin/notices", readForm(form)));
      showStatus(text.noticesSaved);
    } catch (failure) {
      fail(failure, form);
    } finally {
      button.disabled = false;
    }
  });

  load();
})();
