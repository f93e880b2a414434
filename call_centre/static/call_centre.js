/* Okienko call centre: what book.js and find.js share (window.CallCentre).
 *
 * Plain JavaScript, no framework. Calls /api/v1/call-centre/... with the session's CSRF token, shows
 * messages, puts the API's message next to each field it names, and lists free times as buttons.
 * Every text comes from the page (#call-centre-config), never from here.
 */
(() => {
  "use strict";

  const config = JSON.parse(document.getElementById("call-centre-config").textContent);
  const text = config.messages;
  const $ = (id) => document.getElementById(id);

  const format = (message, params) =>
    String(message).replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));

  class ApiError extends Error {
    constructor(status, body) {
      super(body && body.message ? body.message : text.network);
      this.status = status;
      this.code = body && body.error ? body.error : "";
      this.fields = body && body.fields ? body.fields : null;
    }
  }

  async function api(method, path, body, query) {
    const params = new URLSearchParams(query || {});
    params.set("lang", config.lang);
    if (config.office) params.set("office", config.office);
    const headers = {Accept: "application/json"};
    if (method !== "GET") headers["X-CSRF-Token"] = config.csrfToken;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(`${path}?${params}`, {method, headers, credentials: "same-origin", cache: "no-store",
                                                   body: body === undefined ? undefined : JSON.stringify(body)});
    } catch (failure) {
      throw new ApiError(0, null);
    }
    let answer = null;
    try {
      answer = await response.json();
    } catch (failure) {
      answer = null;
    }
    if (!response.ok) throw new ApiError(response.status, answer);
    return answer;
  }

  function showError(message) {
    $("status").textContent = "";
    $("error").textContent = message;
  }

  function showStatus(message) {
    $("error").textContent = "";
    $("status").textContent = message;
  }

  function clearFields(form) {
    form.querySelectorAll(".field-error").forEach((note) => note.remove());
    form.querySelectorAll("[aria-invalid]").forEach((field) => {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-describedby");
    });
  }

  /* A refusal: a session that ended goes to the sign-in page; the fields the API names get their
   * message beside them (the first one focused); anything else is shown at the top. */
  function fail(failure, form) {
    if (!(failure instanceof ApiError)) throw failure;
    if (failure.status === 401) {
      showError(text.signedOut);
      window.location.assign(`/call-centre/login?lang=${encodeURIComponent(config.lang)}`);
      return;
    }
    let first = null;
    Object.entries((form && failure.fields) || {}).forEach(([name, message]) => {
      const field = form.querySelector(`[name="${CSS.escape(name)}"]`);
      if (!field) return;
      const note = document.createElement("p");
      note.className = "field-error";
      note.id = `${field.id}-error`;
      note.textContent = message;
      field.closest(".field").append(note);
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", note.id);
      first = first || field;
    });
    if (first) {
      showError(text.fieldProblem);
      first.focus();
      return;
    }
    showError(failure.message);
  }

  /* The form's filled fields as an object (empty ones left out). */
  function values(form) {
    const body = {};
    new FormData(form).forEach((value, name) => {
      if (String(value).trim()) body[name] = String(value).trim();
    });
    return body;
  }

  const when = (iso) => {
    const moment = iso.slice(0, 16).replace("T", " ");
    return moment;
  };

  /* The listing's free times as buttons in `holder`, a list per day; `pick(slot)` on a click. */
  function showSlots(holder, listing, pick) {
    holder.replaceChildren();
    let offered = 0;
    listing.days.forEach((day) => {
      const free = day.slots.filter((slot) => slot.free > 0);
      if (!free.length && !day.draw) return;
      const heading = document.createElement("h3");
      heading.textContent = new Date(`${day.date}T00:00:00Z`).toLocaleDateString(
        config.lang, {weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC"});
      holder.append(heading);
      if (day.draw) {
        const note = document.createElement("p");
        note.className = "hint";
        note.textContent = format(text.draw, {until: when(day.draw.closes_at)});
        holder.append(note);
        if (day.draw.id && day.draw.status === "open") {
          const enter = document.createElement("button");
          enter.type = "button";
          enter.className = "button";
          enter.textContent = text.enterDraw;
          enter.addEventListener("click", () => pick({draw: day.draw, day: day.date}));
          holder.append(enter);
          offered += 1;
        }
        return;
      }
      const list = document.createElement("ul");
      list.className = "slot-list";
      free.forEach((slot) => {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "button";
        button.textContent = format(text.free, {time: slot.start.slice(11, 16), free: slot.free});
        button.addEventListener("click", () => pick(slot));
        item.append(button);
        list.append(item);
        offered += 1;
      });
      holder.append(list);
    });
    if (!offered) {
      const none = document.createElement("p");
      none.className = "hint";
      none.textContent = text.noFree;
      holder.append(none);
    }
  }

  async function freeTimes(service, from) {
    const query = {service};
    if (from) query.from = from;
    return api("GET", "/api/v1/call-centre/slots", undefined, query);
  }

  window.CallCentre = {config, text, $, api, format, fail, showError, showStatus, clearFields, values, when,
                       showSlots, freeTimes};
})();
