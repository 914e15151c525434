// 非公党建's charts: coverage rates per park (bars) and over the last twelve months (lines).
(function () {
  "use strict";
  var data = document.getElementById("enterprises-data");
  if (!data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  var charts = [];
  var pc = document.getElementById("parkChart");
  if (pc) {
    var c = window.echarts.init(pc);
    c.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: ["组织覆盖率（%）", "工作覆盖率（%）"] },
      grid: { left: 40, right: 20, bottom: 40, top: 35 },
      xAxis: { type: "category", data: d.parks, axisLabel: { interval: 0, rotate: d.parks.length > 5 ? 30 : 0 } },
      yAxis: { type: "value", max: 100 },
      series: [
        { name: "组织覆盖率（%）", type: "bar", data: d.org_rate, itemStyle: { color: "#c8161d" } },
        { name: "工作覆盖率（%）", type: "bar", data: d.work_rate, itemStyle: { color: "#f0ad4e" } },
      ],
    });
    charts.push(c);
  }
  var tr = document.getElementById("trendChart");
  if (tr) {
    var t = window.echarts.init(tr);
    t.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: ["组织覆盖率（%）", "工作覆盖率（%）"] },
      grid: { left: 40, right: 20, bottom: 25, top: 35 },
      xAxis: { type: "category", data: d.months },
      yAxis: { type: "value", scale: true },
      series: [
        { name: "组织覆盖率（%）", type: "line", data: d.trend_org, itemStyle: { color: "#c8161d" } },
        { name: "工作覆盖率（%）", type: "line", data: d.trend_work, itemStyle: { color: "#f0ad4e" } },
      ],
    });
    charts.push(t);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
