/* Back office, Messages: the messages the outbox gave up on (who for, masked; when; why), each with
 * "Send again". GET /api/v1/admin/messages?status=failed, POST /api/v1/admin/messages/{id}/resend. */
(() => {
  "use strict";

  const {api, fail, showStatus, clearMessages, el, when, text, $} = window.Admin;

  async function resend(message) {
    clearMessages();
    try {
      await api("POST", `/api/v1/admin/messages/${encodeURIComponent(message.id)}/resend`);
      showStatus(text.queued);
      await load();
    } catch (failure) {
      fail(failure);
    }
  }

  async function load() {
    try {
      const answer = await api("GET", "/api/v1/admin/messages", undefined, {status: "failed"});
      $("message-rows").replaceChildren(...answer.messages.map((message) => el("tr", {"data-message": message.id},
        el("td", {class: "nowrap"}, when(message.failed_at)),
        el("th", {scope: "row"}, `${text[message.channel] || message.channel}: ${message.recipient}`),
        el("td", {}, message.reason),
        el("td", {class: "num"}, String(message.attempts)),
        el("td", {}, el("button", {type: "button", class: "button", onclick: () => resend(message),
                                   "aria-label": `${text.resend}: ${message.recipient}`}, text.resend)))));
      $("messages-empty").hidden = answer.messages.length > 0;
    } catch (failure) {
      fail(failure);
    }
  }

  load();
})();
