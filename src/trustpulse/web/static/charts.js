/* Renders every <div data-chart="ID"> from the JSON in <script type="application/json" id="ID">.
   The server sends data specs only (no code); options are built here. Click a point that has a
   link to open its breakdown. */
(function () {
  "use strict";
  var lang = document.documentElement.lang === "en" ? "EN" : "ZH";
  var palette = ["#0b3d91", "#d9822b", "#2f9e44", "#c92a2a", "#7048e8", "#1098ad"];

  function band(spec) {
    var series = [];
    spec.series.forEach(function (s, i) {
      var color = palette[i % palette.length];
      var stack = "band" + i;
      series.push({ name: s.name + " low", type: "line", data: s.low, stack: stack,
        lineStyle: { opacity: 0 }, symbol: "none", silent: true, tooltip: { show: false } });
      series.push({ name: s.name + " band", type: "line", stack: stack, symbol: "none", silent: true,
        data: s.high.map(function (h, j) { return h === null || s.low[j] === null ? null : h - s.low[j]; }),
        lineStyle: { opacity: 0 }, areaStyle: { color: color, opacity: 0.15 }, tooltip: { show: false } });
      var line = { name: s.name, type: "line", data: s.values, color: color, symbolSize: 7,
        connectNulls: false, z: 3 };
      if (spec.target !== null && spec.target !== undefined && i === 0) {
        line.markLine = { symbol: "none", silent: true, lineStyle: { type: "dashed", color: "#868e96" },
          label: { formatter: spec.targetLabel || "" }, data: [{ yAxis: spec.target }] };
      }
      series.push(line);
    });
    return {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v.toFixed(spec.digits || 1); } },
      legend: { data: spec.series.map(function (s) { return s.name; }), top: 0 },
      grid: { left: 48, right: 56, top: 36, bottom: 32 },
      xAxis: { type: "category", data: spec.x, boundaryGap: false },
      yAxis: { type: "value", scale: true, name: spec.unit || "" },
      series: series
    };
  }

  function bars(spec) {
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 24, top: 36, bottom: 48 },
      xAxis: { type: "category", data: spec.x, axisLabel: { interval: 0, rotate: spec.x.length > 8 ? 30 : 0 } },
      yAxis: { type: "value", name: spec.unit || "" },
      series: spec.series.map(function (s, i) {
        return { name: s.name, type: "bar", data: s.values, stack: s.stack || undefined,
          color: s.color || palette[i % palette.length] };
      })
    };
  }

  function quadrant(spec) {
    return {
      tooltip: { formatter: function (p) {
        return p.data.name + "<br>" + spec.xName + ": " + p.data.value[0].toFixed(2) +
          "<br>" + spec.yName + ": " + (100 * p.data.value[1]).toFixed(1) + "%"; } },
      grid: { left: 56, right: 32, top: 24, bottom: 48 },
      xAxis: { type: "value", name: spec.xName, nameLocation: "middle", nameGap: 28, scale: true },
      yAxis: { type: "value", name: spec.yName, axisLabel: { formatter: function (v) { return (100 * v).toFixed(0) + "%"; } } },
      series: [{ type: "scatter", symbolSize: 14, color: palette[0],
        data: spec.points.map(function (p) { return { name: p.name, value: [p.x, p.y] }; }),
        label: { show: true, position: "right", formatter: function (p) { return p.data.name; }, fontSize: 11 },
        markLine: { symbol: "none", silent: true, label: { show: false },
          lineStyle: { type: "dashed", color: "#868e96" },
          data: [{ xAxis: spec.xLine }, { yAxis: spec.yLine }] } }]
    };
  }

  function curve(spec) {
    var pct = function (v) { return v === null ? "—" : (100 * v).toFixed(1) + "%"; };
    return {
      tooltip: { trigger: "item", formatter: function (p) {
        if (p.seriesIndex === 0) {
          var b = spec.bands[p.dataIndex];
          return b.label + "<br>" + spec.observedName + ": " + pct(b.rate) + " (" + pct(b.low) +
            " – " + pct(b.high) + ")<br>" + spec.nName + ": " + b.n;
        }
        return spec.xName + " " + p.data[0] + ": " + pct(p.data[1]); } },
      legend: { top: 0, data: [spec.observedName].concat(spec.curve.length ? [spec.curveName] : []) },
      grid: { left: 56, right: 32, top: 36, bottom: 48 },
      xAxis: { type: "value", min: 0, max: 100, name: spec.xName, nameLocation: "middle", nameGap: 28 },
      yAxis: { type: "value", min: 0, max: 1, name: spec.yName, axisLabel: { formatter: function (v) { return (100 * v).toFixed(0) + "%"; } } },
      series: [
        { name: spec.observedName, type: "scatter", color: palette[0],
          symbolSize: function (v, p) { return 6 + Math.min(18, Math.sqrt(spec.bands[p.dataIndex].n)); },
          data: spec.bands.map(function (b) { return [b.x, b.rate]; }),
          markLine: { symbol: "none", silent: true, lineStyle: { color: palette[0], opacity: 0.5 },
            label: { show: false },
            data: spec.bands.map(function (b) { return [{ coord: [b.x, b.low] }, { coord: [b.x, b.high] }]; }) } },
        { name: spec.curveName, type: "line", color: palette[1], symbol: "none", smooth: true,
          data: spec.curve }
      ]
    };
  }

  var builders = { band: band, bars: bars, quadrant: quadrant, curve: curve };
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source || typeof echarts === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var chart = echarts.init(el, null, { locale: lang, renderer: "svg" });
    chart.setOption(builders[spec.kind](spec));
    if (spec.links) {
      chart.on("click", function (p) {
        var url = spec.links[p.dataIndex];
        if (url) { window.location.href = url; }
      });
    }
    window.addEventListener("resize", function () { chart.resize(); });
    el.setAttribute("data-rendered", "true");
  });
})();
