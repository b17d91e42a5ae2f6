/* The team inbox, live: the unread count in the navigation of every team page, and on /inbox
   the list itself. A new message arrives over /live as "inbox" (its id only: each member reads
   it in their own language), and the inbox is read again from the API. */
"use strict";
(function () {
  const D = window.Drillboard;
  const count = document.getElementById("inbox-count");
  const list = document.getElementById("inbox-list");

  function showCount(unread) {
    if (!count) return;
    count.querySelector(".n").textContent = String(unread);
    count.hidden = unread === 0;
  }

  function item(m) {
    const li = document.createElement("li");
    li.className = "message" + (m.read ? "" : " unread");
    li.dataset.message = m.id;
    li.dataset.kind = m.kind;
    const title = document.createElement("h3");
    if (!m.read) {
      const badge = document.createElement("span");
      badge.className = "badge new";
      badge.textContent = D.t("inbox_new");
      title.append(badge, " ");
    }
    title.append(m.title);
    const meta = document.createElement("p");
    meta.className = "muted";
    const at = document.createElement("time");
    at.setAttribute("datetime", m.at);
    meta.append(at, document.createTextNode(" · "), D.t(m.kind === "announcement" ? "inbox_announcement" : "inbox_clarification"));
    const body = document.createElement("div");
    body.className = "body";
    body.innerHTML = m.body_html;  /* sanitised server-side */
    li.append(title, meta, body);
    return li;
  }

  async function refresh(arrived) {
    const response = await fetch("/api/v1/inbox", { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const messages = (await response.json()).messages;
    const fresh = messages.find(function (m) { return m.id === arrived.id; });
    if (fresh && fresh.kind === "clarification") D.toast(D.t("inbox_answer", { title: fresh.title }), "info");
    if (!list) { showCount(messages.filter(function (m) { return !m.read; }).length); return; }
    /* The open inbox shows the new message at once, so it counts as read. */
    list.replaceChildren.apply(list, messages.map(item));
    D.formatTimes(list);
    const unread = messages.filter(function (m) { return !m.read; }).map(function (m) { return m.id; });
    if (!unread.length) { showCount(0); return; }
    const r = await D.postJSON("/api/v1/inbox/read", { ids: unread });
    showCount(r.status === 200 ? r.data.unread : unread.length);
  }

  document.addEventListener("drillboard:inbox", function (event) { refresh(event.detail); });
})();
