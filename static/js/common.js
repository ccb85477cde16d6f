/* patrol: helpers shared by the pages (no framework). */
"use strict";

const patrol = (() => {
  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /** GET JSON from the API with the session cookie; throws Error(detail) on a problem. */
  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      throw new Error((body && (body.detail || body.title)) || `HTTP ${response.status}`);
    }
    return body;
  }

  /** Send JSON (or a raw body) with the page's CSRF token. */
  async function send(method, url, body, contentType = "application/json", token = csrfToken()) {
    return fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": contentType, "X-CSRFToken": token, Accept: "application/json" },
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
    if (typeof value === "number") return value.toLocaleString(undefined, { maximumFractionDigits: digits });
    return String(value);
  }

  function isoDay(date) {
    return date.toISOString().slice(0, 10);
  }

  return { csrfToken, getJSON, send, el, fmt, isoDay };
})();
