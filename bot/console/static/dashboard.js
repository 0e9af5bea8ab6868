// Teman Migran staff console: the monitoring dashboard's charts (Chart.js, vendored).
// The figures come from the page's data-charts attribute; counts under 5 arrive as null and are not drawn.
"use strict";

(function () {
  const COLOURS = ["#1f5fae", "#b3261e", "#9a5b00", "#1e6b3a", "#6b3fa0", "#0f7c8c", "#8a4b2a", "#5b6571"];

  function draw(canvas, chart) {
    const line = chart.type === "line";
    const datasets = chart.datasets
      ? chart.datasets.map((d, i) => ({ label: d.label, data: d.values, borderColor: COLOURS[i], backgroundColor: COLOURS[i], spanGaps: false }))
      : [{ label: chart.title, data: chart.values, backgroundColor: COLOURS[0] }];
    return new window.Chart(canvas, {
      type: line ? "line" : "bar",
      data: { labels: chart.labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: line ? "x" : "y",  // long Indonesian labels read better on the side, also on a phone
        plugins: {
          legend: { display: Boolean(chart.datasets) },
          tooltip: {
            callbacks: {
              label: (item) => (item.raw === null ? "<5" : String(item.raw)),
            },
          },
        },
        scales: line ? { y: { beginAtZero: true, ticks: { precision: 0 } } } : { x: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("dashboard");
    if (!root || !window.Chart) return;
    const charts = JSON.parse(root.dataset.charts || "{}");
    for (const canvas of root.querySelectorAll("canvas[data-chart]")) {
      const chart = charts[canvas.dataset.chart];
      if (chart && chart.labels.length) canvas.chart = draw(canvas, chart);
      canvas.dataset.drawn = chart && chart.labels.length ? "yes" : "empty";
    }
    root.dataset.ready = "yes";
  });
})();
