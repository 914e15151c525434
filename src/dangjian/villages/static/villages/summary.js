// 组团帮扶's charts: collective income per district or town (this year and the year before, bars;
// the average per village, line) and the towns' rural per-capita disposable income (line).
(function () {
  "use strict";
  var data = document.getElementById("villages-data");
  if (!data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  var charts = [];
  var el = document.getElementById("areaChart");
  if (el) {
    var c = window.echarts.init(el);
    c.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: ["本年合计（万元）", "上年合计（万元）", "村均（万元）"], type: "scroll" },
      grid: { left: 50, right: 50, bottom: 40, top: 40 },
      xAxis: { type: "category", data: d.names, axisLabel: { interval: 0, rotate: d.names.length > 6 ? 30 : 0 } },
      yAxis: [{ type: "value" }, { type: "value", splitLine: { show: false } }],
      series: [
        { name: "本年合计（万元）", type: "bar", data: d.total, itemStyle: { color: "#c8161d" } },
        { name: "上年合计（万元）", type: "bar", data: d.previous, itemStyle: { color: "#adb5bd" } },
        { name: "村均（万元）", type: "line", yAxisIndex: 1, data: d.average, itemStyle: { color: "#f0ad4e" } },
      ],
    });
    charts.push(c);
  }
  var tr = document.getElementById("trendChart");
  if (tr) {
    var t = window.echarts.init(tr);
    t.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 40, right: 20, bottom: 25, top: 15 },
      xAxis: { type: "category", data: d.trend_years },
      yAxis: { type: "value", scale: true },
      series: [{ name: "人均可支配收入（万元）", type: "line", data: d.trend, itemStyle: { color: "#c8161d" }, label: { show: true } }],
    });
    charts.push(t);
  }
  var vc = document.getElementById("villageChart");
  if (vc) {
    var v = window.echarts.init(vc);
    v.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: ["村集体收入（万元）", "其中经营性（万元）"] },
      grid: { left: 50, right: 20, bottom: 25, top: 35 },
      xAxis: { type: "category", data: d.years },
      yAxis: { type: "value" },
      series: [
        { name: "村集体收入（万元）", type: "bar", data: d.collective, itemStyle: { color: "#c8161d" } },
        { name: "其中经营性（万元）", type: "bar", data: d.operating, itemStyle: { color: "#f0ad4e" } },
      ],
    });
    charts.push(v);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
