/* nevport portal charts.
 *
 * The server renders every chart as a spec in <script id="chart-data" type="application/json">:
 *   {id, kind: "pie" | "bar" | "hbar" | "line", labels: [...], series: [{name, values: [...]}], unit}
 * Titles and labels arrive translated; this file only turns specs into ECharts options.
 * Loaded on every page; charts are drawn only where the page carries chart data.
 */
(function () {
  "use strict";

  var PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#7c3aed", "#0d9488", "#db2777", "#64748b"];
  var AXIS = { color: "#64708a" };
  var SPLIT = { lineStyle: { color: "#eef1f6" } };
  var FONT = "sans-serif";

  function tooltip(unit) {
    return {
      trigger: "item",
      valueFormatter: function (value) {
        return unit ? value.toLocaleString() + " " + unit : value.toLocaleString();
      }
    };
  }

  var NARROW = 480;  // [px] below this a pie's legend goes under the ring

  function pie(spec, width) {
    var narrow = width < NARROW;
    var legend = narrow
      ? { bottom: 0, left: "center", textStyle: AXIS, itemWidth: 12, itemHeight: 12 }
      : { orient: "vertical", right: 8, top: "middle", textStyle: AXIS, itemWidth: 12, itemHeight: 12 };
    return {
      color: PALETTE,
      tooltip: tooltip(spec.unit),
      legend: legend,
      series: [{
        type: "pie",
        radius: narrow ? ["36%", "58%"] : ["48%", "74%"],
        center: narrow ? ["50%", "40%"] : ["36%", "50%"],
        itemStyle: { borderColor: "#fff", borderWidth: 2, borderRadius: 4 },
        label: { formatter: "{c}", color: "#344054" },
        data: spec.labels.map(function (label, i) {
          return { name: label, value: spec.series[0].values[i] };
        })
      }]
    };
  }

  function bar(spec, horizontal) {
    var categoryAxis = { type: "category", data: spec.labels, axisLabel: AXIS,
      axisLine: { lineStyle: { color: "#cfd6e2" } }, axisTick: { show: false } };
    var valueAxis = { type: "value", name: spec.unit || "", nameTextStyle: AXIS,
      axisLabel: AXIS, splitLine: SPLIT };
    if (horizontal) { categoryAxis.inverse = true; }
    var many = spec.series.length > 1;
    return {
      color: PALETTE,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: many ? { top: 0, textStyle: AXIS } : undefined,
      grid: { left: 12, right: 24, top: many ? 36 : 28, bottom: 8, containLabel: true },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: spec.series.map(function (s) {
        return {
          type: "bar", name: s.name, data: s.values, barMaxWidth: 28,
          itemStyle: { borderRadius: horizontal ? [0, 4, 4, 0] : [4, 4, 0, 0] },
          label: { show: !many, position: horizontal ? "right" : "top", color: "#344054" }
        };
      })
    };
  }

  // Power over a day: labels are times, values may be null (no reading: a gap, not 0).
  function line(spec) {
    return {
      color: PALETTE,
      tooltip: { trigger: "axis" },
      legend: { top: 0, textStyle: AXIS },
      grid: { left: 12, right: 24, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: spec.labels, axisLabel: AXIS, boundaryGap: false },
      yAxis: { type: "value", name: spec.unit || "", nameTextStyle: AXIS, axisLabel: AXIS,
        splitLine: SPLIT },
      series: spec.series.map(function (s) {
        return { type: "line", name: s.name, data: s.values, step: "end", showSymbol: false,
          connectNulls: false, areaStyle: { opacity: 0.08 } };
      })
    };
  }

  var BUILDERS = {
    line: line,
    pie: pie,
    bar: function (spec) { return bar(spec, false); },
    hbar: function (spec) { return bar(spec, true); }
  };

  function renderAll() {
    var source = document.getElementById("chart-data");
    if (!source || typeof echarts === "undefined") { return; }
    var specs = JSON.parse(source.textContent);
    FONT = getComputedStyle(document.body).fontFamily;
    var charts = [];
    specs.forEach(function (spec) {
      var element = document.getElementById("chart-" + spec.id);
      var build = BUILDERS[spec.kind];
      if (!element || !build) { return; }
      var chart = echarts.init(element, null, { renderer: "canvas" });
      var option = build(spec, element.clientWidth);
      option.textStyle = { fontFamily: FONT };  // the page's stack, with its CJK fallbacks
      chart.setOption(option);
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
    document.documentElement.dataset.chartsReady = String(charts.length);
  }

  // After htmx has changed the address (filters), a language switch returns there.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".lang-switch a") : null;
    if (link) {
      link.href = link.pathname + "?next=" + encodeURIComponent(location.pathname + location.search);
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderAll);
  } else {
    renderAll();
  }
}());
