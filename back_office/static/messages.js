/* Back office, Messages: the failed messages (the outbox gave up on them, or the SMS gateway reported
 * them undelivered; who for, masked; when; why), each with "Send again"; and the SMS sent recently
 * with what the gateway reported of each. GET /api/v1/admin/messages?status=failed,
 * GET /api/v1/admin/messages?status=sent&channel=sms, POST /api/v1/admin/messages/{id}/resend. */
(() => {
  "use strict";

  const {api, fail, showStatus, clearMessages, el, when, text, $} = window.Admin;
  const format = (message, params) =>
    String(message).replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));

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

  /* A sent SMS's delivery in words, with a class for its colour. */
  function delivery(message) {
    if (message.delivery === "delivered") {
      return ["state state-open", format(text.delivered, {time: when(message.delivery_at, "recent")})];
    }
    if (message.delivery === "undelivered") {
      if (message.resent_as) return ["state state-closed", text.resent];
      return ["state state-failed", format(text.undelivered, {time: when(message.delivery_at, "recent")})];
    }
    return ["state state-closed", text.pending];
  }

  async function loadFailed() {
    const answer = await api("GET", "/api/v1/admin/messages", undefined, {status: "failed"});
    $("message-rows").replaceChildren(...answer.messages.map((message) => el("tr", {"data-message": message.id},
      el("td", {class: "nowrap"}, when(message.failed_at)),
      el("th", {scope: "row"}, `${text[message.channel] || message.channel}: ${message.recipient}`),
      el("td", {}, message.delivery === "undelivered" ? text.undeliveredReason : message.reason),
      el("td", {class: "num"}, String(message.attempts)),
      el("td", {}, el("button", {type: "button", class: "button", onclick: () => resend(message),
                                 "aria-label": `${text.resend}: ${message.recipient}`}, text.resend)))));
    $("messages-empty").hidden = answer.messages.length > 0;
  }

  async function loadSms() {
    const answer = await api("GET", "/api/v1/admin/messages", undefined, {status: "sent", channel: "sms"});
    $("sms-rows").replaceChildren(...answer.messages.map((message) => {
      const [kind, words] = delivery(message);
      return el("tr", {"data-sms": message.id, "data-delivery": message.delivery},
        el("td", {class: "nowrap"}, when(message.sent_at)),
        el("th", {scope: "row"}, message.recipient),
        el("td", {}, el("span", {class: kind}, words)));
    }));
    $("sms-empty").hidden = answer.messages.length > 0;
  }

  async function load() {
    try {
      await Promise.all([loadFailed(), loadSms()]);
    } catch (failure) {
      fail(failure);
    }
  }

  load();
})();
