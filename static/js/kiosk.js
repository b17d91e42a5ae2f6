/* Projector mode: fits the standings to the screen and rotates the panels — each page of the
   standings, the chart, each page of the grid — for `dwell` seconds each, with the page named in
   the title and marked in the pager. board.js keeps the rows live; this only decides which rows
   and which panel are on screen, so every team shows within one rotation. */
"use strict";
(function () {
  const D = window.Drillboard;
  if (!D) return;  /* board.js loads the page again */
  const stage = document.getElementById("stage");
  const title = document.getElementById("panel-title");
  const pager = document.getElementById("pager");
  const panels = {};
  stage.querySelectorAll("[data-panel]").forEach(function (panel) {
    panels[panel.dataset.panel] = panel;
    panel.hidden = false;  /* measured even when off screen: see .panel.off in app.css */
  });
  const standings = document.getElementById("standings");
  const grid = document.getElementById("grid");
  const services = document.getElementById("service-grid");  /* only when the drill defends services */
  const dwell = (Number(stage.dataset.dwell) || 12) * 1000;
  /* Row heights as a share of the screen height: the smallest keeps the type readable from the
     back of the hall (docs/projector.md); rows grow up to the largest when there are few teams. */
  const ROWS = { standings: [0.06, 0.1], grid: [0.05, 0.08] };
  let steps = [];
  let index = 0;

  /* Split `count` rows over as few pages as fit `room` pixels, evenly, each row as tall as fits. */
  function paging(count, room, sizes) {
    const screen = window.innerHeight;
    const perFit = Math.max(1, Math.floor(room / (sizes[0] * screen)));
    const pages = Math.max(1, Math.ceil(count / perFit));
    const per = Math.max(1, Math.ceil(count / pages));
    return { pages: pages, per: per, height: Math.min(sizes[1] * screen, room / per) };
  }

  function room(panel, table, below) {
    const head = table.tHead ? table.tHead.offsetHeight : 0;
    const under = below ? below.offsetHeight + parseFloat(getComputedStyle(below).marginTop) : 0;
    return panel.clientHeight - head - under;
  }

  function bodyRows(table) {
    const body = table.tBodies[0];
    return body ? Array.from(body.rows).filter(function (tr) { return !tr.classList.contains("empty"); }) : [];
  }

  let layout = {};

  function plan() {
    const legend = panels.grid.querySelector(".grid-legend");
    layout = {
      standings: paging(bodyRows(standings).length, room(panels.standings, standings), ROWS.standings),
      grid: paging(bodyRows(grid).length, room(panels.grid, grid, legend), ROWS.grid),
    };
    standings.style.setProperty("--row-h", layout.standings.height + "px");
    grid.style.setProperty("--row-h", layout.grid.height + "px");
    if (services) {
      const under = panels.services.querySelector(".svc-legend");
      layout.services = paging(bodyRows(services).length, room(panels.services, services, under) - services.caption.offsetHeight, ROWS.grid);
      services.style.setProperty("--row-h", layout.services.height + "px");
    }
    const current = steps[index];
    steps = [];
    for (let n = 1; n <= layout.standings.pages; n++) steps.push({ panel: "standings", page: n });
    if (bodyRows(standings).length) steps.push({ panel: "chart", page: 1 });
    if (grid.querySelector("th.vertical")) {
      for (let n = 1; n <= layout.grid.pages; n++) steps.push({ panel: "grid", page: n });
    }
    if (services) {
      for (let n = 1; n <= layout.services.pages; n++) steps.push({ panel: "services", page: n });
    }
    const same = current && steps.findIndex(function (s) { return s.panel === current.panel && s.page === current.page; });
    index = same >= 0 ? same : 0;
    if (pager.children.length !== steps.length) {  /* a rebuilt pager would restart the progress bar */
      pager.replaceChildren();
      steps.forEach(function () { pager.append(document.createElement("li")); });
    }
    show();
  }

  function showRows(table, step, name) {
    const per = layout[name].per;
    bodyRows(table).forEach(function (tr, i) {
      tr.hidden = step.panel === name && Math.floor(i / per) + 1 !== step.page;
    });
    if (name === "standings") fitNames();
  }

  /* Team names whole: a name wider than its cell is set smaller, down to the 3vh floor, and one
     still too wide at the floor wraps onto a second line (rows are tall enough for two at 3vh). */
  function fitNames() {
    const floor = 0.03 * window.innerHeight;
    bodyRows(standings).forEach(function (tr) {
      const cell = tr.querySelector("td.team");
      if (!cell || tr.hidden) return;
      cell.classList.remove("wrap");
      cell.style.fontSize = "";
      let size = parseFloat(getComputedStyle(cell).fontSize);
      for (let tries = 0; cell.scrollWidth > cell.clientWidth && size > floor && tries < 6; tries++) {
        size = Math.max(floor, size * (cell.clientWidth / cell.scrollWidth) * 0.97);
        cell.style.fontSize = size + "px";
      }
      if (cell.scrollWidth > cell.clientWidth) cell.classList.add("wrap");
    });
  }

  function show() {
    const step = steps[index];
    if (!step) return;
    Object.keys(panels).forEach(function (name) { panels[name].classList.toggle("off", name !== step.panel); });
    showRows(standings, step, "standings");
    showRows(grid, step, "grid");
    if (services) showRows(services, step, "services");
    const pages = layout[step.panel] ? layout[step.panel].pages : 1;
    const key = { standings: "standings_page", services: "services_page" }[step.panel] || "grid_page";
    title.textContent = pages > 1 ? D.t(key, { n: step.page, total: pages }) : panels[step.panel].dataset.title;
    Array.from(pager.children).forEach(function (li, i) {
      li.className = steps[i].panel + (i === index ? " current" : i < index ? " done" : "");
    });
  }

  /* While the closing reveal runs the hall watches the standings, on the page of the team whose
     change was revealed last (board.js marks both on <body>): the rotation waits until it ends. */
  function revealing() { return document.body.dataset.reveal === "revealing"; }

  function holdForReveal() {
    const team = document.body.dataset.revealTeam;
    const row = team ? bodyRows(standings).findIndex(function (tr) { return tr.dataset.team === team; }) : -1;
    const page = row >= 0 && layout.standings ? Math.floor(row / layout.standings.per) + 1 : null;
    const current = steps[index];
    let wanted = steps.findIndex(function (s) { return s.panel === "standings" && s.page === page; });
    if (wanted < 0) wanted = current && current.panel === "standings" ? index : 0;
    if (wanted !== index || !current || current.panel !== "standings") { index = wanted; show(); }
  }

  function next() {
    if (revealing()) { holdForReveal(); return; }
    index = steps.length ? (index + 1) % steps.length : 0;
    show();
  }

  pager.style.setProperty("--dwell", dwell + "ms");
  /* board.js re-orders rows in place and rebuilds the grid: page them again each time. */
  new MutationObserver(function () { if (steps[index]) showRows(standings, steps[index], "standings"); })
    .observe(standings.tBodies[0], { childList: true });
  let pending = null;
  function replan() { clearTimeout(pending); pending = setTimeout(plan, 50); }
  new MutationObserver(replan).observe(grid, { childList: true });
  new MutationObserver(replan).observe(standings.tBodies[0], { childList: true });
  window.addEventListener("resize", replan);
  new MutationObserver(function () { if (revealing()) holdForReveal(); })
    .observe(document.body, { attributes: true, attributeFilter: ["data-reveal", "data-reveal-team"] });
  plan();
  setInterval(next, dwell);
})();
