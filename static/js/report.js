/* patrol: the ranger's report form. Route from a file, the phone's GPS or drawn on the map;
   snares by tapping the map or "here". Reports go to the outbox first, then to the server. */
"use strict";

(() => {
  const { el, fmt } = patrol;
  const form = document.getElementById("report");
  const me = form.dataset.user;
  const summary = document.getElementById("route-summary");
  const formStatus = document.getElementById("form-status");
  const snareBox = document.getElementById("snares");
  const template = document.getElementById("snare-template");

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  }

  const map = L.map("route-map").setView([43.1, 131.45], 9);
  const routeLayer = L.polyline([], { color: "#54278f", weight: 3, className: "draft-route" }).addTo(map);
  const snareLayer = L.layerGroup().addTo(map);
  patrolOrientation.addOrientation(map, { user: me, unit: document.getElementById("unit") });

  // The ranger's area: its outline for orientation, and the view the map opens on (a route
  // drawn outside it is refused by the server).
  fetch("/api/v1/areas", { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : null))
    .then((doc) => {
      if (!doc || !doc.features || !doc.features.length) return;
      const outline = L.geoJSON(doc.features, {
        style: { color: "#444", weight: 2, fill: false, dashArray: "6 4" },
        interactive: false,
      }).addTo(map);
      if (!route.parts.length) map.fitBounds(outline.getBounds());
      map.getContainer().dataset.area = "1";
    })
    .catch(() => {});

  let reportId = newId();
  let route = { parts: [], times: [] }; // parts: [[lon, lat], ...] per line
  let snares = [];
  let mode = null; // "draw" | "tap" | null
  let watch = null;

  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const toLocalInput = (date) => new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const fromLocalInput = (value) => (value ? new Date(value).toISOString() : null);

  function setMode(next) {
    mode = mode === next ? null : next;
    document.getElementById("draw").setAttribute("aria-pressed", String(mode === "draw"));
    document.getElementById("tap-snare").setAttribute("aria-pressed", String(mode === "tap"));
  }

  function redrawRoute() {
    routeLayer.setLatLngs(route.parts.map((part) => part.map(([lon, lat]) => [lat, lon])));
    const n = route.parts.reduce((sum, p) => sum + p.length, 0);
    let km = 0;
    for (const part of route.parts) {
      for (let i = 1; i < part.length; i += 1) km += map.distance([part[i - 1][1], part[i - 1][0]], [part[i][1], part[i][0]]) / 1000;
    }
    summary.textContent = n ? `Route: ${n} points, about ${fmt(km, 2)} km.` : "No route yet.";
    if (n > 1) map.fitBounds(routeLayer.getBounds(), { maxZoom: 15 });
  }

  function addSnare({ lon, lat, found_at = null, props = {} }) {
    const node = template.content.firstElementChild.cloneNode(true);
    const index = snares.length;
    for (const field of node.querySelectorAll("[data-name]")) {
      const id = `snare-${reportId.slice(0, 8)}-${index}-${field.dataset.name}`;
      field.id = id;
      node.querySelector(`label[data-for="${field.dataset.name}"]`).setAttribute("for", id);
      if (props[field.dataset.name] !== undefined && props[field.dataset.name] !== null) field.value = props[field.dataset.name];
    }
    node.querySelector('[data-name="found_at"]').value = toLocalInput(found_at ? new Date(found_at) : defaultFoundAt(lon, lat));
    node.querySelector(".position").textContent = `At ${lat.toFixed(5)}, ${lon.toFixed(5)}`;
    const marker = L.circleMarker([lat, lon], { radius: 7, color: "#222", fillColor: "#ffd92f", fillOpacity: 1 }).addTo(snareLayer);
    const snare = { id: newId(), lon, lat, node, marker };
    node.querySelector(".remove").addEventListener("click", () => {
      snares = snares.filter((s) => s !== snare);
      node.remove();
      snareLayer.removeLayer(marker);
    });
    snares.push(snare);
    snareBox.append(node);
  }

  /** When a snare tapped on the map was found: when the route passed nearest to it, else
      the patrol's start, else now. */
  function defaultFoundAt(lon, lat) {
    let best = null;
    let bestDistance = Infinity;
    route.parts.forEach((part, k) => part.forEach(([x, y], i) => {
      const time = route.times[k] && route.times[k][i];
      const d = (x - lon) ** 2 + (y - lat) ** 2;
      if (time && d < bestDistance) { best = time; bestDistance = d; }
    }));
    if (best) return new Date(best);
    const start = document.getElementById("started_at").value;
    return start ? new Date(start) : new Date();
  }

  function clearForm() {
    reportId = newId();
    route = { parts: [], times: [] };
    snares.forEach((s) => s.node.remove());
    snares = [];
    snareLayer.clearLayers();
    document.getElementById("route-file").value = "";
    document.getElementById("ended_at").value = "";
    document.getElementById("started_at").value = toLocalInput(new Date());
    redrawRoute();
  }

  function parseGPX(text) {
    const doc = new DOMParser().parseFromString(text, "application/xml");
    if (doc.getElementsByTagName("parsererror").length) throw new Error("The file is not a GPX (XML) file.");
    const pick = (node, name) => node.getElementsByTagNameNS("*", name)[0]?.textContent.trim() || null;
    const parts = [];
    const times = [];
    for (const seg of doc.getElementsByTagNameNS("*", "trkseg")) {
      const points = [...seg.getElementsByTagNameNS("*", "trkpt")];
      if (points.length < 2) continue; // handhelds write empty and one-point segments
      parts.push(points.map((p) => [Number(p.getAttribute("lon")), Number(p.getAttribute("lat"))]));
      times.push(points.map((p) => pick(p, "time")));
    }
    if (!parts.length) throw new Error("The GPX file has no recorded track (a planned <rte> is not one).");
    const waypoints = [...doc.getElementsByTagNameNS("*", "wpt")].map((w) => ({
      lon: Number(w.getAttribute("lon")), lat: Number(w.getAttribute("lat")),
      found_at: pick(w, "time"), props: { notes: [pick(w, "name"), pick(w, "desc")].filter(Boolean).join(" / ") || null },
    }));
    return { parts, times, waypoints };
  }

  function loadTrack({ parts, times, waypoints = [] }) {
    route = { parts, times };
    const flat = times.flat();
    if (flat[0]) document.getElementById("started_at").value = toLocalInput(new Date(flat[0]));
    if (flat[flat.length - 1]) document.getElementById("ended_at").value = toLocalInput(new Date(flat[flat.length - 1]));
    waypoints.forEach(addSnare);
    redrawRoute();
  }

  function loadReport(doc) {
    clearForm();
    const routeFeature = doc.features.find((f) => f.properties && f.properties.kind === "route");
    if (!routeFeature) throw new Error("The GeoJSON has no feature with \"kind\": \"route\".");
    const g = routeFeature.geometry;
    const parts = g.type === "MultiLineString" ? g.coordinates : [g.coordinates];
    const p = routeFeature.properties;
    const times = p.coordTimes ? (g.type === "MultiLineString" ? p.coordTimes : [p.coordTimes]) : parts.map((part) => part.map(() => null));
    if (routeFeature.id) reportId = routeFeature.id;
    for (const name of ["unit", "transport", "leader"]) if (p[name]) document.getElementById(name).value = p[name];
    if (p.members) document.getElementById("members").value = p.members.join(", ");
    loadTrack({ parts: parts.map((part) => part.map((c) => [c[0], c[1]])), times });
    if (p.started_at) document.getElementById("started_at").value = toLocalInput(new Date(p.started_at));
    if (p.ended_at) document.getElementById("ended_at").value = toLocalInput(new Date(p.ended_at));
    for (const f of doc.features) {
      if (!f.properties || f.properties.kind !== "snare") continue;
      addSnare({ lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1], found_at: f.properties.found_at, props: f.properties });
      if (f.id) snares[snares.length - 1].id = f.id;
    }
  }

  document.getElementById("route-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const text = await file.text();
    clearErrors();
    try {
      if (/\.gpx$/i.test(file.name) || text.trimStart().startsWith("<")) {
        const keepFile = event.target.files;
        clearForm();
        event.target.files = keepFile;
        loadTrack(parseGPX(text));
      } else {
        const doc = JSON.parse(text);
        if (doc.type === "FeatureCollection") loadReport(doc);
        else {
          const g = doc.type === "Feature" ? doc.geometry : doc;
          loadTrack({ parts: g.type === "MultiLineString" ? g.coordinates : [g.coordinates], times: [] });
        }
      }
    } catch (err) {
      showError("route", err.message);
    }
  });

  document.getElementById("draw").addEventListener("click", () => setMode("draw"));
  document.getElementById("tap-snare").addEventListener("click", () => setMode("tap"));
  document.getElementById("undo").addEventListener("click", () => {
    const last = route.parts[route.parts.length - 1];
    if (last) { last.pop(); route.times[route.times.length - 1].pop(); if (!last.length) { route.parts.pop(); route.times.pop(); } }
    redrawRoute();
  });
  document.getElementById("clear").addEventListener("click", () => { route = { parts: [], times: [] }; redrawRoute(); });

  map.on("click", (event) => {
    const { lat, lng } = event.latlng;
    if (mode === "draw") {
      if (!route.parts.length) { route.parts.push([]); route.times.push([]); }
      route.parts[route.parts.length - 1].push([lng, lat]);
      route.times[route.times.length - 1].push(null);
      redrawRoute();
    } else if (mode === "tap") {
      addSnare({ lon: lng, lat });
    }
  });

  document.getElementById("record").addEventListener("click", (event) => {
    const button = event.currentTarget;
    if (watch !== null) {
      navigator.geolocation.clearWatch(watch);
      watch = null;
      button.setAttribute("aria-pressed", "false");
      button.textContent = "Record with GPS";
      document.getElementById("ended_at").value = toLocalInput(new Date());
      return;
    }
    if (!navigator.geolocation) { showError("route", "This device has no GPS access."); return; }
    route.parts.push([]);
    route.times.push([]);
    document.getElementById("started_at").value = toLocalInput(new Date());
    watch = navigator.geolocation.watchPosition((pos) => {
      route.parts[route.parts.length - 1].push([pos.coords.longitude, pos.coords.latitude]);
      route.times[route.times.length - 1].push(new Date(pos.timestamp).toISOString());
      redrawRoute();
    }, (err) => showError("route", `GPS: ${err.message}`), { enableHighAccuracy: true, maximumAge: 0 });
    button.setAttribute("aria-pressed", "true");
    button.textContent = "Stop recording";
  });

  document.getElementById("here-snare").addEventListener("click", () => {
    if (!navigator.geolocation) { showError("form", "This device has no GPS access."); return; }
    navigator.geolocation.getCurrentPosition(
      (pos) => addSnare({ lon: pos.coords.longitude, lat: pos.coords.latitude, found_at: new Date(pos.timestamp).toISOString() }),
      (err) => showError("form", `GPS: ${err.message}`), { enableHighAccuracy: true, timeout: 20000 });
  });

  function buildReport() {
    const value = (id) => document.getElementById(id).value.trim();
    const parts = route.parts.filter((p) => p.length);
    const props = {
      kind: "route", unit: value("unit"), transport: value("transport"),
      leader: value("leader") || null,
      members: value("members") ? value("members").split(",").map((m) => m.trim()).filter(Boolean) : [],
      started_at: fromLocalInput(value("started_at")), ended_at: fromLocalInput(value("ended_at")),
    };
    const times = route.times.filter((t, i) => route.parts[i].length);
    if (times.length && times.every((t) => t.every(Boolean))) props.coordTimes = parts.length > 1 ? times : times[0];
    const geometry = parts.length > 1 ? { type: "MultiLineString", coordinates: parts } : { type: "LineString", coordinates: parts[0] || [] };
    const features = [{ type: "Feature", id: reportId, geometry, properties: props }];
    for (const s of snares) {
      const get = (name) => s.node.querySelector(`[data-name="${name}"]`).value.trim();
      features.push({
        type: "Feature", id: s.id, geometry: { type: "Point", coordinates: [s.lon, s.lat] },
        properties: {
          kind: "snare", found_at: fromLocalInput(get("found_at")), type: get("type"),
          count: Number(get("count")), state: get("state"), action: get("action"),
          species: get("species") || null, notes: get("notes") || null,
        },
      });
    }
    return { type: "FeatureCollection", features };
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach((p) => { p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
  }

  function showError(slot, detail, root = form) {
    const target = root.querySelector(`[data-error-for="${slot}"]`) || form.querySelector('[data-error-for="form"]');
    target.textContent = target.textContent ? `${target.textContent} ${detail}` : detail;
    const input = root.querySelector(`#${slot}`) || root.querySelector(`[data-name="${slot}"]`);
    if (input) input.setAttribute("aria-invalid", "true");
  }

  /** Put each problem next to the field its JSON pointer names. */
  function showErrors(errors, detail) {
    clearErrors();
    if (detail) showError("form", detail);
    for (const { pointer, detail: text } of errors) {
      const m = /^\/features\/(\d+)(?:\/([^/]+)(?:\/([^/]+))?)?/.exec(pointer);
      if (!m) { showError("form", `${pointer || "report"}: ${text}`); continue; }
      const index = Number(m[1]);
      const [part, name] = [m[2], m[3]];
      if (index === 0) {
        if (part === "properties" && name && name !== "coordTimes" && name !== "kind") showError(name, text);
        else showError("route", text);
      } else {
        const snare = snares[index - 1];
        if (!snare) { showError("form", `${pointer}: ${text}`); continue; }
        showError(part === "properties" && name ? name : "geometry", text, snare.node);
      }
    }
  }

  async function renderOutbox() {
    const list = document.getElementById("outbox");
    const entries = (await outbox.all()).sort((a, b) => (a.created < b.created ? 1 : -1));
    list.replaceChildren();
    if (!entries.length) list.append(el("li", { class: "muted", text: "Empty." }));
    for (const e of entries) {
      const owner = e.user === me ? "" : ` — by ${e.user}: sent when ${e.user} signs in`;
      const item = el("li", { "data-id": e.id, "data-state": e.state },
        el("span", { class: `state state-${e.state}`, text: e.state }), " ",
        `${e.summary.unit} · ${(e.summary.started_at || "").slice(0, 16).replace("T", " ")} · ${e.summary.snares} snare find(s)${owner}`);
      if (e.note) item.append(el("div", { class: "muted", text: e.note }));
      if (e.state === "rejected") {
        const reasons = el("ul", {});
        for (const err of e.errors || []) reasons.append(el("li", { text: `${err.pointer}: ${err.detail}` }));
        item.append(reasons);
        if (e.user === me) {
          const fix = el("button", { type: "button", class: "secondary", text: "Correct in the form" });
          fix.addEventListener("click", () => { loadReport(JSON.parse(e.body)); showErrors(e.errors || [], e.note); form.scrollIntoView(); });
          item.append(fix);
        }
      }
      list.append(item);
    }
  }

  let flushing = false;
  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      await outbox.flush();
    } finally {
      flushing = false;
      await renderOutbox();
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const doc = buildReport();
    if (!route.parts.some((p) => p.length >= 2)) {
      showError("route", "Add a route: a file, a GPS recording or at least two points drawn on the map.");
      return;
    }
    const entry = {
      id: reportId, user: me, body: JSON.stringify(doc), state: "waiting", errors: [],
      created: new Date().toISOString(),
      summary: { unit: doc.features[0].properties.unit, started_at: doc.features[0].properties.started_at, snares: snares.length },
    };
    await outbox.put(entry);
    formStatus.textContent = "Saved in the outbox.";
    await flush();
    const mine = (await outbox.all()).find((e) => e.id === entry.id);
    if (mine.state === "sent") { formStatus.textContent = "Sent and stored."; clearForm(); }
    else if (mine.state === "rejected") { formStatus.textContent = "The server refused the report: see the problems marked below."; showErrors(mine.errors, mine.note); }
    else { formStatus.textContent = "Saved in the outbox: it will be sent when the connection returns."; clearForm(); }
  });

  window.addEventListener("online", flush);
  setInterval(flush, 20000);
  document.getElementById("started_at").value = toLocalInput(new Date());
  renderOutbox().then(flush);
})();
