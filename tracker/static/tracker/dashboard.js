/* Draws the dashboard charts from the numbers the page embeds (json_script "chart-data").
   The same numbers are in the tables under each chart, so nothing here is needed to read them. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var text = data.text;
  var colours = { completion: "#0b3d6e", on_time: "#2e7d32", overdue: "#c62828", closed: "#0b3d6e", reports: "#6f8fbf" };
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.color = "#1b1f24";
  // Motion adds nothing to a report and bothers people who asked their system for less of it.
  Chart.defaults.animation = false;

  function sizeFor(canvas, n) {
    canvas.parentElement.style.height = Math.max(220, n * 30 + 90) + "px";
  }

  function rates(id, series) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    sizeFor(canvas, series.labels.length);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: [
          { label: text.completion, data: series.completion, backgroundColor: colours.completion },
          { label: text.on_time, data: series.on_time, backgroundColor: colours.on_time }
        ]
      },
      options: {
        indexAxis: "y", maintainAspectRatio: false,
        scales: { x: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } }
      }
    });
  }

  function overdue(id, series) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    sizeFor(canvas, series.labels.length);
    new Chart(canvas, {
      type: "bar",
      data: { labels: series.labels, datasets: [{ label: text.overdue, data: series.overdue, backgroundColor: colours.overdue }] },
      options: { indexAxis: "y", maintainAspectRatio: false, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }

  rates("chart-agency-rates", data.agency);
  overdue("chart-agency-overdue", data.agency);
  rates("chart-document-rates", data.document);
  overdue("chart-document-overdue", data.document);

  var trend = document.getElementById("chart-trend");
  if (trend) {
    new Chart(trend, {
      type: "line",
      data: {
        labels: data.trend.labels,
        datasets: [
          { label: text.closed, data: data.trend.closed, borderColor: colours.closed, backgroundColor: colours.closed, tension: 0 },
          { label: text.reports, data: data.trend.reports, borderColor: colours.reports, backgroundColor: colours.reports, borderDash: [6, 4], tension: 0 }
        ]
      },
      options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
})();
