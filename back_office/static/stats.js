/* Back office, Statistics: pick a day, week or month; see its charts and tables; download them.
 *
 * GET /api/v1/admin/stats?period=…&date=… gives the tables (columns with their kind, rows);
 * /api/v1/admin/stats/charts/{chart}.svg each chart, put inline (so that it takes the page's fonts:
 * Hindi and Georgian letters too). The period is kept in the page's address, so a reload or a shared
 * link shows the same figures.
 */
(() => {
  "use strict";

  const {api, fail, format, clearMessages, el, day, text, config, $} = window.Admin;
  const whole = new Intl.NumberFormat(config.lang);
  const oneDecimal = new Intl.NumberFormat(config.lang, {maximumFractionDigits: 1});
  const percent = new Intl.NumberFormat(config.lang, {style: "percent", maximumFractionDigits: 1});
  const CHARTS = ["heat_map", "services", "queue"];
  let shown = null;   // the period of the answer on screen

  const minutes = (seconds) => {
    if (seconds == null) return "–";
    const value = seconds / 60;
    return format(text.minutes, {minutes: (value < 10 ? oneDecimal : whole).format(value)});
  };

  function cell(value, kind) {
    if (kind === "text") return value == null ? "" : String(value);
    if (value == null) return "–";
    if (kind === "seconds") return minutes(value);
    if (kind === "share") return percent.format(value);
    if (kind === "mean") return oneDecimal.format(value);
    return whole.format(value);
  }

  function query(period, date) {
    const asked = {period};
    if (date) asked.date = date;
    return asked;
  }

  function link(path, asked) {
    const params = new URLSearchParams({...asked, lang: config.lang});
    if (config.office) params.set("office", config.office);
    return `${path}?${params}`;
  }

  function remember(period, date) {
    const address = new URL(window.location.href);
    address.searchParams.set("period", period);
    if (date) address.searchParams.set("date", date);
    window.history.replaceState(null, "", address);
  }

  function renderTable(table, asked) {
    const id = `table-${table.key}`;
    const head = el("tr", {}, ...table.columns.map((column) =>
      el("th", {scope: "col", class: column.kind === "text" ? null : "num"}, column.label)));
    // A row is headed by its name where it has one (a service's), else by its first column.
    const headKey = table.columns.some((column) => column.key === "service_name") ? "service_name"
      : table.columns[0].key;
    const rows = table.rows.map((row, index) => {
      const isTotal = table.key === "services" && index === table.rows.length - 1;
      return el("tr", {class: isTotal ? "total-row" : null, "data-key": String(row[table.columns[0].key] ?? "")},
        ...table.columns.map((column) => {
          const value = cell(row[column.key], column.kind);
          if (column.key === headKey) return el("th", {scope: "row"}, value);
          return el("td", {class: column.kind === "text" ? null : "num", "data-figure": column.key}, value);
        }));
    });
    const csv = el("a", {class: "button", href: link("/api/v1/admin/stats.csv", {...asked, table: table.key}),
                         download: "", "aria-label": format(text.csvOf, {table: table.title})}, text.csv);
    return el("section", {class: "panel", "aria-labelledby": `${id}-title`, "data-table": table.key},
      el("div", {class: "panel-head"}, el("h2", {id: `${id}-title`}, table.title), csv),
      table.rows.length
        ? el("div", {class: "table-scroll", tabindex: "0", role: "region", "aria-labelledby": `${id}-title`},
             el("table", {class: "table stats-table", id}, el("thead", {}, head), el("tbody", {}, ...rows)))
        : el("p", {class: "hint"}, text.empty));
  }

  /* A chart is a document of its own (<object>): its styles are the SVG's, which the page's
   * Content-Security-Policy would refuse inline; its text takes the app's fonts through its own
   * @import of /fonts/scripts.css. Its title names it; its description is the caption too. */
  function showChart(chart, asked, titles) {
    const box = $(`chart-${chart.key}`);
    const table = box.closest("figure").dataset.table;
    box.replaceChildren(el("object", {type: "image/svg+xml", data: link(`/api/v1/admin/stats/charts/${chart.key}.svg`, asked),
                                      role: "img", "aria-label": chart.title, "data-chart": chart.key},
                           chart.description));
    $(`chart-${chart.key}-caption`).textContent = `${chart.description} `
      + format(text.chartTable, {table: titles[table] || table});
  }

  async function load(period, date) {
    const asked = query(period, date);
    try {
      const answer = await api("GET", "/api/v1/admin/stats", undefined, asked);
      clearMessages();
      shown = answer.period;
      const titles = Object.fromEntries(answer.tables.map((table) => [table.key, table.title]));
      const exact = {period: shown.kind, date: shown.first};
      const span = shown.first === shown.last ? day(shown.first)
        : format(text.span, {first: day(shown.first), last: day(shown.last)});
      $("period-title").textContent = `${format(text.periodTitle[shown.kind], {name: shown.name})}: ${span}`;
      $("xlsx-link").href = link("/api/v1/admin/stats.xlsx", exact);
      $("stats-tables").replaceChildren(...answer.tables.map((table) => renderTable(table, exact)));
      $("period-date").value = date || shown.first;
      document.querySelector(`input[name="period"][value="${shown.kind}"]`).checked = true;
      remember(shown.kind, date || shown.first);
      answer.charts.filter((chart) => CHARTS.includes(chart.key)).forEach((chart) => showChart(chart, exact, titles));
    } catch (failure) {
      fail(failure);
    }
  }

  const chosenPeriod = () => document.querySelector('input[name="period"]:checked').value;

  $("period-form").addEventListener("submit", (submitted) => {
    submitted.preventDefault();
    load(chosenPeriod(), $("period-date").value);
  });
  $("period-previous").addEventListener("click", () => { if (shown) load(shown.kind, shown.previous); });
  $("period-next").addEventListener("click", () => { if (shown) load(shown.kind, shown.next); });

  const start = new URLSearchParams(window.location.search);
  load(["day", "week", "month"].includes(start.get("period")) ? start.get("period") : "day", start.get("date") || "");
})();
