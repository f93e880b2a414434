/* Okienko back office: what every section's script shares (window.Admin).
 *
 * Plain JavaScript, no framework. The server renders each section translated; this file talks to
 * the JSON API (/api/v1/admin/...) with the session's CSRF token, shows messages, asks to confirm,
 * puts a validation message next to the field the API names, and fills and reads forms.
 * Every text comes from the page (#admin-config, #section-text), never from here.
 */
(() => {
  "use strict";

  const config = JSON.parse(document.getElementById("admin-config").textContent);
  const own = document.getElementById("section-text");
  const text = {...config.messages, ...(own ? JSON.parse(own.textContent) : {})};
  const $ = (id) => document.getElementById(id);
  const STATUS_CLEAR_MS = 10000;
  let statusTimer = null;

  const format = (message, params) =>
    String(message).replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));

  class ApiError extends Error {
    constructor(status, body, fallback) {
      super(body && body.message ? body.message : fallback);
      this.status = status;
      this.code = body && body.error ? body.error : `http_${status}`;
      this.field = body && body.field ? body.field : null;
      this.body = body || {};
    }
  }

  function address(path, query) {
    const params = new URLSearchParams(query || {});
    params.set("lang", config.lang);
    if (config.office) params.set("office", config.office);
    return `${path}${path.includes("?") ? "&" : "?"}${params}`;
  }

  async function api(method, path, body, query) {
    const headers = {Accept: "application/json"};
    if (method !== "GET") headers["X-CSRF-Token"] = config.csrfToken;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    busy(1);
    try {
      let response;
      try {
        response = await fetch(address(path, query), {method, headers, credentials: "same-origin", cache: "no-store",
                                                      body: body === undefined ? undefined : JSON.stringify(body)});
      } catch (failure) {
        throw new ApiError(0, null, text.network);
      }
      if (response.status === 204) return null;
      let answer = null;
      try {
        answer = await response.json();
      } catch (failure) {
        answer = null;
      }
      if (!response.ok) throw new ApiError(response.status, answer, text.network);
      return answer;
    } finally {
      busy(-1);
    }
  }

  // While an answer is awaited the page's main region says so (aria-busy): assistive technology
  // waits for the whole update instead of reading a half-filled table, and so can a test.
  let inFlight = 0;
  function busy(change) {
    inFlight += change;
    const main = document.querySelector("main");
    if (!main) return;
    if (inFlight > 0) main.setAttribute("aria-busy", "true");
    else main.removeAttribute("aria-busy");
  }

  // ---- messages --------------------------------------------------------------------------

  function showError(message) {
    clearTimeout(statusTimer);
    $("status").textContent = "";
    $("error").textContent = message;
  }

  function showStatus(message) {
    $("error").textContent = "";
    $("status").textContent = message;
    clearTimeout(statusTimer);
    statusTimer = setTimeout(() => { $("status").textContent = ""; }, STATUS_CLEAR_MS);
  }

  function clearMessages() {
    $("error").textContent = "";
  }

  /* What to do with a refusal: a session that ended goes to the sign-in page; a field the API
   * names gets its message beside it (in `form`); anything else is shown at the top. */
  function fail(failure, form) {
    if (!(failure instanceof ApiError)) throw failure;
    if (failure.status === 401) {
      showError(text.signedOut);
      window.location.assign(`/admin/login?lang=${encodeURIComponent(config.lang)}`);
      return;
    }
    if (form && failure.field && markField(form, failure.field, failure.message)) {
      showError(text.fieldProblem);
      return;
    }
    showError(failure.message);
  }

  // ---- forms -----------------------------------------------------------------------------

  /* The field a path names ("hours.mon", "services[0].names.pl", "names"): the input of that name,
   * else the one whose name ends the path, else the group (fieldset) of that name. */
  function fieldFor(form, path) {
    const plain = String(path).replace(/\[(\d+)\]/g, ".$1");
    let parts = plain.split(".");
    // "booking.breaks.0" is the list field "booking.breaks": an item's index names no field of its own.
    while (parts.length > 1 && /^\d+$/.test(parts[parts.length - 1])) parts = parts.slice(0, -1);
    for (let start = 0; start < parts.length; start += 1) {
      const name = parts.slice(start).join(".");
      const found = form.querySelector(`[name="${CSS.escape(name)}"], [data-field="${CSS.escape(name)}"]`);
      if (found) return found;
    }
    return null;
  }

  function markField(form, path, message) {
    const field = fieldFor(form, path);
    if (!field) return false;
    const holder = field.closest(".field, fieldset") || field.parentElement;
    let note = holder.querySelector(".field-error");
    if (!note) {
      note = el("p", {class: "field-error", id: `${field.id || field.name || "field"}-error`});
      holder.append(note);
    }
    note.textContent = message;
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", note.id);
    if (typeof field.focus === "function") field.focus();
    return true;
  }

  function clearFields(form) {
    form.querySelectorAll(".field-error").forEach((note) => note.remove());
    form.querySelectorAll("[aria-invalid]").forEach((field) => {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-describedby");
    });
  }

  const setPath = (target, path, value) => {
    const parts = path.split(".");
    let place = target;
    parts.slice(0, -1).forEach((part) => { place = place[part] = place[part] || {}; });
    place[parts[parts.length - 1]] = value;
  };
  const getPath = (source, path) => path.split(".").reduce((place, part) => (place == null ? undefined : place[part]),
                                                           source);

  /* A form's named fields as an object: "names.pl" nests, checkboxes are true/false, number fields
   * numbers (empty: null), data-list fields lists (one item a line or separated by commas),
   * data-group checkboxes the list of the checked ones' values. */
  function readForm(form) {
    const values = {};
    form.querySelectorAll("input[name], select[name], textarea[name]").forEach((field) => {
      if (field.disabled || field.type === "radio" && !field.checked) return;
      if ("group" in field.dataset) {   // checkboxes of one name: the list of the checked ones' values
        const chosen = getPath(values, field.name) || [];
        setPath(values, field.name, field.checked ? [...chosen, field.value] : chosen);
        return;
      }
      let value = field.value.trim();
      if (field.type === "checkbox") value = field.checked;
      else if (field.type === "number" || "number" in field.dataset) value = value === "" ? null : Number(value);
      else if ("list" in field.dataset) value = value.split(/[\n,]+/).map((item) => item.trim()).filter(Boolean);
      else if (field.multiple) value = [...field.selectedOptions].map((option) => option.value);
      setPath(values, field.name, value);
    });
    return values;
  }

  function fillForm(form, values) {
    clearFields(form);
    form.querySelectorAll("input[name], select[name], textarea[name]").forEach((field) => {
      const value = getPath(values, field.name);
      if ("group" in field.dataset) field.checked = (value || []).map(String).includes(field.value);
      else if (field.type === "checkbox") field.checked = Boolean(value);
      else if (field.type === "radio") field.checked = String(value) === field.value;
      else if (field.multiple) [...field.options].forEach((o) => { o.selected = (value || []).includes(o.value); });
      else if (Array.isArray(value)) field.value = value.join(", ");
      else field.value = value == null ? "" : String(value);
    });
  }

  // ---- building the page -----------------------------------------------------------------

  /* el("td", {class: "num"}, "3"): an element with attributes (on* are listeners) and children. */
  function el(tag, attributes, ...children) {
    const element = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([name, value]) => {
      if (value === false || value == null) return;
      if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
      else element.setAttribute(name, value === true ? "" : String(value));
    });
    children.flat().forEach((child) => {
      if (child != null && child !== false) element.append(child instanceof Node ? child : String(child));
    });
    return element;
  }

  /* A copy of a <template id="...">'s content, its first element. */
  const fromTemplate = (id) => $(id).content.firstElementChild.cloneNode(true);

  /* Ask before something that cannot be undone; resolves true when the manager confirms. */
  function confirmWith(question, confirmLabel) {
    const dialog = $("confirm-dialog");
    $("confirm-question").textContent = question;
    $("confirm-yes").textContent = confirmLabel || text.confirm;
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), {once: true});
    });
  }

  /* Send a change with `send(confirmed)`; where it would take booked visits' slots away (409
   * bookings_cut_off) say whose and ask first, then send it again confirmed. False: not confirmed. */
  async function sendAsking(send) {
    try {
      await send(false);
      return true;
    } catch (failure) {
      if (!(failure instanceof ApiError) || failure.code !== "bookings_cut_off") throw failure;
      const visits = (failure.body.bookings || []).map((booking) => `${booking.code} (${when(booking.starts_at)})`);
      if (failure.body.count > visits.length) visits.push("…");
      if (!await confirmWith(format(text.cutOffQuestion, {count: failure.body.count, visits: visits.join(", ")}),
                             text.cutOffSave)) {
        return false;
      }
      await send(true);
      return true;
    }
  }

  // A dialog's Cancel button (data-close) closes it, wherever the dialog is.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-close]");
    if (!button) return;
    button.closest("dialog").close();
    clearMessages();   // what was said about the form given up on no longer applies
  });

  /* The object without its null and empty-list values: the API's defaults apply to what is left out. */
  const compact = (values) => Object.fromEntries(Object.entries(values).filter(([, value]) =>
    value != null && !(Array.isArray(value) && value.length === 0)));

  const zone = config.timezone;
  // An office keeps the 24-hour clock in every language (never "02:30 PM").
  const time = new Intl.DateTimeFormat(config.lang, {hour: "2-digit", minute: "2-digit", hourCycle: "h23",
                                                     timeZone: zone});
  /* A day in the language's names from the server (CLDR: config.dateNames), "4 დეკ." or with its
   * weekday "პარ, 4 დეკ.", for a language the browser has no dates for. */
  const spelled = (timeZone, {weekday = false, year = false} = {}) => ({format(moment) {
    const part = Object.fromEntries(new Intl.DateTimeFormat("en-US", {timeZone, year: "numeric", month: "numeric",
                                                                       day: "numeric"})
      .formatToParts(moment).map(({type, value}) => [type, Number(value)]));
    const text = `${part.day} ${config.dateNames.months[part.month - 1]}${year ? ` ${part.year}` : ""}`;
    const dayOfWeek = new Date(Date.UTC(part.year, part.month - 1, part.day)).getUTCDay();
    return weekday ? `${config.dateNames.weekdays[dayOfWeek]}, ${text}` : text;
  }});
  // Chromium's own ICU has dates only for the languages of its interface: not Belarusian nor Georgian.
  const formats = Intl.DateTimeFormat.supportedLocalesOf([config.lang]).length ? {
    time,
    dateTime: new Intl.DateTimeFormat(config.lang, {dateStyle: "medium", timeStyle: "short", hourCycle: "h23",
                                                    timeZone: zone}),
    date: new Intl.DateTimeFormat(config.lang, {weekday: "short", day: "numeric", month: "short", timeZone: "UTC"}),
    shortDate: new Intl.DateTimeFormat(config.lang, {day: "numeric", month: "short", timeZone: "UTC"}),
  } : {
    time,
    dateTime: {format: (moment) => `${spelled(zone, {year: true}).format(moment)}, ${time.format(moment)}`},
    date: spelled("UTC", {weekday: true}),
    shortDate: spelled("UTC"),
  };
  /* A moment in the office's time; "recent": the time alone when it is today. */
  const when = (iso, kind) => {
    if (!iso) return "";
    const moment = new Date(iso);
    if (kind === "recent") kind = localDate(moment) === localDate(new Date()) ? "time" : "dateTime";
    return formats[kind || "dateTime"].format(moment);
  };
  /* A plain date ("2026-12-05") in words, read as that calendar day wherever the browser is. */
  const day = (isoDate, short) => formats[short ? "shortDate" : "date"].format(new Date(`${isoDate}T00:00:00Z`));
  const localDate = (moment) => new Intl.DateTimeFormat("en-CA", {timeZone: zone}).format(moment);

  window.Admin = {
    config, text, api, ApiError, fail, format, showError, showStatus, clearMessages, markField, clearFields,
    readForm, fillForm, compact, el, fromTemplate, confirm: confirmWith, sendAsking, when, day, localDate, $,
  };
})();
