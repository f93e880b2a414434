// The visitor's phone: follows the ticket over /ws/ticket/<id> and says loudly when it is called.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("ticket-config").textContent);
  var texts = config.texts;
  var lastStatus = null;
  var pageTitle = document.title;
  var delay = 500;

  function byId(id) { return document.getElementById(id); }

  // "2026-12-03T10:00:00+01:00" -> "10:00": the office's wall time, as the server wrote it.
  function wallTime(iso) {
    var match = /T(\d{2}:\d{2})/.exec(iso || "");
    return match ? match[1] : "";
  }

  function alertVisitor() {
    if (navigator.vibrate) { navigator.vibrate([400, 200, 400, 200, 800]); }
    try {  // a short two-tone signal, made here: nothing is fetched
      var audio = new (window.AudioContext || window.webkitAudioContext)();
      [880, 660].forEach(function (frequency, i) {
        var tone = audio.createOscillator();
        var gain = audio.createGain();
        tone.frequency.value = frequency;
        gain.gain.value = 0.3;
        tone.connect(gain).connect(audio.destination);
        tone.start(audio.currentTime + i * 0.4);
        tone.stop(audio.currentTime + i * 0.4 + 0.35);
      });
    } catch (ignored) { /* no sound on this phone: the banner and vibration remain */ }
  }

  // "about 12 min", or for nothing to wait "No wait", the same words as the kiosk and the ticket.
  function waitText(minutes) {
    return minutes > 0 ? texts.minutes.replace("{minutes}", minutes) : texts.no_wait;
  }

  var FINAL = ["done", "no_show", "cancelled"];

  // One state at a time: whatever an earlier state showed (the queue's figures, the call, the
  // "keep this page open" note) is hidden as soon as it no longer holds.
  function show(ticket) {
    var status = ticket.status;
    var called = status === "called";
    var waiting = status === "waiting";
    document.querySelector(".ticket-page").setAttribute("data-status", status);
    byId("status").textContent = ticket.status_text;
    // Called, then sent back to the queue (the clerk left, or their console went away): it says so.
    byId("status").className = "status status-" + (ticket.returned ? "returned" : status);
    byId("status").hidden = called;   // the banner is the one message, with the window
    byId("service").textContent = ticket.service_name;
    byId("position").textContent = ticket.position;
    byId("wait").textContent = waitText(ticket.estimated_wait_minutes);
    // A checked-in booking shows its slot and when it is expected to be called instead.
    var booked = Boolean(ticket.expected_at);
    byId("booked-at").textContent = wallTime(ticket.appointment_at);
    byId("expected-at").textContent = wallTime(ticket.expected_at);
    Array.prototype.forEach.call(document.querySelectorAll("#facts [data-for]"), function (fact) {
      fact.hidden = (fact.getAttribute("data-for") === "booked") !== booked;
    });
    byId("facts").hidden = !waiting;
    byId("keep-open").hidden = !waiting;
    FINAL.forEach(function (end) { byId("final-" + end).hidden = status !== end; });
    byId("called").hidden = !called;
    if (called) {
      byId("called-window").textContent = ticket.window ?
        texts.go_to_window.replace("{window}", ticket.window) : texts.go_to_the_window;
      document.title = texts.your_turn + (ticket.window ? ": " + ticket.window : "");
    } else {
      byId("called-window").textContent = "";   // never "go to window 1" once that is over
      document.title = pageTitle;
    }
    byId("leave").hidden = !(waiting || called);
    if (!(waiting || called) && leaveDialog.open) { leaveDialog.close(); }
    if (called && lastStatus !== "called") { alertVisitor(); }
    lastStatus = status;
    showSms(waiting);
  }

  // "I am leaving": asked once more in a dialog (Escape or "No" keeps the place), then given up.
  var leaveDialog = byId("leave-confirm");

  function giveUp() {
    byId("leave-yes").disabled = true;
    fetch("/api/v1/tickets/" + encodeURIComponent(config.id) + "/cancel?lang=" + encodeURIComponent(config.lang),
          {method: "POST", headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (answer) {
          leaveDialog.close();
          if (!response.ok) { byId("leave-problem").textContent = answer.message; return; }
          byId("leave-problem").textContent = "";
          show(answer);
          byId("status").focus();
        });
      })
      .catch(function () {
        leaveDialog.close();
        byId("leave-problem").textContent = texts.offline;
      })
      .then(function () { byId("leave-yes").disabled = false; });
  }

  byId("leave-open").addEventListener("click", function () {
    byId("leave-problem").textContent = "";
    leaveDialog.showModal();
    byId("leave-keep").focus();   // the safe answer first
  });
  byId("leave-keep").addEventListener("click", function () { leaveDialog.close(); });
  byId("leave-yes").addEventListener("click", giveUp);
  leaveDialog.addEventListener("close", function () {
    if (!byId("leave").hidden) { byId("leave-open").focus(); }
  });

  // The SMS before the turn (only where the office sends SMS): a number may be given while waiting.
  var sms = byId("sms");
  var smsWaiting = sms ? sms.getAttribute("data-waiting") === "yes" : false;

  function showSms(waiting) {
    if (!sms) { return; }
    smsWaiting = waiting;
    var given = !byId("sms-given").hidden;
    sms.hidden = !(waiting || given);
    byId("sms-form").hidden = given || !waiting;
  }

  function smsState(state) {
    byId("sms-phone").textContent = state.phone || "";
    byId("sms-given").hidden = !state.phone;
    byId("sms-problem").textContent = "";
    showSms(smsWaiting);
  }

  function sendSms(method, body) {
    var options = {method: method, headers: {"Accept": "application/json"}};
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch("/api/v1/tickets/" + encodeURIComponent(config.id) + "/phone?lang=" +
                 encodeURIComponent(config.lang), options)
      .then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) {
            var field = answer.fields && answer.fields.phone;
            byId("sms-problem").textContent = field || answer.message;
            return;
          }
          smsState(answer.sms);
          if (body) { byId("sms-number").value = ""; }
        });
      })
      .catch(function () { byId("sms-problem").textContent = texts.offline; });
  }

  if (sms) {
    byId("sms-form").addEventListener("submit", function (event) {
      event.preventDefault();
      sendSms("PUT", {phone: byId("sms-number").value});
    });
    byId("sms-remove").addEventListener("click", function () { sendSms("DELETE", null); });
    showSms(smsWaiting);
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/ticket/" + encodeURIComponent(config.id) +
                               "?lang=" + encodeURIComponent(config.lang));
    socket.onopen = function () { delay = 500; byId("connection").hidden = true; };
    socket.onmessage = function (message) {
      var data = JSON.parse(message.data);
      if (data.type === "ticket") { show(data.ticket); }
    };
    socket.onclose = function () {
      byId("connection").hidden = false;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  connect();
}());
