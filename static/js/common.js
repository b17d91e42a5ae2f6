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
    try { data = await response.json(); } catch (e) { data = { error: t("error") }; }
    return { status: response.status, headers: response.headers, data: data };
  }

  /* The page's language (<html lang>), for dates and numbers in the viewer's own conventions. */
  const lang = document.documentElement.lang || undefined;
  const TIME_STYLES = {
    time: { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short" },
    datetime: { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", timeZoneName: "short" },
  };

  /* The zone a page's times read in: the viewer's own (undefined), or on the projector
     (body[data-zone]) the drill's home zone, which its clock names once for the whole hall. */
  const zone = (function () {
    const wanted = document.body && document.body.dataset.zone;
    try {
      if (wanted) { new Intl.DateTimeFormat(lang, { timeZone: wanted }); return wanted; }
    } catch (e) { /* a zone this browser does not know: the viewer's own */ }
    return undefined;
  })();

  function timeOptions(style) {
    const options = Object.assign({}, TIME_STYLES[style] || TIME_STYLES.datetime);
    if (zone) { delete options.timeZoneName; options.timeZone = zone; options.hourCycle = "h23"; }
    return options;
  }

  /* Times are sent in UTC; show them in the viewer's own zone with the zone named (or the hall's). */
  function formatTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      const when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      el.textContent = when.toLocaleString(lang, timeOptions(el.dataset.style));
      el.title = when.toLocaleString(lang, { dateStyle: "full", timeStyle: "long", timeZone: zone });
    });
  }

  /* The drill's home zone (pack.yml `timezone`): its time now, next to the viewer's own; the
     projector's wall clock (data-seconds) counts the seconds on a 24-hour dial. */
  function tickHomeZone() {
    const box = document.getElementById("home-zone");
    if (!box) return;
    const fields = { hour: "2-digit", minute: "2-digit", timeZone: box.dataset.zone };
    if (box.dataset.seconds) { fields.second = "2-digit"; fields.hourCycle = "h23"; }
    try {
      box.querySelector(".home-time").textContent = new Date().toLocaleTimeString(lang, fields);
    } catch (e) { /* a zone this browser does not know: keep the server's text */ }
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

  /* An announcement in the viewer's language when exercise control wrote one, else the English. */
  const base = (lang || "en").split("-")[0];
  function inLanguage(a) {
    const text = a && a.translations && a.translations[base];
    return text ? Object.assign({}, a, text) : a;
  }

  const KINDS = ["solve", "announcement", "release", "standings", "freeze", "clock", "award", "team", "pack",
    "deduction", "graded", "reveal"];

  /* Connect to /live. Public events carry a strictly increasing seq: one we already have is
     dropped, a gap asks for a fresh snapshot (resync). Private notices carry no seq. A new
     inbox message is also told to the page as a "drillboard:inbox" event (static/js/inbox.js). */
  function connect(handlers) {
    if (typeof io === "undefined") return null;
    let seq = null;
    const socket = io("/live", { transports: ["websocket", "polling"] });
    const status = document.getElementById("conn");
    socket.on("connect", function () { if (status) status.className = "conn on"; });
    socket.on("disconnect", function () { seq = null; if (status) status.className = "conn off"; });
    socket.on("snapshot", function (snapshot) {
      if (snapshot.announcements) snapshot.announcements = snapshot.announcements.map(inLanguage);
      seq = snapshot.seq;
      document.body.dataset.seq = seq;
      if (handlers.snapshot) handlers.snapshot(snapshot);
    });
    KINDS.forEach(function (kind) {
      socket.on(kind, function (event) {
        if (kind === "announcement") event = inLanguage(event);
        if (typeof event.seq !== "number") { if (handlers[kind]) handlers[kind](event, true); return; }
        if (seq === null || event.seq <= seq) return;
        if (event.seq !== seq + 1) { seq = null; socket.emit("resync"); return; }
        seq = event.seq;
        document.body.dataset.seq = seq;
        if (handlers[kind]) handlers[kind](event, false);
      });
    });
    socket.on("notice", function (notice) { if (handlers.notice) handlers.notice(notice); });
    socket.on("inbox", function (message) {
      document.dispatchEvent(new CustomEvent("drillboard:inbox", { detail: message }));
    });
    return socket;
  }

  document.addEventListener("DOMContentLoaded", function () {
    formatTimes(document);
    tickHomeZone();
    setInterval(tickHomeZone, 1000);
  });
  return { postJSON: postJSON, formatTimes: formatTimes, toast: toast, connect: connect, t: t, lang: lang, zone: zone };
})();
