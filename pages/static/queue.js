// The live queue (/queue): polls GET /api/v1/services (the figures the page was rendered with) and
// writes them in place. The words come translated in #queue-config; nothing is fetched from outside.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("queue-config").textContent);
  var updated = document.getElementById("queue-updated");

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
  }

  function clock() {
    return new Intl.DateTimeFormat(config.lang, {hour: "2-digit", minute: "2-digit", timeZone: config.timezone})
      .format(new Date());
  }

  function show(services) {
    services.forEach(function (service) {
      var item = document.querySelector('.queue-service[data-code="' + CSS.escape(service.code) + '"]');
      if (!item) { return; }
      item.querySelector('[data-field="waiting"]').textContent = String(service.waiting);
      item.querySelector('[data-field="wait"]').textContent =
        fill(config.texts.minutes, {minutes: service.estimated_wait_minutes});
      var state = item.querySelector('[data-field="state"]');
      state.textContent = service.open_now ? config.texts.open
        : (service.closed_reason ? service.closed_reason.message : "");
      state.className = "queue-state " + (service.open_now ? "queue-open" : "queue-closed");
    });
    updated.textContent = fill(config.texts.updated, {time: clock()});
  }

  function poll() {
    fetch(config.feed, {headers: {"Accept": "application/json"}, cache: "no-store"})
      .then(function (answer) { if (!answer.ok) { throw new Error(String(answer.status)); } return answer.json(); })
      .then(function (body) { show(body.services); })
      .catch(function () { updated.textContent = config.texts.offline; })
      .then(function () { window.setTimeout(poll, config.seconds * 1000); });
  }

  window.setTimeout(poll, config.seconds * 1000);
})();
