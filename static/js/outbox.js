/* patrol: the report outbox in IndexedDB. A report stays here, under the user who wrote it,
   until the server has answered 200/201 with a body naming its id; nothing else counts as a
   receipt (a captive portal's 200 page is not one).

   States, each shown to the ranger as such:
     waiting   no connection (or no patrol at the other end): sent when the connection returns;
     sending   on its way;
     sent      stored by the server;
     rejected  the server refused its content (4xx problem): correct it in the form, or discard;
     failed    the server could not take it (5xx, or an answer that is no receipt): tried again
               MAX_TRIES times at most, then only when the ranger says so. */
"use strict";

const outbox = (() => {
  const DB = "patrol";
  const STORE = "outbox";
  const MAX_TRIES = 3;

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
  const get = (id) => tx("readonly", (store) => store.get(id));
  const remove = (id) => tx("readwrite", (store) => store.delete(id));

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
    const tries = (entry.tries || 0) + 1;
    const tried = new Date().toISOString();
    await put({ ...entry, state: "sending", tries, tried });
    const base = { ...entry, tries, tried };
    let response;
    try {
      response = await patrol.send("POST", "/api/v1/patrols", entry.body, "application/geo+json", me.csrf_token);
    } catch (err) {
      await put({ ...base, state: "waiting", note: _("No connection: sent when it returns.") });
      return "waiting";
    }
    const type = response.headers.get("Content-Type") || "";
    const body = await response.json().catch(() => null);
    if ((response.status === 200 || response.status === 201) && body && body.id === entry.id) {
      await put({ ...base, state: "sent", note: response.status === 201 ? _("Stored.") : _("Stored already."), errors: [] });
      return "sent";
    }
    const problem = type.includes("application/problem+json") && body;
    if (problem && [400, 409, 413, 415, 422].includes(response.status)) {
      await put({ ...base, state: "rejected", note: body.detail || body.title, errors: body.errors || [] });
      return "rejected";
    }
    if (!problem && response.ok) {
      // A 200 page that is not patrol's answer: a Wi-Fi sign-in page between phone and server.
      await put({ ...base, state: "waiting", note: _("The network answered with a page that is not patrol's (a Wi-Fi sign-in page?): sent when the connection is through.") });
      return "waiting";
    }
    const reason = problem ? (body.detail || body.title) : (response.statusText || _("no reason given"));
    const more = tries < MAX_TRIES ? _("tried {tries} of {MAX_TRIES} times", { tries, MAX_TRIES }) : _("not tried again until you say so");
    await put({ ...base, state: "failed", note: _("The server could not take it: {reason} (HTTP {status}); {more}.", { reason, status: response.status, more }), errors: [] });
    return "failed";
  }

  /** Whether flush sends this entry by itself. */
  const due = (e) => e.state === "waiting" || e.state === "sending" || (e.state === "failed" && (e.tries || 0) < MAX_TRIES);

  /** Send every due report of the signed-in user, under that user's session; ``skip`` names
      reports not to send now (the one open in the form). ``only`` sends that one whatever its
      state (the ranger's "Send now"). */
  async function flush({ skip = [], only = null } = {}) {
    const me = await whoami();
    if (!me) return { me: null, sent: 0 };
    let sent = 0;
    for (const entry of await all()) {
      if (entry.user !== me.username || skip.includes(entry.id)) continue;
      if (only ? entry.id !== only || entry.state === "sent" : !due(entry)) continue;
      if ((await sendOne(entry, me)) === "sent") sent += 1;
    }
    return { me, sent };
  }

  return { put, all, get, remove, flush, whoami, MAX_TRIES };
})();
