/* Charts without inline script (ready for a Content-Security-Policy): every element with data-chart="<id>"
   is drawn with Apache ECharts from the JSON in <script type="application/json" id="<id>"> (Django's
   json_script). ECharts (vendored, scripts/vendor_echarts.sh) is loaded only on pages that have a chart.
   A data item carrying "url" opens it on click: each figure leads to the list behind it. */
(function () {
  var me = document.currentScript;
  var src = me && me.getAttribute("data-echarts");
  var loading = null;

  function draw(nodes) {
    nodes.forEach(function (el) {
      var holder = document.getElementById(el.getAttribute("data-chart"));
      if (!holder) return;
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(JSON.parse(holder.textContent));
      chart.on("click", function (p) {
        if (p.data && p.data.url) window.location.href = p.data.url;
      });
      el.setAttribute("data-chart-ready", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function init() {
    var nodes = Array.prototype.slice.call(document.querySelectorAll("[data-chart]:not([data-chart-ready])"));
    if (!nodes.length) return;
    if (window.echarts) return draw(nodes);
    if (!loading) {
      loading = document.createElement("script");
      loading.src = src;
      document.head.appendChild(loading);
    }
    loading.addEventListener("load", function () { draw(nodes); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:afterSwap", init);
})();
