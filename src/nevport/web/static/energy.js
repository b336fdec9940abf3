/* nevport energy dashboard: live power over server-sent events, load curves, heatmap.
 *
 * The page carries <script id="energy-data" type="application/json">:
 *   {live: {url, name, unit}, curves: {labels, series: [{name, values}], unit},
 *    heatmap: {days: [...], cells: [[hour, dayIndex, kWh], ...], unit}}
 * Labels arrive translated. The heatmap is drawn as square scatter points because the
 * vendored ECharts build has no heatmap series; colours are interpolated here.
 */
(function () {
  "use strict";

  var PALETTE = ["#2563eb", "#94a3b8", "#16a34a"];
  var AXIS = { color: "#64708a" };
  var SPLIT = { lineStyle: { color: "#eef1f6" } };
  var LIVE_POINTS = 300;  // newest events kept on the live chart (10 min at 2 s)
  var drawn = 0;

  function ready() {
    drawn += 1;
    document.documentElement.dataset.energyCharts = String(drawn);
  }

  function lineOption(labels, series, unit) {
    return {
      color: PALETTE,
      tooltip: { trigger: "axis" },
      legend: { top: 0, textStyle: AXIS },
      grid: { left: 12, right: 24, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: labels, axisLabel: AXIS, boundaryGap: false },
      yAxis: { type: "value", name: unit, nameTextStyle: AXIS, axisLabel: AXIS, splitLine: SPLIT },
      series: series.map(function (s) {
        return { type: "line", name: s.name, data: s.values, showSymbol: false,
          connectNulls: false, areaStyle: { opacity: 0.08 } };
      })
    };
  }

  function colour(value, max) {  // white-blue ramp, by share of the largest cell
    var k = max > 0 ? value / max : 0;
    var from = [239, 246, 255], to = [29, 78, 216];
    var rgb = from.map(function (c, i) { return Math.round(c + (to[i] - c) * k); });
    return "rgb(" + rgb.join(",") + ")";
  }

  function heatmapOption(spec, width) {
    var max = spec.cells.reduce(function (m, c) { return Math.max(m, c[2]); }, 0);
    var size = Math.max(6, Math.min(22, (width - 80) / 24 - 2));
    var hours = [];
    for (var h = 0; h < 24; h += 1) { hours.push(String(h).padStart(2, "0")); }
    return {
      tooltip: { formatter: function (p) {
        return spec.days[p.value[1]] + " " + hours[p.value[0]] + ":00 — " +
          p.value[2].toLocaleString() + " " + spec.unit;
      } },
      grid: { left: 12, right: 12, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: hours, axisLabel: AXIS, splitLine: { show: false } },
      yAxis: { type: "category", data: spec.days, axisLabel: AXIS },
      series: [{ type: "scatter", symbol: "rect", symbolSize: size,
        data: spec.cells.map(function (c) {
          return { value: c, itemStyle: { color: colour(c[2], max) } };
        }) }]
    };
  }

  function live(spec) {
    var element = document.getElementById("energy-chart-live");
    if (!element || typeof EventSource === "undefined") { return; }
    var chart = echarts.init(element, null, { renderer: "canvas" });
    var times = [], values = [];
    chart.setOption(lineOption(times, [{ name: spec.name, values: values }], spec.unit));
    var kw = document.getElementById("energy-live-kw");
    var at = document.getElementById("energy-live-at");
    var first = true;
    var source = new EventSource(spec.url);
    source.addEventListener("power", function (event) {
      var data = JSON.parse(event.data);
      var stamp = data.at ? new Date(data.at) : new Date();
      times.push(stamp.toLocaleTimeString());
      values.push(data.total_kw);
      if (times.length > LIVE_POINTS) { times.shift(); values.shift(); }
      chart.setOption({ xAxis: { data: times }, series: [{ data: values }] });
      if (kw) { kw.textContent = data.total_kw === null ? "-" : data.total_kw.toFixed(1); }
      if (at) { at.textContent = stamp.toLocaleString(); }
      document.documentElement.dataset.energyLiveEvents = String(values.length);
      if (first) { first = false; ready(); }
    });
    window.addEventListener("beforeunload", function () { source.close(); });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function draw() {
    var source = document.getElementById("energy-data");
    if (!source || typeof echarts === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var charts = [];
    var curves = document.getElementById("energy-chart-curves");
    if (curves) {
      var c = echarts.init(curves, null, { renderer: "canvas" });
      c.setOption(lineOption(spec.curves.labels, spec.curves.series, spec.curves.unit));
      charts.push(c);
      ready();
    }
    var heat = document.getElementById("energy-chart-heatmap");
    if (heat) {
      var m = echarts.init(heat, null, { renderer: "canvas" });
      m.setOption(heatmapOption(spec.heatmap, heat.clientWidth));
      charts.push(m);
      ready();
    }
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
    live(spec.live);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
