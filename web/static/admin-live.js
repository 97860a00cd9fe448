/* Buurtbaken dashboard, live: with JavaScript the figures update in place every 15 seconds
   (and as soon as the tablet is woken up) instead of the whole page reloading every 30.
   Only when the coordinator switched refreshing on; nothing is needed without JavaScript. */
(function () {
  "use strict";
  var main = document.querySelector("main[data-live]");
  if (!main || !window.fetch || !window.DOMParser) { return; }
  var meta = document.querySelector('meta[http-equiv="refresh"]');
  if (meta) { meta.parentNode.removeChild(meta); }
  var seconds = parseInt(main.getAttribute("data-live"), 10) || 15;
  var busy = false;

  function typing() {
    var active = document.activeElement;
    return active && main.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  }

  function update() {
    if (busy || document.hidden || typing()) { return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main[data-live]");
        if (fresh) {
          main.innerHTML = fresh.innerHTML;
          main.setAttribute("data-updated", new Date().toISOString());
        }
      })
      .catch(function () { /* the hub is busy or gone: the next round tries again */ })
      .then(function () { busy = false; });
  }

  window.setInterval(update, seconds * 1000);
  window.addEventListener("focus", update);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { update(); } });
}());
