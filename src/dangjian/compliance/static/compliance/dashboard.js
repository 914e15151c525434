// The dashboard's trend of new findings (data from the json_script #trend-data).
(function () {
  var data = JSON.parse(document.getElementById("trend-data").textContent);
  var chart = echarts.init(document.getElementById("trend"));
  chart.setOption({
    grid: {left: 36, right: 12, top: 16, bottom: 28},
    tooltip: {trigger: "axis"},
    xAxis: {type: "category", data: data.map(function (d) { return d.month; })},
    yAxis: {type: "value", minInterval: 1},
    series: [{name: "新发现预警", type: "bar", data: data.map(function (d) { return d.opened; }), itemStyle: {color: "#c8161d"}}]
  });
})();
