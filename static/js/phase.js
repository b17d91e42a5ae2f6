/* The exercise's phase on any page: when a phase opens or the clock changes (STARTEX), the parts
   of the page marked data-phase-live are fetched again, so they read in the viewer's language. */
"use strict";
(function () {
  const parts = Array.from(document.querySelectorAll("[data-phase-live]"));
  if (!parts.length) return;
  let timer = null;
  let opened = null;  /* the phase just opened, announced once its title is read in the page's language */
  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(async function () {
      const response = await fetch(window.location.href, { credentials: "same-origin" });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      parts.forEach(function (part) {
        const fresh = page.getElementById(part.id);
        if (!fresh) return;
        part.innerHTML = fresh.innerHTML;
        part.hidden = fresh.hidden;
        window.Drillboard.formatTimes(part);
      });
      if (opened) {
        const shown = document.querySelector("[data-phase-title]");
        window.Drillboard.toast(window.Drillboard.t("phase_opened", { title: shown ? shown.textContent.trim() : opened }), "info");
        opened = null;
      }
    }, 200);
  }
  document.addEventListener("drillboard:phase", function (event) {
    opened = event.detail.title;
    refresh();
  });
  document.addEventListener("drillboard:clock", refresh);
})();
