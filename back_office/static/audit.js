/* Back office, Audit log: every change, newest first (who, when, what, before → after), 200 at a
 * time with "Older changes"; filtered by kind; the same as CSV. GET /api/v1/admin/audit[.csv]. */
(() => {
  "use strict";

  const {api, fail, format, readForm, el, when, text, $, config} = window.Admin;
  const filter = $("audit-filter");
  const MAX_LINES = 8;
  let olderThan = null;

  const LONGEST = 80;
  const shown = (value) => {
    const said = value === undefined || value === null ? "–" : typeof value === "object" ? JSON.stringify(value)
      : String(value);
    return said.length > LONGEST ? `${said.slice(0, LONGEST - 1)}…` : said;
  };

  /* Every leaf of a nested object as "a.b.c" -> value (lists are one value). */
  function leaves(value, prefix, into) {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      Object.entries(value).forEach(([key, inner]) => leaves(inner, prefix ? `${prefix}.${key}` : key, into));
    } else if (prefix) {
      into[prefix] = value;
    }
    return into;
  }

  /* What changed, one line a field: "hours.sat: – → 09:00-13:00". */
  function difference(before, after) {
    if (before == null && after == null) return [];
    const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
    // Something added or removed whole is shown field by field too (an office loaded: its keys).
    if (before == null && isObject(after)) before = {};
    if (after == null && isObject(before)) after = {};
    if (!isObject(before) || !isObject(after)) {
      if (before == null) return [el("li", {}, `${text.added}: ${shown(after)}`)];
      if (after == null) return [el("li", {}, `${text.removed}: ${shown(before)}`)];
      return [el("li", {}, `${shown(before)} → ${shown(after)}`)];
    }
    const old = leaves(before, "", {});
    const now = leaves(after, "", {});
    const keys = [...new Set([...Object.keys(old), ...Object.keys(now)])]
      .filter((key) => JSON.stringify(old[key]) !== JSON.stringify(now[key]));
    const lines = keys.slice(0, MAX_LINES).map((key) => el("li", {}, el("span", {class: "path"}, key), ": ",
                                                            shown(old[key]), " → ", shown(now[key])));
    if (keys.length > MAX_LINES) lines.push(el("li", {}, format(text.more, {count: keys.length - MAX_LINES})));
    return lines;
  }

  async function load(more) {
    const query = {};
    const values = readForm(filter);
    if (values.action) query.action = values.action;
    if (values.actor) query.actor = values.actor;
    if (more && olderThan) query.older_than = olderThan;
    const csv = new URLSearchParams({lang: config.lang});
    if (config.office) csv.set("office", config.office);
    if (values.action) csv.set("action", values.action);
    if (values.actor) csv.set("actor", values.actor);
    $("audit-csv").href = `/api/v1/admin/audit.csv?${csv}`;
    try {
      const answer = await api("GET", "/api/v1/admin/audit", undefined, query);
      const rows = answer.changes.map((change) => el("tr", {"data-change": change.id},
        el("td", {class: "nowrap"}, when(change.at)),
        el("td", {}, change.actor),
        el("th", {scope: "row"}, change.action, el("br"), el("span", {class: "hint"}, change.target || "")),
        el("td", {}, el("ul", {class: "changes"}, difference(change.before, change.after)))));
      if (more) $("audit-rows").append(...rows);
      else $("audit-rows").replaceChildren(...rows);
      olderThan = answer.older_than || (answer.changes.length ? answer.changes[answer.changes.length - 1].id : null);
      $("audit-older").hidden = answer.changes.length < 200;
      $("audit-empty").hidden = $("audit-rows").children.length > 0;
    } catch (failure) {
      fail(failure, filter);
    }
  }

  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    load(false);
  });
  $("audit-older").addEventListener("click", () => load(true));
  load(false);
})();
