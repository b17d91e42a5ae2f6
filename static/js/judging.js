/* The marking page: choosing a level fills its criterion's score. The score stays a number
   field, so marking works without this script; the level buttons only save typing. */
(function () {
  "use strict";
  document.querySelectorAll("button[data-level-for]").forEach(function (button) {
    button.addEventListener("click", function () {
      const target = button.getAttribute("data-level-for");
      const field = document.getElementById(target);
      if (!field) return;
      field.value = button.getAttribute("data-points");
      document.querySelectorAll('button[data-level-for="' + target + '"]').forEach(function (other) {
        other.setAttribute("aria-pressed", other === button ? "true" : "false");
      });
    });
  });
})();
