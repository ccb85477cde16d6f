/* patrol: helpers shared by the pages (no framework). */
"use strict";

/** The page's language (<html lang>), for Intl's number and date formats. */
const PAGE_LANG = document.documentElement.lang || "en";
/** Intl's locale for the page: British English writes "5 March 2026" as the pages always did. */
const INTL_LANG = PAGE_LANG === "en" ? "en-GB" : PAGE_LANG;

/** A message in the page's language, from the catalog /i18n/<lang>.js loads (the same .po
    files as the pages'; the service worker keeps it for offline use): the English text when
    the catalog has none. Placeholders are {name}, filled from ``params``. */
function _(message, params) {
  const text = (window.PATROL_MESSAGES || {})[message] || message;
  return params ? text.replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole)) : text;
}

/** The reader's word for a value of a closed vocabulary (patrol/web/labels.py): its code if none. */
function label(kind, value) {
  return ((window.PATROL_LABELS || {})[kind] || {})[value] || String(value ?? "");
}

// Leaflet's own words (zoom buttons, its credit) in the page's language.
if (window.L) {
  L.Control.Zoom.prototype.options.zoomInTitle = _("Zoom in");
  L.Control.Zoom.prototype.options.zoomOutTitle = _("Zoom out");
  const credit = document.createElement("a");
  credit.href = "https://leafletjs.com";
  credit.title = _("A JavaScript library for interactive maps");
  credit.textContent = "Leaflet";
  L.Control.Attribution.prototype.options.prefix = credit.outerHTML;
}

const patrol = (() => {
  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /** The page's language, asked of the API explicitly so its problems (title, detail, each
      field's detail) come in the language the page shows, not the browser's first choice. */
  function pageLanguage() {
    return document.documentElement.lang || "en";
  }

  /** GET JSON from the API with the session cookie; throws Error(detail) on a problem. */
  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json", "Accept-Language": pageLanguage() } });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      throw new Error((body && (body.detail || body.title)) || _("HTTP {status}", { status: response.status }));
    }
    return body;
  }

  /** Send JSON (or a raw body) with the page's CSRF token. */
  async function send(method, url, body, contentType = "application/json", token = csrfToken()) {
    return fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": contentType, "X-CSRFToken": token, Accept: "application/json", "Accept-Language": pageLanguage() },
      body: body === undefined ? undefined : (typeof body === "string" ? body : JSON.stringify(body)),
    });
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function fmt(value, digits = 1) {
    if (value === null || value === undefined) return "–";
    if (typeof value === "number") return value.toLocaleString(INTL_LANG, { maximumFractionDigits: digits });
    return String(value);
  }

  function isoDay(date) {
    return date.toISOString().slice(0, 10);
  }

  /** A local date and time of an ISO string ("2026-11-25T16:20"), in the reader's conventions
      (25.11.2026, 16:20 in Russian): the digits as given, no time zone arithmetic. */
  function localText(iso) {
    if (!iso) return "–";
    if (PAGE_LANG === "en") return String(iso).slice(0, 16).replace("T", " ");
    const m = String(iso).match(/^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/);
    if (!m) return String(iso);
    const when = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0)));
    const options = { timeZone: "UTC", year: "numeric", month: "2-digit", day: "2-digit" };
    if (m[4] !== undefined) Object.assign(options, { hour: "2-digit", minute: "2-digit" });
    return new Intl.DateTimeFormat(INTL_LANG, options).format(when).replace(", ", " ");
  }

  /** A zone's name in the page's language when the park gave one (the API's ``names``:
      {"ru": ..., "en": ...}), else its ``name``. */
  function zoneName(p) {
    return (p && p.names && p.names[PAGE_LANG]) || (p && p.name) || "";
  }

  return { csrfToken, getJSON, send, el, fmt, isoDay, localText, zoneName, INTL_LANG };
})();
