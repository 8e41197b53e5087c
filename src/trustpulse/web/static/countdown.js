// Live SLA countdowns: every element with data-due (a UTC instant, ISO 8601) is rewritten each
// second in the words the page embeds (#countdown-words). The server rendered the first text,
// so the page reads the same without JavaScript; stopped clocks carry no data-due.
(function () {
  "use strict";
  var source = document.getElementById("countdown-words");
  if (!source) { return; }
  var words = JSON.parse(source.textContent);
  var SOON = 3600;

  function span(seconds) {
    var rest = Math.abs(seconds);
    var parts = [[Math.floor(rest / 86400), "d"], [Math.floor(rest % 86400 / 3600), "h"],
                 [Math.floor(rest % 3600 / 60), "m"], [rest % 60, "s"]];
    var first = 3;
    for (var k = 0; k < parts.length; k++) { if (parts[k][0]) { first = k; break; } }
    return parts.slice(first, first + 3).map(function (p) {
      return words[p[1]].replace("%(n)s", String(p[0]));
    }).join(" ");
  }

  function tick() {
    var now = Date.now();
    var clocks = document.querySelectorAll("[data-due]");
    for (var k = 0; k < clocks.length; k++) {
      var el = clocks[k];
      var left = Math.trunc((Date.parse(el.getAttribute("data-due")) - now) / 1000);
      var template = left >= 0 ? words.left : words.overdue;
      el.textContent = template.replace("%(time)s", span(left));
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < SOON);
    }
  }

  tick();
  window.setInterval(tick, 1000);
})();
