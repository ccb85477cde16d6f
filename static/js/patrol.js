/* patrol: one patrol for coordinators — its route, finds and figures; correct a find,
   delete the patrol or restore a deleted one (each edit names the revision it edits), and the
   audit trail as sentences. */
"use strict";

(() => {
  const { getJSON, send, el, fmt } = patrol;
  const root = document.getElementById("patrol");
  const id = root.dataset.id;
  // Times in the area's own time zone, as the audit trail writes them ("2 Mar 2026 12:00").
  const localTime = (iso) => {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
      timeZone: root.dataset.tz, day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
    return `${parts.day} ${parts.month} ${parts.year} ${parts.hour}:${parts.minute}`;
  };
  const status = document.getElementById("patrol-status");
  const map = L.map("patrol-map");
  const layer = L.geoJSON(null, {
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 7, color: "#222", fillColor: "#ffd92f", fillOpacity: 1 }),
    style: () => ({ color: "#54278f", weight: 3 }),
  }).addTo(map);
  // Observations (from SMART: carcasses, camps, sightings, ...): small grey points.
  const observationLayer = L.geoJSON(null, {
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 4, color: "#444", fillColor: "#bdbdbd", fillOpacity: 1 })
      .bindTooltip(f.properties.category_path),
  }).addTo(map);
  let doc = null;

  function attributeText(a) {
    const value = Array.isArray(a.value) ? a.value.join(", ") : String(a.value ?? "–");
    return `${a.key}: ${value}`;
  }

  function renderObservations() {
    const list = doc.observations || [];
    observationLayer.clearLayers();
    observationLayer.addData({ type: "FeatureCollection", features: list });
    const box = document.getElementById("observations");
    if (!list.length) {
      box.replaceChildren(el("p", { class: "muted", text: _("No other observations on this patrol.") }));
      return;
    }
    const table = el("table", { class: "data" },
      el("thead", {}, el("tr", {}, ...[_("Time"), _("Category"), _("Attributes"), _("Snare find")].map((h) => el("th", { text: h })))));
    const body = el("tbody");
    for (const o of list) {
      const op = o.properties;
      body.append(el("tr", { "data-category": op.category },
        el("td", { text: localTime(op.observed_at) }),
        el("td", { text: op.category_path }),
        el("td", { text: op.attributes.map(attributeText).join("; ") }),
        el("td", { text: op.snare_find ? "yes" : "" })));
    }
    table.append(body);
    box.replaceChildren(table);
  }

  // The choices of a find's closed fields: the vocabularies' values, in their order
  // (patrol/vocabulary.py, through the catalog's labels).
  const VOCABULARY_VALUES = (kind) => Object.keys((window.PATROL_LABELS || {})[kind] || {});
  const OPTIONS = { type: VOCABULARY_VALUES("FindType"), state: VOCABULARY_VALUES("FindState"), action: VOCABULARY_VALUES("Action") };

  // The form's fields and their vocabularies (patrol/vocabulary.py), in the page's language.
  const FIELDS = {
    type: _("Type"), count: _("Count"), state: _("State"), action: _("Action"), species: _("Target species"),
    leader: _("the leader"), members: _("the members"), transport: _("the transport"), notes: _("Notes"),
  };
  const VOCABULARY = { type: "FindType", state: "FindState", action: "Action", transport: "Transport" };

  /** An audit event in words. The API gives the sentence in English; another language's is
      made here from the event's fields (who, when, what changed from what to what). */
  function auditSentence(e) {
    if (PAGE_LANG === "en" || !e.at) return e.sentence;
    const who = e.user ? `${label("Role", e.role)} ${e.user}` : _("The system");
    const when = patrol.localText(localIso(e.at));
    const value = (field, v) => {
      if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) return _("nothing");
      if (Array.isArray(v)) return v.join(", ");
      return VOCABULARY[field] ? label(VOCABULARY[field], v) : String(v);
    };
    const findNumber = (findId) => doc.features.slice(1).findIndex((f) => f.id === findId) + 1;
    const change = (field, what, old, now) => {
      if (old === null || old === undefined || old === "") return _("set {what} to {now}", { what, now: value(field, now) });
      if (now === null || now === undefined || now === "") return _("cleared {what} (was {old})", { what, old: value(field, old) });
      return _("changed {what} from {old} to {now}", { what, old: value(field, old), now: value(field, now) });
    };
    if (e.action === "create") return _("{who} submitted the patrol on {when}.", { who, when });
    if (e.action === "delete") return _("{who} deleted the patrol on {when}.", { who, when });
    if (e.action === "restore") return _("{who} restored the patrol on {when}.", { who, when });
    const parts = [];
    for (const [key, now] of Object.entries(e.after || {})) {
      if (key === "revision") continue;
      const old = (e.before || {})[key];
      if (now && typeof now === "object" && !Array.isArray(now)) {
        for (const [field, v] of Object.entries(now)) {
          if ((old || {})[field] === v) continue;
          const what = _("{field} of find {n}", { field: (FIELDS[field] || field).toLowerCase(), n: findNumber(key) });
          parts.push(change(field, what, (old || {})[field], v));
        }
      } else if (JSON.stringify(old) !== JSON.stringify(now)) {
        parts.push(change(key, FIELDS[key] || key, old, now));
      }
    }
    if (!parts.length) return _("{who} saved the patrol unchanged on {when}.", { who, when });
    return _("{who} {changes} on {when}.", { who, changes: parts.join("; "), when });
  }

  /** A UTC instant as the area's local "YYYY-MM-DDTHH:MM". */
  function localIso(iso) {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
      timeZone: root.dataset.tz, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
    return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
  }

  function render() {
    const route = doc.features[0];
    const p = route.properties;
    const deleted = Boolean(p.deleted_at);
    status.textContent = deleted ? _("Deleted (revision {revision}).", { revision: p.revision }) : _("Revision {revision}.", { revision: p.revision });
    document.getElementById("deleted-notice").hidden = !deleted;
    document.getElementById("delete-section").hidden = deleted;
    if (deleted) {
      const last = (doc.audit || []).filter((e) => e.action === "delete").pop();
      document.getElementById("deleted-text").textContent = last
        ? _("{sentence} It is in no list or figure; it stays stored.", { sentence: auditSentence(last) })
        : _("It is in no list or figure; it stays stored.");
    }
    layer.clearLayers();
    layer.addData(doc);
    map.fitBounds(layer.getBounds(), { maxZoom: 15 });
    const f = doc.figures;
    const table = el("table", { class: "data" },
      el("thead", {}, el("tr", {}, ...[_("Zone"), _("Effort, km"), _("Effort, h"), _("Finds"), _("Snares found"), _("Snares removed")].map((h) => el("th", { text: h })))));
    const body = el("tbody");
    for (const z of f.zones) {
      body.append(el("tr", {}, ...[z.zone ? `${z.zone} ${patrol.zoneName(z)}` : _("outside every zone"), fmt(z.effort_km, 2), fmt(z.effort_h, 2), z.finds, z.snares_found, z.snares_removed].map((v) => el("td", { text: String(v) }))));
    }
    table.append(body);
    document.getElementById("figures").replaceChildren(
      el("p", { text: _("{n} km in {n2} h by {transport}; leader {n3}; {snares_found} snares found, {snares_removed} removed.", { n: fmt(f.distance_km, 2), n2: fmt(f.duration_h, 2), transport: label("Transport", p.transport), n3: p.leader || "–", snares_found: f.snares_found, snares_removed: f.snares_removed }) }), table);

    const finds = document.getElementById("finds");
    finds.replaceChildren();
    doc.features.slice(1).forEach((find, k) => {
      const fp = find.properties;
      const card = el("form", { class: "card", "data-find": find.id });
      card.append(el("p", { text: _("Find {n}, found {when} · zone {zone}", { n: k + 1, when: PAGE_LANG === "en" ? localTime(fp.found_at) : patrol.localText(localIso(fp.found_at)), zone: fp.zone || "–" }) }));
      for (const name of ["type", "count", "state", "action", "species"]) {
        const fieldId = `find-${k}-${name}`;
        card.append(el("label", { for: fieldId, text: FIELDS[name] }));
        let input;
        if (OPTIONS[name]) {
          input = el("select", { id: fieldId, name });
          for (const o of OPTIONS[name]) input.append(el("option", { value: o, text: label(VOCABULARY[name], o) }));
        } else {
          input = el("input", { id: fieldId, name, type: name === "count" ? "number" : "text", min: name === "count" ? "1" : null });
        }
        input.value = fp[name] ?? "";
        card.append(input, el("p", { class: "field-error", "data-error-for": name }));
      }
      card.append(el("button", { type: "submit", text: _("Save correction") }));
      // A deleted patrol is restored before it is corrected (the API says so too).
      if (p.deleted_at) card.querySelectorAll("input, select, button").forEach((c) => { c.disabled = true; });
      card.addEventListener("submit", (event) => { event.preventDefault(); correct(find.id, card); });
      finds.append(card);
    });
    if (doc.features.length === 1) finds.append(el("p", { class: "muted", text: _("No snares found on this patrol.") }));

    renderObservations();

    const audit = document.getElementById("audit");
    audit.replaceChildren();
    for (const e of doc.audit || []) {
      audit.append(el("li", { "data-action": e.action, text: auditSentence(e) }));
    }
    document.getElementById("delete").disabled = deleted;
    document.getElementById("restore").disabled = !deleted;
  }

  async function correct(findId, card) {
    card.querySelectorAll(".field-error").forEach((p) => { p.textContent = ""; });
    const fix = {};
    for (const name of ["type", "count", "state", "action", "species"]) {
      const value = card.querySelector(`[name="${name}"]`).value;
      fix[name] = name === "count" ? Number(value) : (value || null);
    }
    const response = await send("PATCH", `/api/v1/patrols/${id}`, { revision: doc.features[0].properties.revision, finds: { [findId]: fix } });
    const body = await response.json();
    if (response.ok) {
      await load();
      status.textContent = _("Correction saved: revision {n}.", { n: body.features[0].properties.revision });
      return;
    }
    for (const err of body.errors || []) {
      const name = err.pointer.split("/").pop();
      const slot = card.querySelector(`[data-error-for="${name}"]`);
      if (slot) slot.textContent = err.detail;
    }
    status.textContent = body.detail || body.title;
  }

  document.getElementById("delete").addEventListener("click", async () => {
    if (!window.confirm(_("Delete this patrol? It leaves every figure; the audit trail keeps it."))) return;
    const response = await send("DELETE", `/api/v1/patrols/${id}?revision=${doc.features[0].properties.revision}`);
    const body = await response.json();
    if (!response.ok) { status.textContent = body.detail || body.title; return; }
    await load();
    status.textContent = _("Deleted (revision {n}): restore it below if that was a mistake.", { n: doc.features[0].properties.revision });
    document.getElementById("restore").focus();
  });

  document.getElementById("restore").addEventListener("click", async () => {
    const response = await send("POST", `/api/v1/patrols/${id}/restore?revision=${doc.features[0].properties.revision}`);
    const body = await response.json();
    if (!response.ok) { status.textContent = body.detail || body.title; return; }
    await load();
    status.textContent = _("Restored: revision {n}; the patrol is back in every figure.", { n: doc.features[0].properties.revision });
    document.getElementById("delete").focus();
  });

  async function load() {
    try {
      doc = await getJSON(`/api/v1/patrols/${id}`);
      render();
    } catch (err) {
      status.textContent = err.message;
    }
  }
  load();
})();
