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
  /* The zone a page's times read in: the viewer's own (undefined), or the drill's home zone where the
     page says so (body[data-zone]: the projector, whose clock names it once for the hall, and the
     console, which writes UTC beside: body[data-utc-beside]). */
  const zone = (function () {
    const wanted = document.body && document.body.dataset.zone;
    try {
      if (wanted) { new Intl.DateTimeFormat(lang, { timeZone: wanted }); return wanted; }
    } catch (e) { /* a zone this browser does not know: the viewer's own */ }
    return undefined;
  })();
  const utcBeside = Boolean(document.body && document.body.dataset.utcBeside);

  /* Dates in ISO order (2026-11-25 09:00) in every language: a locale's own order (11/25/2026)
     never appears by accident; only the zone's name is said in the page's language. */
  function isoText(when, style, timeZone) {
    const fields = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      second: "2-digit", hourCycle: "h23", timeZone: timeZone };
    const p = {};
    new Intl.DateTimeFormat("en-US", fields).formatToParts(when).forEach(function (part) { p[part.type] = part.value; });
    const time = p.hour + ":" + p.minute + (style === "time" ? ":" + p.second : "");
    return style === "time" ? time : p.year + "-" + p.month + "-" + p.day + " " + time;
  }

  function zoneLabel(when, timeZone) {
    const part = new Intl.DateTimeFormat(lang, { timeZoneName: "short", timeZone: timeZone }).formatToParts(when)
      .find(function (item) { return item.type === "timeZoneName"; });
    return part ? part.value : "";
  }

  /* Times are sent in UTC; show them in the page's zone with the zone named (the projector's clock
     names the hall's zone once), and UTC beside where the page asks for it. */
  function formatTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      const when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      const style = el.dataset.style;
      let text = isoText(when, style, zone);
      if (!zone || utcBeside) text += " " + zoneLabel(when, zone);
      if (utcBeside && zone !== "UTC") text += " · " + isoText(when, style, "UTC") + " UTC";
      el.textContent = text;
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

  /* The one plural helper: a plural entry holds every form of its sentence, keyed by CLDR plural
     category (scoreboard/web/words.py asks Babel, which is CLDR too); Intl.PluralRules says which
     category the count falls in for the page's language (ru: 1 очко, 2 очка, 5 очков). */
  const plurals = new Intl.PluralRules(lang);
  function template(key, params) {
    const entry = catalog[key];
    if (!entry || typeof entry === "string") return entry || key;
    const count = Math.abs(Number(params && params[entry.count]) || 0);
    return entry.forms[plurals.select(count)] || entry.forms.other || Object.values(entry.forms)[0];
  }

  /* Interface text comes translated from the server (Flask-Babel) as whole sentences; {name} fills
     a value in. */
  function t(key, params) {
    return template(key, params).replace(/\{(\w+)\}/g, function (_, name) {
      return params && name in params ? String(params[name]) : "";
    });
  }

  /* The same sentence as DOM nodes, where a value is an element (a team's name in bold): the
     translation decides the order, the page only fills the places. */
  function parts(key, params) {
    return template(key, params).split(/(\{\w+\})/).filter(Boolean).map(function (piece) {
      const name = /^\{(\w+)\}$/.exec(piece);
      if (!name) return document.createTextNode(piece);
      const value = params && params[name[1]];
      return value instanceof Node ? value : document.createTextNode(value === undefined ? "" : String(value));
    });
  }

  /* Whole sentences one after another: a space between them, none in Chinese. */
  function sentences(list) {
    return list.filter(Boolean).join(base === "zh" ? "" : " ");
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
    "deduction", "graded", "reveal", "phase", "detection", "appeal", "service"];

  /* Every public event is also a DOM event ("drillboard:phase"...), so a small script for one part
     of a page (static/js/phase.js) follows the stream without opening a second connection. */
  function broadcast(kind, event) {
    document.dispatchEvent(new CustomEvent("drillboard:" + kind, { detail: event }));
  }

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
        broadcast(kind, event);
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
  return { postJSON: postJSON, formatTimes: formatTimes, toast: toast, connect: connect, t: t, parts: parts,
    sentences: sentences, lang: lang, zone: zone };
})();
