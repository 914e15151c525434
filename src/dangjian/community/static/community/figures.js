// The month-by-month chart of 近邻党建's figures: members reported (cumulative, line) and the
// month's services, issues raised and solved, volunteers (bars).
(function () {
  "use strict";
  var el = document.getElementById("figChart");
  var data = document.getElementById("fig-data");
  if (!el || !data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  var chart = window.echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: ["累计报到党员", "服务次数", "反映民情", "办结", "先锋队参加党员"], type: "scroll" },
    grid: { left: 40, right: 40, bottom: 30, top: 40 },
    xAxis: { type: "category", data: d.months },
    yAxis: [
      { type: "value", minInterval: 1 },
      { type: "value", minInterval: 1, splitLine: { show: false } },
    ],
    series: [
      { name: "累计报到党员", type: "line", yAxisIndex: 1, data: d.reported, itemStyle: { color: "#c8161d" } },
      { name: "服务次数", type: "bar", data: d.services, itemStyle: { color: "#f0ad4e" } },
      { name: "反映民情", type: "bar", data: d.raised, itemStyle: { color: "#adb5bd" } },
      { name: "办结", type: "bar", data: d.solved, itemStyle: { color: "#198754" } },
      { name: "先锋队参加党员", type: "bar", data: d.volunteers, itemStyle: { color: "#0d6efd" } },
    ],
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
