/* The observers' board: applies the snapshot, then one event at a time — a solve changes one
   feed line, one grid cell and the rows the standings delta names; nothing reloads. */
"use strict";
(function () {
  const D = window.Drillboard;
  const FLAGS = "/static/vendor/flag-icons/flags/";
  const ICONS = { blood: "/static/icons/blood.svg", solved: "/static/icons/solve.svg" };
  /* Ten lines that stay apart without relying on hue alone: Okabe–Ito colours (safe for the
     common colour-vision deficiencies, bright enough on the dark panel) plus a dash pattern and
     a point shape of their own, so neighbours in rank differ in all three. */
  const LINES = [
    ["#56b4e9", [], "circle"], ["#e69f00", [14, 6], "triangle"], ["#f0e442", [3, 5], "rect"],
    ["#009e73", [14, 5, 3, 5], "rectRot"], ["#cc79a7", [], "star"], ["#ff7a45", [3, 5], "crossRot"],
    ["#e8eef5", [14, 6], "circle"], ["#a58cff", [14, 5, 3, 5], "triangle"], ["#6fdc8c", [8, 4], "rect"],
    ["#ffb3c7", [2, 3], "rectRot"],
  ];
  const state = { rows: new Map(), challenges: [], solves: [], awards: [], bonus: 0, clock: null, frozen: false, weights: null };
  let chart = null;

  const table = document.getElementById("standings");
  const tbody = table.querySelector("tbody");
  const feed = document.getElementById("feed");
  const announcements = document.getElementById("announcements");
  const grid = document.getElementById("grid");
  /* Country and challenge names in the viewer's language (the server's snapshot is shared by all). */
  const names = JSON.parse(document.getElementById("names").textContent);
  function challengeName(id, name) { return names.challenges[id] || name; }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function flag(country) {
    const img = el("img", "flag");
    img.src = FLAGS + String(country || "").toLowerCase() + ".svg";
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

  /* Apply changed rows in place, then move rows into their new order: no table rebuild. */
  function applyStandings(changed) {
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

  function feedLine(solve) {
    const li = el("li", solve.first_blood ? "blood" : "");
    const time = el("time");
    time.setAttribute("datetime", solve.at);
    time.dataset.style = "time";
    li.append(time, document.createTextNode(" "), el("strong", "", solve.team),
      document.createTextNode(" " + D.t("solved") + " " + challengeName(solve.challenge_id, solve.challenge) + " "),
      el("span", "pts", "+" + solve.points));
    if (solve.first_blood) { li.append(document.createTextNode(" "), el("span", "badge blood", D.t("first_blood_badge"))); }
    D.formatTimes(li);
    return li;
  }

  /* A red-team deduction: the team, the points taken and the reason (struck through once voided). */
  function deductionLine(d) {
    const li = el("li", "deduction" + (d.voided ? " voided" : ""));
    const time = el("time");
    time.setAttribute("datetime", d.at);
    time.dataset.style = "time";
    const pts = el("span", "pts minus");
    pts.append(d.voided ? el("del", "", "\u2212" + d.points) : document.createTextNode("\u2212" + d.points));
    li.append(time, document.createTextNode(" "), el("strong", "", d.team), document.createTextNode(" "), pts,
      document.createTextNode(" "), el("span", "badge deduction", D.t("red_team")), document.createTextNode(" "),
      el("span", "reason", d.reason));
    D.formatTimes(li);
    return li;
  }

  /* A judged report whose grade was released: the team, the task and the points. */
  function gradedLine(g) {
    const li = el("li", "graded");
    const time = el("time");
    time.setAttribute("datetime", g.at);
    time.dataset.style = "time";
    li.append(time, document.createTextNode(" "), el("strong", "", g.team),
      document.createTextNode(" " + D.t("feed_graded") + " " + challengeName(g.challenge_id, g.challenge) + " "),
      el("span", "pts", "+" + g.points));
    D.formatTimes(li);
    return li;
  }

  function itemLine(item) {
    if (item.kind === "deduction") return deductionLine(item);
    if (item.kind === "graded") return gradedLine(item);
    return feedLine(item);
  }

  function addToFeed(line) {
    const empty = feed.querySelector(".empty");
    if (empty) empty.remove();
    feed.prepend(line);
    while (feed.children.length > 20) feed.lastChild.remove();
  }

  function renderFeed(items) {
    feed.replaceChildren();
    if (!items.length) { feed.append(el("li", "muted empty", D.t("no_solves"))); return; }
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
    const first = new Map();
    state.solves.forEach(function (s) { if (!first.has(s[1])) first.set(s[1], s[0]); });
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
        if (solved.has(key)) mark(td, first.get(c.id) === row.team_id ? "blood" : "solved");
        tr.append(td);
      });
      body.append(tr);
    });
    grid.replaceChildren(thead, body);
  }

  /* --- chart: cumulative points of the top 10, from solves (current values) and awards --- */

  /* Minutes for a drill-long axis, seconds when the span is short (the first minutes). */
  function timeLabel(value) {
    const scale = this;
    const span = scale && scale.max - scale.min;
    const fields = span && span < 20 * 60 * 1000 ? { hour: "2-digit", minute: "2-digit", second: "2-digit" } : { hour: "2-digit", minute: "2-digit" };
    if (D.zone) { fields.timeZone = D.zone; fields.hourCycle = "h23"; }  /* the projector: the hall's zone, like its clock */
    return new Date(value).toLocaleTimeString(D.lang, fields);
  }

  function renderChart() {
    if (typeof Chart === "undefined") return;
    const values = new Map(state.challenges.map(function (c) { return [c.id, c.value]; }));
    const firsts = new Set();
    const seen = new Set();
    state.solves.forEach(function (s) { if (!seen.has(s[1])) { seen.add(s[1]); firsts.add(s[0] + ":" + s[1]); } });
    const top = Array.from(state.rows.values()).sort(function (a, b) { return a.pos - b.pos; }).slice(0, 10);
    const start = state.clock && state.clock.starts_at ? Date.parse(state.clock.starts_at) : null;
    /* With pack.yml weights each category's points count at their percentage, as in the score. */
    function weight(category) {
      const w = state.weights;
      return w && Object.keys(w).length ? (w[category] || 0) / 100 : 1;
    }
    const datasets = top.map(function (row, index) {
      const changes = [];
      state.solves.forEach(function (s) {
        if (s[0] === row.team_id) changes.push([Date.parse(s[2]), ((values.get(s[1]) || 0) + (firsts.has(s[0] + ":" + s[1]) ? state.bonus : 0)) * weight("flags")]);
      });
      state.awards.forEach(function (a) { if (a[0] === row.team_id) changes.push([Date.parse(a[2]), a[1] * weight(a[3] || "flags")]); });
      changes.sort(function (a, b) { return a[0] - b[0]; });
      let total = 0;
      const points = start ? [{ x: start, y: 0 }] : [];
      changes.forEach(function (c) { total += c[1]; points.push({ x: c[0], y: total }); });
      points.push({ x: Date.now(), y: row.score });
      const line = LINES[index % LINES.length];
      return { label: row.team, data: points, borderColor: line[0], backgroundColor: line[0], borderDash: line[1],
        pointStyle: line[2], stepped: true, pointRadius: 4, borderWidth: 3 };
    });
    if (!chart) {
      Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;  /* CJK names need a CJK font */
      /* Labels as large as the text around the chart: the projector mode makes that large. */
      const box = document.getElementById("chart").parentNode;
      const size = parseFloat(getComputedStyle(box).fontSize) || 16;
      Chart.defaults.font.size = size;
      chart = new Chart(document.getElementById("chart"), {
        type: "line",
        data: { datasets: datasets },
        options: {
          animation: false, maintainAspectRatio: false, parsing: false,
          scales: {
            x: { type: "linear", ticks: { color: "#cfd8e3", maxTicksLimit: 8, callback: timeLabel }, grid: { color: "#2a3d55" } },
            y: { beginAtZero: true, ticks: { color: "#cfd8e3" }, grid: { color: "#2a3d55" } },
          },
          /* On a phone the legend would eat the plot; the table above names the teams. The
             legend draws each line with its colour and dash. */
          plugins: { legend: { display: window.innerWidth > 700, position: "bottom",
            labels: { color: "#e8eef5", usePointStyle: true, pointStyle: "line", pointStyleWidth: size * 2.5 } } },
        },
      });
    } else {
      chart.data.datasets = datasets;
      chart.update("none");
    }
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
    let text = "";
    if (phase === "not_started" && starts) text = D.t("to_start") + " " + duration(starts - now);
    else if (phase === "running" && freeze && now < freeze) text = D.t("to_freeze") + " " + duration(freeze - now);
    else if (phase === "running" && ends) text = D.t("to_end") + " " + duration(ends - now);
    document.getElementById("clock-phase").textContent = D.t(phase);
    document.getElementById("clock").dataset.phase = phase;
    document.getElementById("clock-countdown").textContent = text;
  }

  function setFrozen(frozen) {
    state.frozen = frozen;
    document.getElementById("frozen-banner").hidden = !frozen;
  }

  /* --- the closing reveal: one held change per event; the standings event after it moves the rows */

  function revealed(r) {
    const li = el("li", "revealed");
    const change = r.change || {};
    const text = D.t("reveal_" + change.kind, { team: r.team, challenge: challengeName(change.challenge_id, change.challenge) });
    li.append(el("strong", "", text), document.createTextNode(" "),
      el("span", "pts", (change.points >= 0 ? "+" : "") + change.points));
    const empty = feed.querySelector(".empty");
    if (empty) empty.remove();
    feed.prepend(li);
    while (feed.children.length > 20) feed.lastChild.remove();
    const tr = tbody.querySelector('tr[data-team="' + r.team_id + '"]');
    if (tr) { tr.classList.remove("reveal-row"); void tr.offsetWidth; tr.classList.add("reveal-row"); }
  }

  /* --- events ------------------------------------------------------------------------------ */

  function applySnapshot(s) {
    state.challenges = s.challenges || [];
    state.solves = s.solves || [];
    state.awards = s.awards || [];
    state.bonus = s.first_blood_bonus || 0;
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
      addToFeed(feedLine(s));
      state.solves.push([s.team_id, s.challenge_id, s.at]);
      const cell = grid.querySelector('[data-cell="' + s.team_id + ":" + s.challenge_id + '"]');
      if (cell) mark(cell, s.first_blood ? "blood" : "solved");
      const challenge = state.challenges.find(function (c) { return c.id === s.challenge_id; });
      if (challenge && s.first_blood) challenge.value = s.points - state.bonus;
    },
    standings: function (e) { applyStandings(e.standings); if (typeof e.frozen === "boolean") setFrozen(e.frozen); },
    award: function (a) { state.awards.push([a.team_id, a.value, a.at]); },
    /* The standings event that follows moves the score and the breakdown cells. */
    deduction: function (d) { addToFeed(deductionLine(d)); state.awards.push([d.team_id, -d.points, d.at, "deductions"]); },
    graded: function (g) { addToFeed(gradedLine(g)); state.awards.push([g.team_id, g.points, g.at, "reports"]); },
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
})();
