/* Shared by every page: CSRF-aware JSON posts, local times, toasts, and the live connection. */
"use strict";
window.Drillboard = (function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";

  async function postJSON(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {}),
    });
    let data;
    try { data = await response.json(); } catch (e) { data = { error: "unexpected answer from the server" }; }
    return { status: response.status, headers: response.headers, data: data };
  }

  /* Times are sent in UTC; show them in the viewer's own zone, or on the board (body[data-zone])
     in the drill's home zone, as its clock does. */
  function formatTimes(root) {
    const zone = document.body && document.body.dataset.zone;
    let options = {};
    try {
      if (zone) options = { timeZone: zone, hourCycle: "h23" };
      new Date().toLocaleTimeString([], options);
    } catch (e) { options = {}; }
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      const when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) { el.textContent = when.toLocaleTimeString([], options); el.title = when.toLocaleString([], options); }
    });
  }

  const catalog = JSON.parse((document.getElementById("i18n") || { textContent: "{}" }).textContent);

  /* Interface text comes translated from the server (Flask-Babel); {name} fills a value in. */
  function t(key, params) {
    return (catalog[key] || key).replace(/\{(\w+)\}/g, function (_, name) {
      return params && name in params ? String(params[name]) : "";
    });
  }

  function toast(text, kind) {
    const box = document.getElementById("notices");
    if (!box) return;
    const item = document.createElement("p");
    item.className = "notice " + (kind || "info");
    item.textContent = text;
    box.prepend(item);
    setTimeout(function () { item.remove(); }, 8000);
  }

  const KINDS = ["solve", "announcement", "release", "standings", "freeze", "clock", "award", "team", "pack"];

  /* Connect to /live. Public events carry a strictly increasing seq: one we already have is
     dropped, a gap asks for a fresh snapshot (resync). Private notices carry no seq. */
  function connect(handlers) {
    if (typeof io === "undefined") return null;
    let seq = null;
    const socket = io("/live", { transports: ["websocket", "polling"] });
    const status = document.getElementById("conn");
    socket.on("connect", function () { if (status) status.className = "conn on"; });
    socket.on("disconnect", function () { seq = null; if (status) status.className = "conn off"; });
    socket.on("snapshot", function (snapshot) {
      seq = snapshot.seq;
      document.body.dataset.seq = seq;
      if (handlers.snapshot) handlers.snapshot(snapshot);
    });
    KINDS.forEach(function (kind) {
      socket.on(kind, function (event) {
        if (typeof event.seq !== "number") { if (handlers[kind]) handlers[kind](event, true); return; }
        if (seq === null || event.seq <= seq) return;
        if (event.seq !== seq + 1) { seq = null; socket.emit("resync"); return; }
        seq = event.seq;
        document.body.dataset.seq = seq;
        if (handlers[kind]) handlers[kind](event, false);
      });
    });
    socket.on("notice", function (notice) { if (handlers.notice) handlers.notice(notice); });
    return socket;
  }

  document.addEventListener("DOMContentLoaded", function () { formatTimes(document); });
  return { postJSON: postJSON, formatTimes: formatTimes, toast: toast, connect: connect, t: t };
})();
