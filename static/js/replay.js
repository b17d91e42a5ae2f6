/* The replay: a slider over the drill's minutes and a play button; each minute's board (ranks,
   feed, the ledger's score steps) comes from the replay API, whose address the page gives. The
   feed lines and the chart are the board's own (scorelines.js). Without JavaScript the minute
   form re-renders the page on the server. */
import { datasets, drawChart, el, feedLine } from "./scorelines.js";

const D = window.Drillboard;
const dataNode = document.getElementById("replay-data");
if (dataNode) {
  const texts = JSON.parse(document.getElementById("replay-texts").textContent);
  const form = document.getElementById("replay-form");
  const number = document.getElementById("minute");
  const scrub = document.getElementById("scrub");
  const play = document.getElementById("play");
  const status = document.getElementById("replay-status");
  const tbody = document.querySelector("#standings tbody");
  const feed = document.getElementById("replay-feed");
  const words = {
    parts: D.parts,
    challenge: function (_id, name) { return name; },
    service: function (key) { return (texts.services || {})[key] || key; },
    sentence: function (e) {
      return (texts.kinds[e.kind] || e.kind).replace(/\{(\w+)\}/g, function (_, key) { return e[key] === undefined ? "" : String(e[key]); });
    },
  };
  let chart = null, playing = null, asked = 0, last = Number(scrub.max);

  function renderStandings(rows) {
    tbody.replaceChildren();
    if (!rows.length) { const tr = el("tr", "empty"); tr.append(el("td", "", texts.no_teams)); tr.firstChild.colSpan = 4; tbody.append(tr); return; }
    rows.forEach(function (row) {
      const tr = el("tr");
      tr.dataset.team = row.team_id;
      const team = el("td", "team");
      const flag = el("img", "flag");
      flag.src = form.dataset.flags + String(row.country || "").toLowerCase() + ".svg";
      flag.alt = row.country;
      team.append(flag, document.createTextNode(" "), el("span", "name", row.team));
      tr.append(el("td", "pos", row.pos), team, el("td", "num score", row.score), el("td", "num solves", row.solves));
      tbody.append(tr);
    });
  }

  function renderFeed(items) {
    feed.replaceChildren();
    if (!items.length) { feed.append(el("li", "muted empty", texts.empty)); return; }
    items.forEach(function (e) { feed.append(feedLine(e, words)); });
    D.formatTimes(feed);
  }

  /* The series are the standings' own steps, each ending at its score at this moment. */
  function renderChart(data) {
    const rows = data.series.map(function (s) { return { team: s.team, team_id: s.team_id, steps: s.points, score: s.points[s.points.length - 1][1] }; });
    chart = drawChart(chart, document.getElementById("chart"), datasets(rows, Date.parse(data.starts_at), Date.parse(data.at)), { lang: D.lang });
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

  /* The latest minute asked for wins; a minute that did not load is asked for twice more (a busy
     server, a dropped connection) and the page says so, rather than show one minute's board
     beside a slider on another. A refusal (4xx) is said as the server words it. */
  async function show(minute) {
    const ticket = ++asked;
    for (let attempt = 0; ; attempt++) {
      let response = null;
      try { response = await fetch(form.dataset.api + "?minute=" + minute, { credentials: "same-origin" }); } catch (e) { response = null; }
      if (ticket !== asked) return;
      if (response && response.ok) {
        const data = await response.json();
        if (ticket !== asked) return;
        status.textContent = "";
        render(data);
        return;
      }
      if (response && response.status < 500 && response.status !== 429) {
        const body = await response.json().catch(function () { return {}; });
        if (ticket === asked) status.textContent = body.error || D.t("replay_failed", { minute: minute });
        return;
      }
      if (attempt >= 2) { status.textContent = D.t("replay_failed", { minute: minute }); return; }
      status.textContent = D.t("replay_retry", { minute: minute });
      await new Promise(function (resolve) { setTimeout(resolve, 1000 * (attempt + 1)); });
      if (ticket !== asked) return;
    }
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
}
