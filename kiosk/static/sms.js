/* Okienko kiosk: the SMS before the turn, offered on the ticket screen once the ticket is out (and
 * printed, or not: either way it never waits for this). The visitor types a mobile number on large
 * on-screen keys (a kiosk has no keyboard) and the kiosk gives it to the ticket through the public
 * API (PUT /api/v1/tickets/{id}/phone: the ticket's id is its secret). kiosk.js calls
 * window.KioskSms(...) once, where the office sends SMS (the template has #ticket-sms then).
 */
(function () {
  "use strict";

  const REQUEST_TIMEOUT_MS = 10000;
  const MAX_LENGTH = 16;

  window.KioskSms = function (kiosk) {
    const { byId, config, show, announce, request, backToTicket } = kiosk;
    const text = config.messages;
    const offer = byId("ticket-sms");
    if (!offer || !config.sms) return null;
    const field = byId("sms-phone");
    let ticket = null;
    let sending = false;

    function digits() {
      return field.value.replace(/\D/g, "");
    }

    function changed() {
      byId("sms-submit").disabled = digits().length < 9 || sending;
      field.removeAttribute("aria-invalid");
      byId("sms-error").hidden = true;
    }

    function type(key) {
      if (field.value.length >= MAX_LENGTH || (key === "+" && field.value !== "")) return;
      field.value += key;
      changed();
      announce(field.value.split("").join(" "));
    }

    function removeLast() {
      field.value = field.value.slice(0, -1);
      changed();
      announce(field.value.split("").join(" "));
    }

    function problem(message) {
      byId("sms-error-message").textContent = message;
      byId("sms-error").hidden = false;
      field.setAttribute("aria-invalid", "true");
      announce(message);
    }

    async function send(event) {
      event.preventDefault();
      if (!ticket || sending || digits().length < 9) return;
      sending = true;
      changed();
      try {
        const response = await request("/api/v1/tickets/" + encodeURIComponent(ticket.id) + "/phone?lang="
          + encodeURIComponent(config.lang), {
          method: "PUT",
          body: JSON.stringify({ phone: field.value }),
          headers: { "Content-Type": "application/json" },
        }, REQUEST_TIMEOUT_MS);
        const answer = await response.json().catch(() => ({}));
        if (!response.ok) {
          problem((answer.fields && answer.fields.phone) || answer.message || text.unreachable);
          return;
        }
        given(answer.sms.phone);
        backToTicket();
        announce(text.sms_sent_to.replace("{phone}", answer.sms.phone));
      } catch (error) {
        problem(text.unreachable);
      } finally {
        sending = false;
        changed();
      }
    }

    function given(phone) {
      field.value = ""; // the next visitor must not find this number on the screen
      byId("ticket-sms-open").hidden = Boolean(phone);
      byId("ticket-sms-given").hidden = !phone;
      byId("ticket-sms-phone").textContent = phone || "";
    }

    byId("ticket-sms-open").addEventListener("click", () => {
      if (!ticket) return;
      field.value = "";
      changed();
      show("sms", byId("sms-title"));
    });
    byId("sms-form").addEventListener("submit", send);
    byId("sms-back").addEventListener("click", () => {
      field.value = "";
      backToTicket();
    });
    for (const key of document.querySelectorAll(".phone-key")) {
      key.addEventListener("mousedown", (event) => event.preventDefault());
      key.addEventListener("click", () => (key.dataset.key ? type(key.dataset.key) : removeLast()));
    }
    field.addEventListener("input", () => {
      field.value = field.value.replace(/[^0-9+ ]/g, "").slice(0, MAX_LENGTH);
      changed();
    });

    return {
      /** A new ticket on the screen: the offer is shown for a waiting ticket (not a checked-in booking's). */
      offer(shown) {
        ticket = shown;
        given(null);
        offer.hidden = !(shown.status === "waiting" && !shown.appointment_at);
      },
      /** Leaving for the start screen: nothing of this visitor stays. */
      forget() {
        ticket = null;
        field.value = "";
        given(null);
        offer.hidden = true;
      },
    };
  };
})();
