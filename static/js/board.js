/* The observers' board: applies the snapshot, then one event at a time — a solve changes one
   feed line and one grid cell, a standings delta the rows it names (with their chart steps);
   nothing reloads, and no score is derived here: the rows and steps come from the ledger. */
import { datasets, drawChart, el, feedLine } from "./scorelines.js";

{
  const D = window.Drillboard;
  /* A script the board needs did not arrive (a connection dropped while the page loaded): the
     shared one (common.js), the live connection's (Socket.IO) or the chart's. A board, often an
     unattended projector, loads the page again rather than stay half drawn or never go live;
     3 s, then twice as long each time it comes back short, up to a minute. */
  const missing = [["common.js", D], ["socket.io", window.io], ["chart.js", window.Chart]]
    .filter(function (script) { return !script[1]; }).map(function (script) { return script[0]; });
  const TRIES = "drillboard-board-reloads";
  if (missing.length) {
    let tries = 0;
    try { tries = Number(sessionStorage.getItem(TRIES)) || 0; sessionStorage.setItem(TRIES, tries + 1); } catch (e) { /* none */ }
    const wait = Math.min(3000 * 2 ** tries, 60000);
    setTimeout(function () { window.location.reload(); }, wait);
    throw new Error(missing.join(", ") + " did not load: the board loads again in " + wait / 1000 + " s");
  }
  try { sessionStorage.removeItem(TRIES); } catch (e) { /* none */ }
  const urls = document.getElementById("board-urls").dataset;
  const ICONS = { blood: urls.blood, solved: urls.solved };
  const state = { rows: new Map(), challenges: [], solves: [], clock: null, frozen: false, weights: null };
  let chart = null;

  const table = document.getElementById("standings");
  const tbody = table.querySelector("tbody");
  const feed = document.getElementById("feed");
  const announcements = document.getElementById("announcements");
  const grid = document.getElementById("grid");
  /* Country and challenge names in the viewer's language (the server's snapshot is shared by all). */
  const names = JSON.parse(document.getElementById("names").textContent);
  function challengeName(id, name) { return names.challenges[id] || name; }

  function flag(country) {
    const img = el("img", "flag");
    img.src = urls.flags + String(country || "").toLowerCase() + ".svg";
    img.alt = names.countries[country] || country;
    img.title = img.alt;
    return img;
  }

  /* --- standings --------------------------------------------------------------------- */

  function rowNode(row) {
    const tr = el("tr");
    tr.dataset.team = row.team_id;
    tr.append(el("td", "pos"), el("td", "team"), el("td", "num score"), el("td", "num solves"),
      el("td", "num bd bd-flags"), el("td", "num bd bd-reports"), el("td", "num bd bd-deductions"));
    tr.children[1].append(flag(row.country), document.createTextNode(" "), el("span", "name", row.team));
    return tr;
  }

  function fill(tr, row) {
    const b = row.breakdown || {};
    tr.querySelector(".pos").textContent = row.pos;
    tr.querySelector(".score").textContent = row.score;
    tr.querySelector(".bd-flags").textContent = b.flags || 0;
    tr.querySelector(".bd-reports").textContent = b.reports || 0;
    tr.querySelector(".bd-deductions").textContent = b.deductions ? "\u2212" + b.deductions : "0";
    tr.querySelector(".solves").textContent = row.solves;
  }

  /* The breakdown columns show with pack.yml weights, or once any team has report or deduction
     points (the same rule as the server's page); the weights line names the percentages. */
  function showBreakdown() {
    const w = state.weights;
    const weighted = !!(w && Object.keys(w).length);
    const any = Array.from(state.rows.values()).some(function (r) {
      return r.breakdown && (r.breakdown.reports || r.breakdown.deductions);
    });
    table.classList.toggle("with-breakdown", weighted || any);
    const line = document.getElementById("weights");
    if (line) {
      line.hidden = !weighted;
      if (weighted) line.textContent = D.t("weights_line", { flags: w.flags || 0, reports: w.reports || 0, deductions: w.deductions || 0 });
    }
  }

  function renderStandings(rows) {
    state.rows = new Map(rows.map(function (r) { return [r.team_id, r]; }));
    tbody.replaceChildren();
    showBreakdown();
    if (!rows.length) { const tr = el("tr", "empty"); tr.append(el("td", "", D.t("no_teams"))); tr.firstChild.colSpan = 7; tbody.append(tr); return; }
    rows.forEach(function (row) { const tr = rowNode(row); fill(tr, row); tbody.append(tr); });
  }

  /* A row that carries only its new chart steps (from `steps_from`, the server's count of the
     steps this board holds) gets the ones held before them; null if this board cannot tell them
     (then it asks for the whole board again). The last step is always the row's score. Rows of
     teams off the chart (below the first ten) carry no steps. */
  function withSteps(row) {
    if (!row.steps || typeof row.steps_from !== "number") return row;
    const had = state.rows.get(row.team_id);
    if (!had || !had.steps || had.steps.length < row.steps_from) return null;
    const steps = had.steps.slice(0, row.steps_from).concat(row.steps);
    const last = steps[steps.length - 1];
    if (last ? last[1] !== row.score : row.score !== 0) return null;
    return Object.assign({}, row, { steps: steps });
  }

  /* Apply changed rows in place, then move rows into their new order: no table rebuild. */
  function applyStandings(delta) {
    const changed = delta.map(withSteps);
    if (changed.indexOf(null) >= 0) { if (socket) socket.emit("resync"); return; }
    const empty = tbody.querySelector("tr.empty");
    if (empty) empty.remove();
    let added = false;
    changed.forEach(function (row) {
      state.rows.set(row.team_id, row);
      let tr = tbody.querySelector('tr[data-team="' + row.team_id + '"]');
      if (!tr) { tr = rowNode(row); tbody.append(tr); added = true; }
      const before = tr.querySelector(".score").textContent;
      fill(tr, row);
      if (before !== String(row.score)) { tr.classList.remove("flash-row"); void tr.offsetWidth; tr.classList.add("flash-row"); }
    });
    const ordered = Array.from(state.rows.values()).sort(function (a, b) { return a.pos - b.pos; });
    ordered.forEach(function (row) {
      const tr = tbody.querySelector('tr[data-team="' + row.team_id + '"]');
      if (tr) tbody.append(tr);
    });
    showBreakdown();
    if (added) renderGrid();
    renderChart();
  }

  function removeTeam(teamId) {
    state.rows.delete(teamId);
    const tr = tbody.querySelector('tr[data-team="' + teamId + '"]');
    if (tr) tr.remove();
    renderGrid();
    renderChart();
  }

  /* --- feed and announcements -------------------------------------------------------- */

  const words = { parts: D.parts, challenge: challengeName, service: function (key) { return (names.services || {})[key] || key; } };

  function itemLine(item) {
    const li = feedLine(item, words);
    D.formatTimes(li);
    return li;
  }

  function addToFeed(line) {
    const empty = feed.querySelector(".empty");
    if (empty) empty.remove();
    feed.prepend(line);
    while (feed.children.length > 20) feed.lastChild.remove();
  }

  function renderFeed(items) {
    feed.replaceChildren();
    if (!items.length) { feed.append(el("li", "muted empty", D.t("feed_empty"))); return; }
    items.forEach(function (item) { feed.append(itemLine(item)); });
  }

  function announcementLine(a) {
    const li = el("li");
    const body = el("div");
    body.innerHTML = a.body_html;  /* sanitised server-side */
    li.append(el("strong", "", a.title), body);
    return li;
  }

  /* --- grid ---------------------------------------------------------------------------- */

  /* A grid cell says what it holds by shape and text, not by colour alone. */
  function mark(td, kind) {
    td.className = "cell " + kind;
    const icon = el("img", "icon");
    icon.src = ICONS[kind];
    icon.alt = D.t(kind === "blood" ? "blood_mark" : "solve_mark");
    td.replaceChildren(icon);
  }

  function renderGrid() {
    const solved = new Set(state.solves.map(function (s) { return s[0] + ":" + s[1]; }));
    const first = new Set(state.solves.filter(function (s) { return s[3]; }).map(function (s) { return s[0] + ":" + s[1]; }));
    const head = el("tr");
    head.append(el("th", "", D.t("team")));
    state.challenges.forEach(function (c) {
      const name = challengeName(c.id, c.name);
      const th = el("th", "vertical");
      th.append(el("span", "", name));
      th.title = name;
      head.append(th);
    });
    head.querySelectorAll("th").forEach(function (th) { th.scope = "col"; });
    const thead = el("thead");
    thead.append(head);
    const body = el("tbody");
    Array.from(state.rows.values()).sort(function (a, b) { return a.pos - b.pos; }).forEach(function (row) {
      const tr = el("tr");
      const name = el("th", "", row.team);
      name.scope = "row";
      tr.append(name);
      state.challenges.forEach(function (c) {
        const key = row.team_id + ":" + c.id;
        const td = el("td", "cell");
        td.dataset.cell = key;
        if (solved.has(key)) mark(td, first.has(key) ? "blood" : "solved");
        tr.append(td);
      });
      body.append(tr);
    });
    grid.replaceChildren(thead, body);
  }

  /* --- chart: the top 10's ledger steps, held at the score until now (the server sends steps
     for these rows only: scoring.CHART_TEAMS) ------------------------------------------------ */

  function renderChart() {
    const top = Array.from(state.rows.values()).sort(function (a, b) { return a.pos - b.pos; }).slice(0, 10);
    const start = state.clock && state.clock.starts_at ? Date.parse(state.clock.starts_at) : null;
    chart = drawChart(chart, document.getElementById("chart"), datasets(top, start, Date.now()), { lang: D.lang, zone: D.zone });
  }

  /* --- clock ------------------------------------------------------------------------------ */

  function duration(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h ? h + ":" : "") + String(m).padStart(2, "0") + ":" + String(sec).padStart(2, "0");
  }

  function tickClock() {
    const c = state.clock;
    if (!c) return;
    const now = Date.now();
    let phase = c.phase;
    const starts = c.starts_at && Date.parse(c.starts_at), ends = c.ends_at && Date.parse(c.ends_at), freeze = c.freeze_at && Date.parse(c.freeze_at);
    if (phase === "not_started" && starts && now >= starts) phase = "running";
    if (phase === "running" && ends && now >= ends) phase = "ended";
    let label = "", left = "";
    if (phase === "not_started" && starts) { label = D.t("to_start"); left = duration(starts - now); }
    else if (phase === "running" && freeze && now < freeze) { label = D.t("to_freeze"); left = duration(freeze - now); }
    else if (phase === "running" && ends) { label = D.t("to_end"); left = duration(ends - now); }
    document.getElementById("clock-phase").textContent = D.t(phase);
    document.getElementById("clock").dataset.phase = phase;
    const countdown = document.getElementById("clock-countdown");
    countdown.querySelector(".left-label").textContent = label;
    countdown.querySelector(".left-time").textContent = left;
    /* The projector holds its rotation on the standings while the closing reveal runs (kiosk.js). */
    document.body.dataset.reveal = c.reveal || "";
  }

  function setFrozen(frozen) {
    state.frozen = frozen;
    document.getElementById("frozen-banner").hidden = !frozen;
  }

  /* --- the closing reveal: one held change per event; the standings event after it moves the rows */

  function revealed(r) {
    const li = el("li", "revealed");
    const change = r.change || {};
    const said = el("span", "said");
    said.append(...D.parts("reveal_" + change.kind,
      { team: el("strong", "", r.team), challenge: challengeName(change.challenge_id, change.challenge) }));
    li.append(said, document.createTextNode(" "), el("span", "pts", (change.points >= 0 ? "+" : "\u2212") + Math.abs(change.points)));
    const empty = feed.querySelector(".empty");
    if (empty) empty.remove();
    feed.prepend(li);
    while (feed.children.length > 20) feed.lastChild.remove();
    document.body.dataset.revealTeam = r.team_id;
    const tr = tbody.querySelector('tr[data-team="' + r.team_id + '"]');
    if (tr) { tr.classList.remove("reveal-row"); void tr.offsetWidth; tr.classList.add("reveal-row"); }
  }

  /* --- events ------------------------------------------------------------------------------ */

  function applySnapshot(s) {
    state.challenges = s.challenges || [];
    state.solves = s.solves || [];
    state.clock = s.clock;
    state.weights = s.weights || null;
    renderStandings(s.standings);
    renderFeed(s.recent_solves);
    announcements.replaceChildren();
    s.announcements.forEach(function (a) { announcements.append(announcementLine(a)); });
    if (!s.announcements.length) announcements.append(el("li", "muted empty", D.t("no_announcements")));
    setFrozen(s.frozen);
    renderGrid();
    renderChart();
    tickClock();
  }

  applySnapshot(JSON.parse(document.getElementById("snapshot").textContent));
  setInterval(tickClock, 1000);

  const socket = D.connect({
    snapshot: applySnapshot,
    solve: function (s) {
      addToFeed(itemLine(s));
      state.solves.push([s.team_id, s.challenge_id, s.at, s.first_blood, s.points]);
      const cell = grid.querySelector('[data-cell="' + s.team_id + ":" + s.challenge_id + '"]');
      if (cell) mark(cell, s.first_blood ? "blood" : "solved");
    },
    standings: function (e) { applyStandings(e.standings); if (typeof e.frozen === "boolean") setFrozen(e.frozen); },
    /* The standings event that follows moves the score, the breakdown cells and the chart. */
    deduction: function (d) { addToFeed(itemLine({ kind: "deduction", ...d })); },
    graded: function (g) { addToFeed(itemLine({ kind: "graded", ...g })); },
    detection: function (d) { addToFeed(itemLine({ kind: "detection", ...d })); },
    appeal: function (a) { addToFeed(itemLine({ kind: "appeal", ...a })); },
    /* "Team X: mail DOWN" as it happens; services.js turns the grid's cell. */
    service: function (s) { addToFeed(itemLine({ kind: "service", ...s })); },
    announcement: function (a) {
      const empty = announcements.querySelector(".empty");
      if (empty) empty.remove();
      announcements.prepend(announcementLine(a));
    },
    release: function (r) {
      if (!state.challenges.some(function (c) { return c.id === r.challenge_id; })) {
        state.challenges.push({ id: r.challenge_id, name: r.challenge, category: r.category, value: r.value || 0 });
        renderGrid();
      }
    },
    freeze: function () { setFrozen(true); },
    clock: function (c) {
      const revealed = state.frozen && !c.frozen;
      state.clock = c;
      setFrozen(c.frozen);
      tickClock();
      if (revealed && socket) socket.emit("resync");  /* the reveal: fetch the whole true board */
    },
    team: function (t) { if (t.disabled) removeTeam(t.team_id); },
    reveal: revealed,
  });
}
