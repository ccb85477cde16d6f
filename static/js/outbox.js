/* patrol: the report outbox in IndexedDB. A report stays here, under the user who wrote it,
   until the server has answered 200/201 with a body naming its id; nothing else counts as a
   receipt (a captive portal's 200 page is not one). */
"use strict";

const outbox = (() => {
  const DB = "patrol";
  const STORE = "outbox";

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function tx(mode, fn) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const result = fn(t.objectStore(STORE));
      t.oncomplete = () => { db.close(); resolve(result && "result" in result ? result.result : undefined); };
      t.onerror = () => { db.close(); reject(t.error); };
    });
  }

  const put = (entry) => tx("readwrite", (store) => store.put({ ...entry, updated: new Date().toISOString() }));
  const all = () => tx("readonly", (store) => store.getAll());

  /** Who is signed in now, and a fresh CSRF token; null when offline or signed out. */
  async function whoami() {
    try {
      const response = await fetch("/api/v1/session", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return null;
      const body = await response.json();
      return body && body.username ? body : null;
    } catch (err) {
      return null;
    }
  }

  async function sendOne(entry, me) {
    await put({ ...entry, state: "sending" });
    let response;
    try {
      response = await patrol.send("POST", "/api/v1/patrols", entry.body, "application/geo+json", me.csrf_token);
    } catch (err) {
      await put({ ...entry, state: "waiting", note: "No connection: will retry." });
      return "waiting";
    }
    const body = await response.json().catch(() => null);
    if ((response.status === 200 || response.status === 201) && body && body.id === entry.id) {
      await put({ ...entry, state: "sent", note: response.status === 201 ? "Stored." : "Stored already.", errors: [] });
      return "sent";
    }
    const problem = response.headers.get("Content-Type") || "";
    if (problem.includes("application/problem+json") && body && [400, 409, 413, 415, 422].includes(response.status)) {
      await put({ ...entry, state: "rejected", note: body.detail || body.title, errors: body.errors || [] });
      return "rejected";
    }
    // 401/403 (signed out, another user), 5xx, or a page that is not our API: try again later.
    await put({ ...entry, state: "waiting", note: `Not sent yet (HTTP ${response.status}).` });
    return "waiting";
  }

  /** Send every waiting report of the signed-in user, under that user's session. */
  async function flush() {
    const me = await whoami();
    if (!me) return { me: null, sent: 0 };
    let sent = 0;
    for (const entry of await all()) {
      if (entry.user !== me.username || !["waiting", "sending"].includes(entry.state)) continue;
      if ((await sendOne(entry, me)) === "sent") sent += 1;
    }
    return { me, sent };
  }

  return { put, all, flush, whoami };
})();
