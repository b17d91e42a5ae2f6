/* Team pages: instant verdicts, hint unlocks, live notices and challenge list refresh. */
"use strict";
(function () {
  const D = window.Drillboard;
  const form = document.getElementById("answer-form");
  const verdict = document.getElementById("verdict");
  const article = document.querySelector("article.challenge");
  const me = (document.querySelector('meta[name="user-id"]') || {}).content;

  function show(text, kind) {
    verdict.textContent = text;
    verdict.className = "verdict " + kind;
  }

  let waitTimer = null;
  function wait(seconds, button) {
    button.disabled = true;
    clearInterval(waitTimer);
    let left = seconds;
    show(D.t("wait", { n: left }), "limited");
    waitTimer = setInterval(function () {
      left -= 1;
      if (left <= 0) { clearInterval(waitTimer); button.disabled = false; show(D.t("can_answer"), "info"); return; }
      show(D.t("wait", { n: left }), "limited");
    }, 1000);
  }

  if (form && article) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const input = form.querySelector("input[name=answer]");
      const button = form.querySelector("button");
      const answer = input.value.trim();
      if (!answer) { show(D.t("type_first"), "incorrect"); return; }
      button.disabled = true;
      try {
        const r = await D.postJSON("/api/v1/challenges/" + article.dataset.challenge + "/attempts", { answer: answer });
        button.disabled = false;
        if (r.status === 200 && r.data.result === "correct") {
          show(D.t(r.data.first_blood ? "correct_first_blood" : "correct", { points: r.data.points }), "correct");
          input.value = "";
        } else if (r.status === 200 && r.data.result === "already_solved") {
          show(D.t("already_solved"), "correct");
        } else if (r.status === 200) {
          /* A right answer that does not finish the challenge yet says so in its own sentence. */
          const said = [r.data.message || D.t("incorrect")];
          if (r.data.attempts_left === 0) {
            /* Used up: the form says so and stops offering an answer the server would refuse. */
            show(D.sentences(said.concat(D.t("no_attempts_left"))), "incorrect");
            input.disabled = true;
            button.disabled = true;
            const left = document.getElementById("attempts-left");
            if (left) left.remove();
            return;
          }
          if (typeof r.data.attempts_left === "number") {
            said.push(D.t("attempts_left", { n: r.data.attempts_left }));
            refreshAttemptsLeft();
          }
          show(D.sentences(said), "incorrect");
          input.select();
        } else if (r.status === 429) {
          wait(parseInt(r.headers.get("Retry-After") || "60", 10), button);
        } else {
          show(r.data.error || D.t("error"), "incorrect");
        }
      } catch (e) {
        button.disabled = false;
        show(D.t("offline"), "incorrect");
      }
    });
  }

  /* The line under the form counts the wrong answers left too: read it again from the server (in
     the page's language, with its plural) so that it agrees with the verdict above it. */
  async function refreshAttemptsLeft() {
    const line = document.getElementById("attempts-left");
    if (!line) return;
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("attempts-left");
    if (fresh) line.textContent = fresh.textContent;
  }

  /* At ENDEX the answer box closes with the drill-ended message: told by the clock event, or by
     the end time itself when it passes with the page open. */
  function closeAnswers() {
    if (!form || !form.isConnected) return;
    const note = document.createElement("p");
    note.id = "drill-ended";
    note.className = "spent-note";
    note.textContent = D.t("drill_ended");
    form.replaceWith(note);
    const left = document.getElementById("attempts-left");
    if (left) left.remove();
    verdict.textContent = "";
  }
  let endTimer = null;
  function closeAt(iso) {
    clearTimeout(endTimer);
    const until = Date.parse(iso || "") - Date.now();
    if (until <= 0) closeAnswers();
    else if (until < 2147483647) endTimer = setTimeout(closeAnswers, until);
  }
  if (form && form.dataset.endsAt) closeAt(form.dataset.endsAt);

  document.querySelectorAll("form[data-hint-unlock]").forEach(function (hintForm) {
    hintForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      const cost = hintForm.dataset.cost;
      if (!window.confirm(D.t("unlock_confirm", { cost: cost }))) return;
      const id = hintForm.closest("[data-hint]").dataset.hint;
      const r = await D.postJSON("/api/v1/hints/" + id + "/unlock");
      if (r.status !== 200) { D.toast(r.data.error || D.t("unlock_failed"), "error"); return; }
      /* Hints that required this one may open now: let the server decide which. */
      if (document.querySelector('[data-requires~="' + id + '"]')) { window.location.reload(); return; }
      const content = document.createElement("div");
      content.className = "hint-content";
      content.tabIndex = -1;
      content.innerHTML = r.data.content;  /* sanitised server-side */
      hintForm.replaceWith(content);
      /* Focus moves to what was bought, and the polite live region says what it cost. */
      content.focus();
      D.toast(D.t("hint_unlocked_self", { cost: r.data.cost }), "ok");
    });
  });

  /* A challenge's name as this page shows it (in the viewer's language); notices carry the pack's own. */
  function nameOf(id, fallback) {
    const shown = document.querySelector('[data-challenge="' + id + '"] .tile-name, article[data-challenge="' + id + '"] h1');
    return shown ? shown.textContent.trim() : fallback;
  }

  /* Keep the challenge list current: new injects and changing values appear without a reload. */
  const list = document.getElementById("challenge-list");
  let refreshTimer = null;
  function refreshList() {
    if (!list) return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(async function () {
      const response = await fetch(window.location.href, { credentials: "same-origin" });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("challenge-list");
      if (fresh) list.innerHTML = fresh.innerHTML;
    }, 300);
  }

  D.connect({
    solve: refreshList,
    standings: function () {},
    release: function (event) { D.toast(D.t("new_challenge", { name: event.challenge, category: event.category }), "info"); refreshList(); },
    announcement: function (event) { D.toast(D.t("announcement", { title: event.title }), "info"); },
    clock: function (c) {
      clearTimeout(endTimer);
      if (c.phase === "ended") closeAnswers();
      else if (c.phase === "running" && c.ends_at) closeAt(c.ends_at);
      refreshList();
    },
    pack: refreshList,
    notice: function (notice) {
      const name = nameOf(notice.challenge_id, notice.challenge);
      if (notice.kind === "solve") D.toast(D.t("team_solved", { name: name, points: notice.points }), "ok");
      else if (notice.kind === "hint_unlocked" && String(notice.user_id) === me) { /* the unlocker heard already */ }
      else if (notice.kind === "hint_unlocked") D.toast(D.t("hint_unlocked", { name: name, cost: notice.cost }), "info");
      else if (notice.kind === "graded") D.toast(D.t("report_graded", { name: name, points: notice.points }), "ok");
      else if (notice.kind === "report_filed") D.toast(D.t("report_filed", { name: name, version: notice.version }), "info");
      else if (notice.kind === "report_returned") D.toast(D.t("report_returned", { name: name, note: notice.note }), "error");
      else if (notice.kind === "award") D.toast(D.t("award", { points: notice.value, value: (notice.value > 0 ? "+" : "\u2212") + Math.abs(notice.value), reason: notice.reason }), "info");
      else if (notice.kind === "deduction") D.toast(D.t("deduction", { points: notice.points, reason: notice.reason }), "error");
      else if (notice.kind === "deduction_void") D.toast(D.t("deduction_void", { points: notice.points, void_reason: notice.void_reason }), "info");
      else if (notice.kind === "detection") D.toast(D.t("detection_" + notice.status, notice), notice.status === "accepted" ? "ok" : "info");
      else if (notice.kind === "appeal") D.toast(D.t("appeal_" + notice.decision, notice), notice.decision === "voided" ? "ok" : "info");
      refreshList();
    },
  });
})();
