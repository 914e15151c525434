// The coverage chart of the 近邻党建 page: 小区, with a party branch or group, 红色物业 per child.
(function () {
  "use strict";
  var el = document.getElementById("coverChart");
  var data = document.getElementById("cover-data");
  if (!el || !data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  var chart = window.echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: ["小区", "已建党组织", "红色物业"] },
    grid: { left: 40, right: 10, bottom: 60, top: 30 },
    xAxis: { type: "category", data: d.names, axisLabel: { interval: 0, rotate: 30, fontSize: 10 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "小区", type: "bar", data: d.places, itemStyle: { color: "#adb5bd" } },
      { name: "已建党组织", type: "bar", data: d.branch, itemStyle: { color: "#c8161d" } },
      { name: "红色物业", type: "bar", data: d.red, itemStyle: { color: "#f0ad4e" } },
    ],
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
