/* The board's grid of defended services (team × service), kept live without a reload: a `service`
   event turns one cell at once (glyph, word and colour together); after each round's standings
   the grid's SLAs and round number are read again from the public API (one cached answer per
   board, its address on the page). board.js owns the connection: this follows its events
   ("drillboard:service", "drillboard:standings" on the document). */
import { SERVICE_GLYPHS } from "./scorelines.js";

{
  const D = window.Drillboard;
  const url = document.getElementById("services-script").dataset.grid;
  const tables = () => document.querySelectorAll("#service-grid");

  function percent(value) { return (Number(value) * 100).toFixed(1) + " %"; }

  /* One cell as the server draws it (templates/_services.html state_badge). */
  function paint(td, state, sla) {
    td.dataset.state = state || "";
    const badge = td.querySelector(".svc-state");
    badge.className = "svc-state svc-" + (state || "none");
    badge.dataset.state = state || "";
    badge.querySelector(".glyph").textContent = SERVICE_GLYPHS[state] || "\u2013";
    badge.querySelector(".label").textContent = state ? D.t("svc_" + state) : badge.querySelector(".label").textContent;
    if (sla === undefined) return;
    let share = td.querySelector(".svc-sla");
    if (!share) { share = document.createElement("span"); share.className = "svc-sla"; td.append(" ", share); }
    share.textContent = percent(sla);
  }

  function cells(key) { return document.querySelectorAll('#service-grid [data-svc="' + key + '"]'); }

  document.addEventListener("drillboard:service", function (e) {
    const s = e.detail;
    cells(s.team_id + ":" + s.service).forEach(function (td) {
      paint(td, s.state);
      td.classList.remove("flash-row"); void td.offsetWidth; td.classList.add("flash-row");
    });
  });

  /* The grid as the API has it now: every cell's state and SLA, and the round it is after. */
  let pending = null;
  async function refresh() {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    const grid = await response.json();
    grid.teams.forEach(function (team) {
      Object.keys(team.states).forEach(function (key) {
        const found = team.states[key];
        cells(team.team_id + ":" + key).forEach(function (td) { paint(td, found.state, found.sla); });
      });
    });
    tables().forEach(function (table) {
      table.dataset.round = grid.round;
      if (grid.round) table.caption.textContent = D.t("svc_round", { number: grid.round });
    });
  }

  document.addEventListener("drillboard:standings", function (e) {
    (e.detail.standings || []).forEach(function (row) {
      if (typeof row.sla !== "number") return;
      document.querySelectorAll('#service-grid [data-sla="' + row.team_id + '"]').forEach(function (td) {
        td.textContent = percent(row.sla);
      });
    });
    clearTimeout(pending);
    pending = setTimeout(refresh, 200);  /* a burst of deltas reads the grid once */
  });
}
