/* The replay: a slider over the drill's minutes and a play button; each minute's board (ranks,
   feed, score series) comes from /api/v1/replay. Without JavaScript the minute form re-renders
   the page on the server. */
"use strict";
(function () {
  const D = window.Drillboard;
  const dataNode = document.getElementById("replay-data");
  if (!dataNode) return;
  const texts = JSON.parse(document.getElementById("replay-texts").textContent);
  const form = document.getElementById("replay-form");
  const number = document.getElementById("minute");
  const scrub = document.getElementById("scrub");
  const play = document.getElementById("play");
  const tbody = document.querySelector("#standings tbody");
  const feed = document.getElementById("replay-feed");
  const COLOURS = ["#56b4e9", "#e69f00", "#f0e442", "#009e73", "#cc79a7", "#ff7a45", "#e8eef5", "#a58cff", "#6fdc8c", "#ffb3c7"];
  let chart = null, playing = null, asked = 0, last = Number(scrub.max);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function signed(n) { return typeof n === "number" ? (n >= 0 ? "+" : "") + n : ""; }

  function points(e) {
    if (e.kind === "reveal") return signed(e.change && e.change.points);
    if (e.kind === "award") return signed(e.value);
    if (e.kind === "deduction") return signed(-e.points);
    return signed(e.points);
  }

  function renderStandings(rows) {
    tbody.replaceChildren();
    if (!rows.length) { const tr = el("tr", "empty"); tr.append(el("td", "", texts.no_teams)); tr.firstChild.colSpan = 4; tbody.append(tr); return; }
    rows.forEach(function (row) {
      const tr = el("tr");
      tr.dataset.team = row.team_id;
      const team = el("td", "team");
      const flag = el("img", "flag");
      flag.src = "/static/vendor/flag-icons/flags/" + String(row.country || "").toLowerCase() + ".svg";
      flag.alt = row.country;
      team.append(flag, document.createTextNode(" "), el("span", "name", row.team));
      tr.append(el("td", "pos", row.pos), team, el("td", "num score", row.score), el("td", "num solves", row.solves));
      tbody.append(tr);
    });
  }

  function renderFeed(items) {
    feed.replaceChildren();
    if (!items.length) { feed.append(el("li", "muted empty", texts.empty)); return; }
    items.forEach(function (e) {
      const li = el("li", e.kind);
      const time = el("time");
      time.setAttribute("datetime", e.at);
      time.dataset.style = "time";
      const text = (texts.kinds[e.kind] || e.kind).replace(/\{(\w+)\}/g, function (_, key) { return e[key] === undefined ? "" : String(e[key]); });
      li.append(time, document.createTextNode(" "), el("strong", "", text), document.createTextNode(" "), el("span", "pts", points(e)));
      feed.append(li);
    });
    D.formatTimes(feed);
  }

  function renderChart(data) {
    if (typeof Chart === "undefined") return;
    const start = Date.parse(data.starts_at);
    const datasets = data.series.map(function (s, i) {
      const colour = COLOURS[i % COLOURS.length];
      const pts = [{ x: start, y: 0 }].concat(s.points.map(function (p) { return { x: Date.parse(p[0]), y: p[1] }; }));
      return { label: s.team, data: pts, borderColor: colour, backgroundColor: colour, stepped: true, pointRadius: 3, borderWidth: 3 };
    });
    if (chart) { chart.data.datasets = datasets; chart.update("none"); return; }
    chart = new Chart(document.getElementById("chart"), {
      type: "line", data: { datasets: datasets },
      options: {
        animation: false, maintainAspectRatio: false, parsing: false,
        scales: {
          x: { type: "linear", ticks: { color: "#cfd8e3", maxTicksLimit: 8, callback: function (v) { return new Date(v).toLocaleTimeString(D.lang, { hour: "2-digit", minute: "2-digit" }); } }, grid: { color: "#2a3d55" } },
          y: { beginAtZero: true, ticks: { color: "#cfd8e3" }, grid: { color: "#2a3d55" } },
        },
        plugins: { legend: { display: window.innerWidth > 700, position: "bottom", labels: { color: "#e8eef5" } } },
      },
    });
  }

  function render(data) {
    const at = document.getElementById("replay-at");
    at.setAttribute("datetime", data.at);
    D.formatTimes(at.parentNode);
    number.value = scrub.value = data.minute;
    last = data.minutes;
    number.max = scrub.max = data.minutes;
    renderStandings(data.standings);
    renderFeed(data.feed);
    renderChart(data);
    history.replaceState(null, "", "?minute=" + data.minute);
  }

  async function show(minute) {
    const ticket = ++asked;
    const response = await fetch("/api/v1/replay?minute=" + minute, { credentials: "same-origin" });
    if (!response.ok || ticket !== asked) return;
    render(await response.json());
  }

  function stop() {
    clearInterval(playing);
    playing = null;
    play.textContent = play.dataset.play;
    play.setAttribute("aria-pressed", "false");
  }

  scrub.hidden = play.hidden = false;
  scrub.addEventListener("input", function () { number.value = scrub.value; show(scrub.value); });
  form.addEventListener("submit", function (event) { event.preventDefault(); show(number.value); });
  play.addEventListener("click", function () {
    if (playing) { stop(); return; }
    if (Number(scrub.value) >= last) scrub.value = 0;
    play.textContent = play.dataset.pause;
    play.setAttribute("aria-pressed", "true");
    const stride = Math.max(1, Math.round(last / 100));
    playing = setInterval(function () {
      const next = Math.min(last, Number(scrub.value) + stride);
      scrub.value = next;
      show(next);
      if (next >= last) stop();
    }, 700);
  });
  renderChart(JSON.parse(dataNode.textContent));
})();
