/* patrol: the ranger's report form. Route from a file, the phone's GPS or drawn on the map;
   snares by tapping the map or "here". Reports go to the outbox first, then to the server.
   Times are the area's local time (its IANA zone), whatever the phone's own zone; the form
   is autosaved as a draft, so a reload or a flat battery loses nothing typed. */
"use strict";

(() => {
  const { el } = patrol;
  const form = document.getElementById("report");
  const me = form.dataset.user;
  const summary = document.getElementById("route-summary");
  const formStatus = document.getElementById("form-status");
  const snareBox = document.getElementById("snares");
  const template = document.getElementById("snare-template");
  const modeHint = document.getElementById("mode-hint");
  const DRAFT = `patrol-draft:${me}`;
  const ZONE = "patrol-zone";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  }

  // ---- The area's time zone: inputs show and take its local time. ----
  let zone = localStorage.getItem(ZONE) || Intl.DateTimeFormat().resolvedOptions().timeZone;

  function zoneFields(date, tz = zone) {
    const f = new Intl.DateTimeFormat("en-GB", {
      timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    const o = {};
    for (const p of f.formatToParts(date)) o[p.type] = p.value;
    return o;
  }
  /** An instant as a datetime-local value in the area's zone (seconds only when not zero). */
  function toZoneInput(date, tz = zone) {
    const o = zoneFields(date, tz);
    return `${o.year}-${o.month}-${o.day}T${o.hour}:${o.minute}${o.second !== "00" ? `:${o.second}` : ""}`;
  }
  /** A datetime-local value read as the area's local time, as ISO 8601 UTC; null if empty. */
  function fromZoneInput(value, tz = zone) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value || "");
    if (!m) return null;
    const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
    let t = wall;
    for (let i = 0; i < 3; i += 1) { // converges in two steps, around DST changes too
      const o = zoneFields(new Date(t), tz);
      t += wall - Date.UTC(+o.year, +o.month - 1, +o.day, +o.hour, +o.minute, +o.second);
    }
    return new Date(t).toISOString().replace(".000Z", "Z");
  }
  /** Set a time input from an instant, keeping the exact instant (a file's fractions of a
      second) for as long as the ranger leaves the shown value alone. */
  function setTime(input, iso) {
    if (!iso) { input.value = ""; delete input.dataset.exact; return; }
    input.value = toZoneInput(new Date(iso));
    input.dataset.exact = iso;
    input.dataset.shown = input.value;
  }
  function getTime(input) {
    if (input.dataset.exact && input.value === input.dataset.shown) return input.dataset.exact;
    return fromZoneInput(input.value);
  }
  /** An instant for people: "14 Oct 2025, 10:32 GMT+10" in the area's zone. */
  function showTime(iso) {
    if (!iso) return "–";
    // The reader's conventions: "25 Nov 2026, 16:20 GMT+10" in English, "25.11.2026 16:20" in Russian.
    const english = patrol.INTL_LANG === "en-GB";
    return new Intl.DateTimeFormat(patrol.INTL_LANG, {
      timeZone: zone, day: english ? "numeric" : "2-digit", month: english ? "short" : "2-digit", year: "numeric", hour: "2-digit",
      minute: "2-digit", hourCycle: "h23", timeZoneName: english ? "short" : undefined,
    }).format(new Date(iso)).replace(english ? /$^/ : ", ", " ");
  }
  const timeInputs = () => form.querySelectorAll('input[type="datetime-local"]');
  function setZone(next) {
    if (!next || next === zone) return;
    try { zoneFields(new Date(), next); } catch (err) { return; } // a zone this browser lacks
    const values = [...timeInputs()].map((input) => [input, getTime(input)]);
    zone = next;
    localStorage.setItem(ZONE, zone);
    for (const [input, iso] of values) setTime(input, iso);
    showZone();
    renderOutbox();
  }
  function showZone() {
    document.getElementById("zone-name").textContent = zone;
    form.dataset.zone = zone;
  }

  // ---- The map. ----
  const map = L.map("route-map", { tap: true }).setView([43.1, 131.45], 9);
  const routeLayer = L.polyline([], { color: "#54278f", weight: 3, className: "draft-route" }).addTo(map);
  const snareLayer = L.layerGroup().addTo(map);
  patrolOrientation.addOrientation(map, { user: me, unit: document.getElementById("unit") });

  // The ranger's area: its outline for orientation, and the view the map opens on (a route
  // drawn outside it is refused by the server).
  fetch("/api/v1/areas", { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : null))
    .then((doc) => {
      if (!doc || !doc.features || !doc.features.length) return;
      setZone(doc.features[0].properties.timezone);
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

  const HINTS = {
    draw: _("Drawing: each tap on the map adds a point to the route. Tap \u201cDraw on map\u201d again to stop."),
    tap: _("Adding snares: each tap on the map adds a snare there. Tap the button again to stop."),
  };
  function setMode(next) {
    mode = mode === next ? null : next;
    document.getElementById("draw").setAttribute("aria-pressed", String(mode === "draw"));
    document.getElementById("tap-snare").setAttribute("aria-pressed", String(mode === "tap"));
    map.getContainer().classList.toggle("placing", mode !== null);
    modeHint.textContent = mode ? HINTS[mode] : "";
  }

  function redrawRoute(fit = true) {
    routeLayer.setLatLngs(route.parts.map((part) => part.map(([lon, lat]) => [lat, lon])));
    const n = route.parts.reduce((sum, p) => sum + p.length, 0);
    let km = 0;
    for (const part of route.parts) {
      for (let i = 1; i < part.length; i += 1) km += map.distance([part[i - 1][1], part[i - 1][0]], [part[i][1], part[i][0]]) / 1000;
    }
    summary.textContent = n ? _("Route: {n} points, about {n2} km.", { n, n2: patrol.fmt(km, 2) }) : _("No route yet.");
    if (fit && n > 1) map.fitBounds(routeLayer.getBounds(), { maxZoom: 15, animate: false });
    scheduleSave();
  }

  // ---- Snares. ----
  const pin = (n) => L.divIcon({ className: "snare-pin", html: `<span>${n}</span>`, iconSize: [48, 48], iconAnchor: [24, 24] });

  function renumber() {
    snares.forEach((s, i) => {
      s.node.querySelector(".snare-title").textContent = _("Snare {n}", { n: i + 1 });
      s.marker.setIcon(pin(i + 1));
      s.marker.options.title = _("Snare {n}: drag to move it", { n: i + 1 });
    });
    const strays = snares.filter((s) => s.waypoint && !s.waypoint.namesSnare);
    const drop = document.getElementById("drop-strays");
    drop.hidden = !strays.length;
    drop.textContent = strays.length === 1
      ? _("Drop the 1 waypoint that names no snare")
      : _("Drop the {length} waypoints that name no snare", { length: strays.length });
  }

  function showPosition(snare) {
    snare.node.querySelector(".position").textContent = _("At {n}, {n2} (drag its pin on the map to move it)", { n: snare.lat.toFixed(5), n2: snare.lon.toFixed(5) });
  }

  function removeSnare(snare) {
    snares = snares.filter((s) => s !== snare);
    snare.node.remove();
    snareLayer.removeLayer(snare.marker);
    renumber();
    scheduleSave();
  }

  function addSnare({ lon, lat, found_at = null, props = {}, id = null, waypoint = null }) {
    const node = template.content.firstElementChild.cloneNode(true);
    const key = newId().slice(0, 8);
    for (const field of node.querySelectorAll("[data-name]")) {
      const fieldId = `snare-${key}-${field.dataset.name}`;
      field.id = fieldId;
      node.querySelector(`label[data-for="${field.dataset.name}"]`).setAttribute("for", fieldId);
      if (field.dataset.name !== "found_at" && props[field.dataset.name] !== undefined && props[field.dataset.name] !== null) field.value = props[field.dataset.name];
    }
    const found = node.querySelector('[data-name="found_at"]');
    if (found_at) setTime(found, found_at);
    else if (!waypoint) setTime(found, defaultFoundAt(lon, lat));
    const marker = L.marker([lat, lon], { draggable: true, autoPan: true, keyboard: true, icon: pin(snares.length + 1) }).addTo(snareLayer);
    const snare = { id: id || newId(), lon, lat, node, marker, waypoint };
    marker.on("dragend", () => {
      const p = marker.getLatLng();
      snare.lon = p.lng;
      snare.lat = p.lat;
      showPosition(snare);
      scheduleSave();
    });
    showPosition(snare);
    if (waypoint && !waypoint.namesSnare) {
      const note = node.querySelector(".stray");
      note.hidden = false;
      note.textContent = _("The waypoint \u201c{label}\u201d names no snare: drop it if it is not one (a camp, a rest stop).", { label: waypoint.label });
      node.querySelector(".remove").textContent = _("Drop this waypoint");
    }
    node.querySelector(".remove").addEventListener("click", () => removeSnare(snare));
    snares.push(snare);
    snareBox.append(node);
    renumber();
    scheduleSave();
    return snare;
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
    if (best) return best;
    return getTime(document.getElementById("started_at")) || new Date().toISOString();
  }

  function clearForm() {
    reportId = newId();
    route = { parts: [], times: [] };
    snares.forEach((s) => s.node.remove());
    snares = [];
    snareLayer.clearLayers();
    renumber();
    document.getElementById("route-file").value = "";
    for (const name of ["leader", "members"]) document.getElementById(name).value = "";
    setTime(document.getElementById("ended_at"), null);
    setTime(document.getElementById("started_at"), new Date().toISOString());
    redrawRoute();
    localStorage.removeItem(DRAFT);
  }

  function loadTrack({ parts, times }) {
    route = { parts, times: times.length ? times : parts.map((p) => p.map(() => null)) };
    redrawRoute();
  }

  function loadGPX(text) {
    const read = patrolGPX.parse(text);
    loadTrack(read);
    // The track's first and last points date the patrol, as the API reads the file.
    setTime(document.getElementById("started_at"), read.startedAt);
    setTime(document.getElementById("ended_at"), read.endedAt);
    if (!read.startedAt) showError("started_at", _("The track's first point has no time: enter when the patrol started."));
    if (!read.endedAt) showError("ended_at", _("The track's last point has no time: enter when the patrol ended."));
    for (const w of read.waypoints) {
      addSnare({ lon: w.lon, lat: w.lat, found_at: w.found_at, props: w.props, waypoint: { label: w.label, namesSnare: w.namesSnare } });
    }
  }

  function loadReport(doc, extra = {}) {
    clearForm();
    const routeFeature = doc.features.find((f) => f.properties && f.properties.kind === "route");
    if (!routeFeature) throw new Error(_("The GeoJSON has no feature with \"kind\": \"route\"."));
    const g = routeFeature.geometry;
    const parts = g.type === "MultiLineString" ? g.coordinates : [g.coordinates];
    const p = routeFeature.properties;
    const times = extra.times || (p.coordTimes ? (g.type === "MultiLineString" ? p.coordTimes : [p.coordTimes]) : parts.map((part) => part.map(() => null)));
    if (routeFeature.id) reportId = routeFeature.id;
    for (const name of ["unit", "transport", "leader"]) if (p[name]) document.getElementById(name).value = p[name];
    if (p.members) document.getElementById("members").value = p.members.join(", ");
    loadTrack({ parts: parts.map((part) => part.map((c) => [c[0], c[1]])), times });
    setTime(document.getElementById("started_at"), p.started_at || null);
    setTime(document.getElementById("ended_at"), p.ended_at || null);
    doc.features.forEach((f) => {
      if (!f.properties || f.properties.kind !== "snare") return;
      addSnare({
        lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1], found_at: f.properties.found_at,
        props: f.properties, id: f.id || null, waypoint: (extra.waypoints || {})[f.id] || null,
      });
    });
  }

  // ---- The draft: every change is kept in this browser until the report is in the outbox. ----
  let saveTimer = null;
  function scheduleSave() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveDraft, 300);
  }
  function isEmpty() {
    return !route.parts.some((p) => p.length) && !snares.length
      && !["leader", "members", "ended_at"].some((name) => document.getElementById(name).value.trim());
  }
  function saveDraft() {
    clearTimeout(saveTimer);
    if (restoring) return;
    if (isEmpty()) { localStorage.removeItem(DRAFT); return; }
    const waypoints = {};
    for (const s of snares) if (s.waypoint) waypoints[s.id] = s.waypoint;
    try {
      localStorage.setItem(DRAFT, JSON.stringify({
        saved: new Date().toISOString(), doc: buildReport(), times: route.times, waypoints,
        counts: snares.map((s) => s.node.querySelector('[data-name="count"]').value),
      }));
    } catch (err) {
      formStatus.textContent = _("The draft could not be kept on this phone ({name}): save it to the outbox.", { name: err.name });
    }
  }
  let restoring = false;
  function restoreDraft() {
    const raw = localStorage.getItem(DRAFT);
    if (!raw) return false;
    try {
      const draft = JSON.parse(raw);
      restoring = true;
      loadReport(draft.doc, { times: draft.times, waypoints: draft.waypoints });
      // A count typed as "" or "0" stays as typed (the server says what is wrong with it).
      snares.forEach((s, i) => { if (draft.counts && draft.counts[i] !== undefined) s.node.querySelector('[data-name="count"]').value = draft.counts[i]; });
      formStatus.textContent = _("Draft restored (last changed {n}).", { n: showTime(draft.saved) });
      restoring = false;
      saveDraft(); // loading cleared the stored copy: keep it through the next reload too
      return true;
    } catch (err) {
      return false;
    } finally {
      restoring = false;
    }
  }
  form.addEventListener("input", scheduleSave);
  form.addEventListener("change", scheduleSave);
  window.addEventListener("pagehide", saveDraft);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") saveDraft(); });

  // ---- Route and snare tools. ----
  document.getElementById("route-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const text = await file.text();
    clearErrors();
    formStatus.textContent = "";
    try {
      const keepFile = event.target.files;
      const keep = Object.fromEntries(["unit", "transport", "leader", "members"].map((k) => [k, document.getElementById(k).value]));
      if (/\.gpx$/i.test(file.name) || text.replace(/^\uFEFF/, "").trimStart().startsWith("<")) {
        clearForm();
        Object.entries(keep).forEach(([k, v]) => { document.getElementById(k).value = v; });
        event.target.files = keepFile;
        loadGPX(text);
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
      focusFirstProblem();
    }
  });

  document.getElementById("draw").addEventListener("click", () => setMode("draw"));
  document.getElementById("tap-snare").addEventListener("click", () => setMode("tap"));
  document.getElementById("undo").addEventListener("click", () => {
    const last = route.parts[route.parts.length - 1];
    if (last) { last.pop(); route.times[route.times.length - 1].pop(); if (!last.length) { route.parts.pop(); route.times.pop(); } }
    redrawRoute(false);
  });
  document.getElementById("clear").addEventListener("click", () => { route = { parts: [], times: [] }; redrawRoute(); });
  document.getElementById("drop-strays").addEventListener("click", () => {
    snares.filter((s) => s.waypoint && !s.waypoint.namesSnare).forEach(removeSnare);
  });
  document.getElementById("new-report").addEventListener("click", () => {
    if (!isEmpty() && !window.confirm(_("Clear the form? What it holds is not in the outbox and will be lost."))) return;
    clearErrors();
    clearForm();
    formStatus.textContent = _("A new, empty report.");
  });

  map.on("click", (event) => {
    const { lat, lng } = event.latlng;
    if (mode === "draw") {
      if (!route.parts.length) { route.parts.push([]); route.times.push([]); }
      route.parts[route.parts.length - 1].push([lng, lat]);
      route.times[route.times.length - 1].push(null);
      redrawRoute(false);
    } else if (mode === "tap") {
      addSnare({ lon: lng, lat });
    }
  });

  /** A GPS error in words; a refusal says how to allow it. */
  function gpsProblem(err) {
    if (err.code === 1) return _("GPS access is refused for this page: allow location for this site in the browser's settings, or draw the route on the map.");
    if (err.code === 3) return _("GPS: no position in time (under trees or indoors?). Try again in the open.");
    const reason = err.message || _("the device gave no reason");
    return _("GPS: no position ({reason}).", { reason });
  }

  const recordButton = document.getElementById("record");
  function stopRecording() {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
    recordButton.setAttribute("aria-pressed", "false");
    recordButton.textContent = _("Record with GPS");
    const last = route.parts[route.parts.length - 1];
    if (last && !last.length) { route.parts.pop(); route.times.pop(); }
  }
  recordButton.addEventListener("click", () => {
    if (watch !== null) {
      stopRecording();
      setTime(document.getElementById("ended_at"), new Date().toISOString());
      scheduleSave();
      return;
    }
    showError("route", "");
    if (!navigator.geolocation) { showError("route", _("This device has no GPS access.")); return; }
    route.parts.push([]);
    route.times.push([]);
    setTime(document.getElementById("started_at"), new Date().toISOString());
    watch = navigator.geolocation.watchPosition((pos) => {
      route.parts[route.parts.length - 1].push([pos.coords.longitude, pos.coords.latitude]);
      route.times[route.times.length - 1].push(new Date(pos.timestamp).toISOString());
      redrawRoute();
    }, (err) => {
      clearErrors("route");
      showError("route", gpsProblem(err));
      if (err.code === 1) stopRecording(); // refused: nothing will come, say so and reset
    }, { enableHighAccuracy: true, maximumAge: 0 });
    recordButton.setAttribute("aria-pressed", "true");
    recordButton.textContent = _("Stop recording");
  });

  document.getElementById("here-snare").addEventListener("click", () => {
    clearErrors("snares");
    if (!navigator.geolocation) { showError("snares", _("This device has no GPS access.")); return; }
    navigator.geolocation.getCurrentPosition(
      (pos) => addSnare({ lon: pos.coords.longitude, lat: pos.coords.latitude, found_at: new Date(pos.timestamp).toISOString() }),
      (err) => showError("snares", gpsProblem(err)), { enableHighAccuracy: true, timeout: 20000 });
  });

  function buildReport() {
    const value = (id) => document.getElementById(id).value.trim();
    const parts = route.parts.filter((p) => p.length);
    const startedAt = getTime(document.getElementById("started_at"));
    const props = {
      kind: "route", unit: value("unit"), transport: value("transport"),
      leader: value("leader") || null,
      members: value("members") ? value("members").split(",").map((m) => m.trim()).filter(Boolean) : [],
      started_at: startedAt, ended_at: getTime(document.getElementById("ended_at")),
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
          // An empty "Found" is the patrol's start, as the API fills an untimed waypoint.
          kind: "snare", found_at: getTime(s.node.querySelector('[data-name="found_at"]')) || startedAt,
          type: get("type"), count: Number(get("count")), state: get("state"), action: get("action"),
          species: get("species") || null, notes: get("notes") || null,
        },
      });
    }
    return { type: "FeatureCollection", features };
  }

  // ---- Problems: in plain words, with the field's label, next to the field. ----
  const LABELS = {
    unit: _("Unit"), transport: _("Transport"), leader: _("Leader"), members: _("Members"), started_at: _("Started"),
    ended_at: _("Ended"), coordTimes: _("Route times"), geometry: _("Position"), type: _("Type"), count: _("Count"),
    state: _("State"), action: _("Action"), found_at: _("Found"), species: _("Target species"), notes: _("Notes"),
  };

  /** Where a JSON pointer of the report lands: its slot, the snare (if any) and a label. */
  function place(pointer) {
    const m = /^\/features\/(\d+)(?:\/([^/]+)(?:\/([^/]+))?)?/.exec(pointer || "");
    if (!m) return { slot: "form", label: _("Report") };
    const index = Number(m[1]);
    const [part, name] = [m[2], m[3]];
    if (index === 0) {
      if (part === "properties" && name && LABELS[name] && name !== "coordTimes") return { slot: name, label: LABELS[name] };
      return { slot: "route", label: part === "properties" && name === "coordTimes" ? _("Route times") : _("Route") };
    }
    const snare = snares[index - 1];
    const field = part === "properties" && name && LABELS[name] ? name : "geometry";
    const label = _("Snare {index} \u00b7 {n}", { index, n: LABELS[field] });
    return snare ? { slot: field, snare, label } : { slot: "form", label }; // no such card now
  }

  /** The server's sentence for people: field keys as labels, UTC instants as local times. */
  function plain(detail) {
    return String(detail || "")
      .replace(/\s*\([^()]*coordTimes\)/g, "") // "(or give coordTimes)", in any language
      .replace(/\b(started_at|ended_at|found_at)\b/g, (k) => LABELS[k])
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z/g, (iso) => showTime(iso));
  }

  function clearErrors(slot = null) {
    const sel = slot ? `[data-error-for="${slot}"]` : ".field-error";
    form.querySelectorAll(sel).forEach((p) => { p.replaceChildren(); });
    if (!slot) form.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
  }

  function showError(slot, detail, root = form) {
    const target = root.querySelector(`[data-error-for="${slot}"]`) || form.querySelector('[data-error-for="form"]');
    if (!detail) { target.replaceChildren(); return; }
    target.textContent = target.textContent ? `${target.textContent} ${detail}` : detail;
    const input = root.querySelector(`#${slot}`) || root.querySelector(`[data-name="${slot}"]`);
    if (input) input.setAttribute("aria-invalid", "true");
  }

  /** The first problem on the page, in reading order, scrolled to the middle and focused. */
  function focusFirstProblem() {
    const first = [...form.querySelectorAll('[aria-invalid="true"], .field-error:not(:empty)')][0];
    if (!first) return;
    if (first.matches(".field-error")) first.setAttribute("tabindex", "-1");
    first.scrollIntoView({ block: "center" });
    first.focus({ preventScroll: true });
  }

  /** Put each problem next to the field its JSON pointer names, and list them at the top. */
  function showErrors(errors, detail) {
    clearErrors();
    const top = form.querySelector('[data-error-for="form"]');
    const list = el("ul", {});
    for (const { pointer, detail: text } of errors || []) {
      const where = place(pointer);
      const words = plain(text);
      list.append(el("li", { text: `${where.label}: ${words}` }));
      if (where.slot === "form") continue;
      if (where.snare) showError(where.slot, words, where.snare.node);
      else showError(where.slot, words);
    }
    top.replaceChildren(el("span", { text: plain(detail) || _("The server refused the report.") }), list);
    // The top summary is not a field: the first field with a problem takes the focus.
    const field = form.querySelector('[aria-invalid="true"], .field-error:not(:empty):not([data-error-for="form"])');
    if (!field) { focusFirstProblem(); return; }
    if (field.matches(".field-error")) field.setAttribute("tabindex", "-1");
    field.scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  }

  // ---- The outbox. ----
  const STATE_WORDS = {
    waiting: _("Waiting for a connection"), sending: _("Sending"), sent: _("Sent"),
    rejected: _("Refused: needs correcting"), failed: _("The server could not take it"),
  };

  async function openEntry(e) {
    if (!isEmpty() && reportId !== e.id && !window.confirm(_("The form holds a report that is not in the outbox. Replace it?"))) return;
    clearErrors();
    loadReport(JSON.parse(e.body), { waypoints: e.waypoints });
    saveDraft();
    if (e.state === "rejected") showErrors(e.errors || [], e.note);
    else {
      formStatus.textContent = _("Opened from the outbox: correct it and tap \u201cSave and send\u201d.");
      form.scrollIntoView();
      document.getElementById("unit").focus({ preventScroll: true });
    }
    renderOutbox();
  }

  function entryItem(e) {
    const mine = e.user === me;
    const owner = mine ? "" : _(" \u2014 by {user}: sent when {user} signs in", { user: e.user });
    const item = el("li", { "data-id": e.id, "data-state": e.state, class: "card" },
      el("span", { class: `state state-${e.state}`, text: STATE_WORDS[e.state] || e.state }), " ",
      el("span", { class: "what", text: _("{unit} \u00b7 {n} \u00b7 {snares} snare find(s){owner}", { unit: e.summary.unit, n: showTime(e.summary.started_at), snares: e.summary.snares, owner }) }));
    if (e.id === reportId && e.state !== "sent") item.append(el("p", { class: "muted", text: _("Open in the form above.") }));
    if (e.note) item.append(el("p", { class: "note", text: plain(e.note) }));
    const tried = e.tried
      ? (e.tries === 1 ? _("Last tried {time} (1 time).", { time: showTime(e.tried) })
        : e.tries ? _("Last tried {time} ({tries} times).", { time: showTime(e.tried), tries: e.tries })
          : _("Last tried {time}.", { time: showTime(e.tried) }))
      : _("Saved {time}.", { time: showTime(e.created) });
    if (e.state !== "sent") item.append(el("p", { class: "muted", text: tried }));
    if (e.state === "rejected" && (e.errors || []).length) {
      const reasons = el("ul", { class: "problems" });
      for (const err of e.errors) reasons.append(el("li", { text: `${placeForEntry(err.pointer)}: ${plain(err.detail)}` }));
      item.append(reasons);
    }
    if (!mine || e.state === "sent" || e.state === "sending") return item;
    const actions = el("div", { class: "actions" });
    const open = el("button", { type: "button", class: "secondary", "data-action": "open", text: e.state === "rejected" ? _("Correct in the form") : _("Open in the form") });
    open.addEventListener("click", () => openEntry(e));
    actions.append(open);
    if (e.state === "waiting" || e.state === "failed") {
      const again = el("button", { type: "button", class: "secondary", "data-action": "send", text: _("Send now") });
      again.addEventListener("click", async () => { await outbox.put({ ...e, tries: 0 }); await flush({ only: e.id }); });
      actions.append(again);
    }
    const discard = el("button", { type: "button", class: "secondary danger", "data-action": "discard", text: _("Discard") });
    const confirmBox = el("div", { class: "confirm", role: "group", "aria-label": _("Discard this report?"), hidden: true },
      el("p", { text: _("Discard this report? It was never stored by the server and cannot be recovered.") }));
    const yes = el("button", { type: "button", class: "danger", "data-action": "confirm-discard", text: _("Yes, discard it") });
    const no = el("button", { type: "button", class: "secondary", "data-action": "keep", text: _("Keep it") });
    yes.addEventListener("click", async () => {
      await outbox.remove(e.id);
      if (e.id === reportId) { clearErrors(); clearForm(); }
      formStatus.textContent = _("The report was discarded.");
      await renderOutbox();
    });
    no.addEventListener("click", () => { confirmBox.hidden = true; discard.hidden = false; discard.focus(); });
    discard.addEventListener("click", () => { confirmBox.hidden = false; discard.hidden = true; no.focus(); });
    confirmBox.append(yes, " ", no);
    actions.append(discard);
    item.append(actions, confirmBox);
    return item;
  }

  /** A pointer of a stored entry named without the form (its snares may be elsewhere). */
  function placeForEntry(pointer) {
    const m = /^\/features\/(\d+)(?:\/properties\/([^/]+))?/.exec(pointer || "");
    if (!m) return _("Report");
    if (m[1] === "0") return m[2] && LABELS[m[2]] && m[2] !== "coordTimes" ? LABELS[m[2]] : _("Route");
    return _("Snare {n} \u00b7 {n2}", { n: m[1], n2: LABELS[m[2]] || _("Position") });
  }

  async function renderOutbox() {
    const list = document.getElementById("outbox");
    const entries = (await outbox.all()).sort((a, b) => (a.created < b.created ? 1 : -1));
    list.replaceChildren();
    if (!entries.length) list.append(el("li", { class: "muted", text: _("Empty.") }));
    for (const e of entries) list.append(entryItem(e));
  }

  let flushing = false;
  async function flush(options = { skip: [reportId] }) {
    if (flushing) return;
    flushing = true;
    try {
      await outbox.flush(options);
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
      showError("route", _("Add a route: a file, a GPS recording or at least two points drawn on the map."));
      focusFirstProblem();
      return;
    }
    const waypoints = {};
    for (const s of snares) if (s.waypoint) waypoints[s.id] = s.waypoint;
    const entry = {
      id: reportId, user: me, body: JSON.stringify(doc), state: "waiting", errors: [], tries: 0,
      tried: null, note: null, created: new Date().toISOString(), waypoints,
      summary: { unit: doc.features[0].properties.unit, started_at: doc.features[0].properties.started_at, snares: snares.length },
    };
    await outbox.put(entry);
    localStorage.removeItem(DRAFT); // the outbox holds it now
    formStatus.textContent = _("Saved in the outbox.");
    while (flushing) await new Promise((resolve) => setTimeout(resolve, 100));
    await flush({});
    const mine = await outbox.get(entry.id);
    if (!mine) return;
    if (mine.state === "sent") { formStatus.textContent = _("Sent and stored."); clearForm(); }
    else if (mine.state === "rejected") {
      saveDraft(); // still being corrected: keep it through a reload
      showErrors(mine.errors, mine.note);
      formStatus.textContent = _("The server refused the report: correct the problems marked above and save again, or discard it in the outbox.");
    } else if (mine.state === "failed") {
      formStatus.textContent = _("{n} It is kept in the outbox below: send it again later, or open it to correct it.", { n: plain(mine.note) });
      clearForm();
    } else { formStatus.textContent = _("Saved in the outbox: it will be sent when the connection returns."); clearForm(); }
    await renderOutbox();
  });

  window.addEventListener("online", () => flush());
  setInterval(() => flush(), 20000);
  showZone();
  if (!restoreDraft()) setTime(document.getElementById("started_at"), new Date().toISOString());
  renderOutbox().then(() => flush());
})();
