/* The console's reveal auto-player: posts "Reveal next" every N seconds until paused or done,
   and shows the public board as it moves. Without JavaScript the Next button still works. */
"use strict";
(function () {
  const box = document.getElementById("autoplay");
  const form = document.getElementById("step-form");
  if (!box || !form) return;
  const toggle = document.getElementById("autoplay-toggle");
  const pace = document.getElementById("pace");
  const status = document.getElementById("autoplay-status");
  let timer = null;
  box.hidden = false;

  function cell(text, label) {
    const td = document.createElement("td");
    td.textContent = text;
    td.dataset.label = label;
    return td;
  }

  function showPublic(rows) {
    const table = document.getElementById("public-standings");
    const labels = Array.from(table.tHead.rows[0].cells).map(function (th) { return th.textContent; });
    table.tBodies[0].replaceChildren.apply(table.tBodies[0], rows.map(function (r) {
      const tr = document.createElement("tr");
      tr.dataset.team = r.team_id;
      tr.append(cell(r.pos, labels[0]), cell(r.team, labels[1]), cell(r.score, labels[2]));
      return tr;
    }));
  }

  function stop(message) {
    clearTimeout(timer);
    timer = null;
    toggle.textContent = box.dataset.paused;
    toggle.setAttribute("aria-pressed", "false");
    if (message !== undefined) status.textContent = message;
  }

  async function next() {
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST", credentials: "same-origin", headers: { Accept: "application/json" }, body: new FormData(form),
      });
    } catch (e) { stop(window.Drillboard.t("reveal_offline")); return; }
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: window.Drillboard.t("error") }; }
    if (!response.ok) { stop(data.error); return; }
    document.getElementById("remaining").textContent = data.state.remaining;
    showPublic(data.state.public);
    if (data.event && data.event.team) {
      const points = data.event.change.points;
      status.textContent = window.Drillboard.t("reveal_step", { team: data.event.team, points: points, value: signed(points) });
    }
    if (data.state.reveal !== "revealing") { stop(box.dataset.done); window.location.reload(); return; }
    if (timer !== null) timer = setTimeout(next, seconds());
  }

  function signed(points) { return (points >= 0 ? "+" : "\u2212") + Math.abs(points); }
  function seconds() { return Math.max(1, Number(pace.value) || 5) * 1000; }

  toggle.addEventListener("click", function () {
    if (timer !== null) { stop(); return; }
    toggle.textContent = box.dataset.playing;
    toggle.setAttribute("aria-pressed", "true");
    timer = setTimeout(next, 0);
  });
})();
