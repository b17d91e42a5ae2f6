/* What the board, its projector mode and the replay share: the feed's lines and the score chart.
   The chart draws the ledger's steps as the server sends them — each team's [time, score] after
   every change of its points, weights already applied — so nothing here derives a score, and a
   line always ends at the score the table shows. */

/* Ten colours that stay apart without relying on hue alone: Okabe–Ito (safe for the common
   colour-vision deficiencies, bright enough on the dark panel), each with a dash pattern and a
   point shape of its own. */
const LINES = [
  ["#56b4e9", [], "circle"], ["#e69f00", [14, 6], "triangle"], ["#f0e442", [3, 5], "rect"],
  ["#009e73", [14, 5, 3, 5], "rectRot"], ["#cc79a7", [], "star"], ["#ff7a45", [3, 5], "crossRot"],
  ["#e8eef5", [14, 6], "circle"], ["#a58cff", [14, 5, 3, 5], "triangle"], ["#6fdc8c", [8, 4], "rect"],
  ["#ffb3c7", [2, 3], "rectRot"],
];

/* A team's line style follows its id, never its rank, so a team keeps its colour from frame to
   frame while ranks change: the colour by the id's last digit, the dash and point shape shifted by
   its tens, so two teams that share a colour (ids 3 and 13) still differ in dash and shape. */
export function lineStyle(teamId) {
  const id = Math.abs(Number(teamId) || 0);
  const shifted = LINES[(id + Math.floor(id / 10)) % LINES.length];
  return { color: LINES[id % LINES.length][0], dash: shifted[1], shape: shifted[2] };
}

/* A defended service's state as a shape as well as a colour and a word (templates/_services.html
   draws the same glyphs on the server). */
export const SERVICE_GLYPHS = { up: "\u25B2", down: "\u25BC", mumble: "\u25C6", corrupt: "\u2731", error: "\u26A0" };

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function signed(n) { return typeof n === "number" ? (n >= 0 ? "+" + n : "\u2212" + Math.abs(n)) : ""; }

/* The points a feed item moved, signed ("" when it moved none). */
export function itemPoints(item) {
  if (item.kind === "reveal") return signed(item.change && item.change.points);
  if (item.kind === "award") return signed(item.value);
  if (item.kind === "deduction") return signed(-item.points);
  if (item.kind === "appeal") return item.decision === "voided" ? signed(item.returned) : "";
  return signed(item.points);
}

/* One feed line: its time, what happened (one whole sentence, the team's name in bold) and the
   points as a figure beside it. `words` says it in the viewer's language: `words.parts(key, params)`
   (common.js), `words.challenge(id, name)` (translated names) and optionally `words.sentence(item)`
   for the kinds the board does not list (the replay's). */
const SENTENCES = { solve: "feed_solve", graded: "feed_graded", deduction: "feed_deduction", detection: "feed_detection" };

function sentenceKey(item, kind) {
  if (kind === "solve" && item.first_blood) return "feed_solve_first";
  if (kind === "appeal") return "feed_appeal_" + item.decision;
  return SENTENCES[kind];
}

export function feedLine(item, words) {
  const kind = item.kind || "solve";
  const li = el("li", kind === "solve" ? (item.first_blood ? "blood" : "") : kind + (item.voided ? " voided" : ""));
  const time = el("time");
  time.setAttribute("datetime", item.at);
  time.dataset.style = "time";
  li.append(time, document.createTextNode(" "));
  const pts = el("span", "pts" + (kind === "deduction" ? " minus" : ""));
  if (kind === "deduction" && item.voided) pts.append(el("del", "", itemPoints(item)));
  else pts.textContent = itemPoints(item);
  const key = sentenceKey(item, kind);
  const said = el("span", "said");
  if (kind === "service") {
    /* A defended service changed state: one whole sentence ("Team X: mail DOWN"), its state's glyph
       beside it, and no points (availability points come with the round's standings). */
    const service = words.service ? words.service(item.service) : item.service;
    li.className = "service state-" + item.state;
    li.dataset.service = item.team_id + ":" + item.service;
    const glyph = el("span", "glyph", SERVICE_GLYPHS[item.state] || "");
    glyph.setAttribute("aria-hidden", "true");
    li.append(glyph, document.createTextNode(" "));
    said.append(...words.parts("feed_service_" + item.state, { team: el("strong", "", item.team), service: service }));
  } else if (key) {
    said.append(...words.parts(key, { team: el("strong", "", item.team), reason: item.reason, points: item.points,
      challenge: item.challenge_id !== undefined ? words.challenge(item.challenge_id, item.challenge) : "" }));
  } else {
    said.append(el("strong", "", words.sentence ? words.sentence(item) : kind));
  }
  li.append(said, document.createTextNode(" "), pts);
  return li;
}

/* Axis labels: minutes for a drill-long axis, seconds when the span is short (the first minutes);
   `zone` (the projector's) names the hall's time zone, like its clock. */
function timeLabels(lang, zone) {
  return function (value) {
    const span = this && this.max - this.min;
    const fields = span && span < 20 * 60 * 1000 ? { hour: "2-digit", minute: "2-digit", second: "2-digit" } : { hour: "2-digit", minute: "2-digit" };
    if (zone) { fields.timeZone = zone; fields.hourCycle = "h23"; }
    return new Date(value).toLocaleTimeString(lang, fields);
  };
}

/* One dataset per row ({team, team_id, steps, score}), in the order given: from zero at `start`
   (ms, or null) through every step, held at the score until `end` (ms); styled by team id. */
export function datasets(rows, start, end) {
  return rows.map(function (row) {
    const points = start ? [{ x: start, y: 0 }] : [];
    (row.steps || []).forEach(function (step) { points.push({ x: Date.parse(step[0]), y: step[1] }); });
    points.push({ x: end, y: row.score });
    const line = lineStyle(row.team_id);
    return { label: row.team, data: points, borderColor: line.color, backgroundColor: line.color, borderDash: line.dash,
      pointStyle: line.shape, stepped: true, pointRadius: 4, borderWidth: 3 };
  });
}

/* Draw (or redraw) the chart on `canvas`; returns the Chart to pass back next time. */
export function drawChart(chart, canvas, sets, options) {
  if (typeof Chart === "undefined") return null;
  if (chart) { chart.data.datasets = sets; chart.update("none"); return chart; }
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;  /* CJK names need a CJK font */
  /* Labels as large as the text around the chart: the projector mode makes that large. */
  const size = parseFloat(getComputedStyle(canvas.parentNode).fontSize) || 16;
  Chart.defaults.font.size = size;
  return new Chart(canvas, {
    type: "line",
    data: { datasets: sets },
    options: {
      animation: false, maintainAspectRatio: false, parsing: false,
      scales: {
        x: { type: "linear", ticks: { color: "#cfd8e3", maxTicksLimit: 8, callback: timeLabels(options.lang, options.zone) }, grid: { color: "#2a3d55" } },
        y: { beginAtZero: true, ticks: { color: "#cfd8e3" }, grid: { color: "#2a3d55" } },
      },
      /* On a phone the legend would eat the plot; the table names the teams. The legend draws
         each line with its colour and dash. */
      plugins: { legend: { display: window.innerWidth > 700, position: "bottom",
        labels: { color: "#e8eef5", usePointStyle: true, pointStyle: "line", pointStyleWidth: size * 2.5 } } },
    },
  });
}
