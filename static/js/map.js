/* patrol: the coordinator's map — zones by effort-corrected rate, hotspot cells, routes,
   finds, and each unit's dispatch targets. Data comes from /api/v1 with the session cookie. */
"use strict";

(() => {
  const { getJSON, el, fmt, isoDay } = patrol;
  const mapEl = document.getElementById("map");
  const status = document.getElementById("status");
  const form = document.getElementById("filters");
  const inputs = {
    area: document.getElementById("area"),
    preset: document.getElementById("preset"),
    from: document.getElementById("from"),
    to: document.getElementById("to"),
    unit: document.getElementById("unit"),
    cell: document.getElementById("cell"),
    category: document.getElementById("category"),
  };

  const map = L.map(mapEl, { zoomControl: true, preferCanvas: false });
  if (mapEl.dataset.tileUrl) {
    L.tileLayer(mapEl.dataset.tileUrl, { attribution: mapEl.dataset.tileAttribution, maxZoom: 18 }).addTo(map);
  }
  map.setView([43.1, 131.45], 9);
  patrolOrientation.addBasemap(map, inputs.area); // the area's offline basemap, when loaded

  // Classes: colour, and a border pattern and a label, so colour is never the only cue.
  const CLASS_STYLE = {
    hot_99: { color: "#7f0000", fillColor: "#b30000", fillOpacity: 0.75, weight: 2, dashArray: null, label: "Hot, 99 %" },
    hot_95: { color: "#b30000", fillColor: "#e34a33", fillOpacity: 0.6, weight: 1.5, dashArray: null, label: "Hot, 95 %" },
    hot_90: { color: "#e34a33", fillColor: "#fc8d59", fillOpacity: 0.45, weight: 1.5, dashArray: "4 2", label: "Hot, 90 %" },
    not_significant: { color: "#999", fillColor: "#ffffff", fillOpacity: 0.05, weight: 0.3, dashArray: null, label: "Not significant" },
    cold_90: { color: "#6baed6", fillColor: "#9ecae1", fillOpacity: 0.35, weight: 1, dashArray: "1 3", label: "Cold, 90 %" },
    cold_95: { color: "#3182bd", fillColor: "#6baed6", fillOpacity: 0.45, weight: 1, dashArray: "1 3", label: "Cold, 95 %" },
    cold_99: { color: "#08519c", fillColor: "#3182bd", fillOpacity: 0.55, weight: 1, dashArray: "1 3", label: "Cold, 99 %" },
    under_patrolled: { color: "#555", fillColor: "#bdbdbd", fillOpacity: 0.35, weight: 0.8, dashArray: "6 3", label: "Under-patrolled" },
    suppressed: { color: "#999", fillColor: "#eeeeee", fillOpacity: 0.2, weight: 0.3, dashArray: "2 2", label: "Too few patrols" },
  };
  const ZONE_COLOURS = ["#ffffcc", "#c2e699", "#78c679", "#31a354", "#006837"];

  const layers = {
    zones: L.featureGroup(),
    cells: L.featureGroup(),
    routes: L.featureGroup(),
    finds: L.markerClusterGroup({ chunkedLoading: true }),
    observations: L.featureGroup(),
    risk: L.featureGroup(),
  };
  layers.zones.addTo(map);
  layers.cells.addTo(map);
  const control = L.control.layers(null, {
    "Zones (smoothed rate)": layers.zones,
    "Hotspot cells": layers.cells,
    "Patrol routes": layers.routes,
    "Snare finds": layers.finds,
    "Observations": layers.observations,
    "Predicted setting (next 30 days)": layers.risk,
  }, { collapsed: false }).addTo(map);
  control.getContainer().setAttribute("aria-label", "Map layers");

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => el("div", { class: "legend", "data-testid": "legend" });
  legend.addTo(map);

  let loaded = { routes: null, finds: null, observations: null, risk: null };
  const RISK_COLOURS = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"];
  let riskBreaks = null;
  let fitted = false;

  function query() {
    const params = new URLSearchParams();
    if (inputs.area.value) params.set("area", inputs.area.value);
    if (inputs.from.value) params.set("from", inputs.from.value);
    if (inputs.to.value) params.set("to", inputs.to.value);
    if (inputs.unit.value) params.set("unit", inputs.unit.value);
    return params;
  }

  function setPreset(kind, end) {
    const last = new Date(`${end}T00:00:00Z`);
    let first;
    if (kind === "30") first = new Date(last.getTime() - 29 * 86400000);
    else if (kind === "season") {
      // Seasons of three months: Dec-Feb, Mar-May, Jun-Aug, Sep-Nov.
      const m = last.getUTCMonth();
      const startMonth = m === 11 ? 11 : m - ((m + 1) % 3);
      const year = startMonth > m ? last.getUTCFullYear() - 1 : last.getUTCFullYear();
      first = new Date(Date.UTC(year, startMonth, 1));
    } else first = new Date(Date.UTC(last.getUTCFullYear(), 0, 1));
    inputs.from.value = isoDay(first);
    inputs.to.value = end;
  }

  function popupTable(rows) {
    const table = el("table", { class: "figures" });
    for (const [name, value] of rows) table.append(el("tr", {}, el("th", { text: name }), el("td", { text: value })));
    return table;
  }

  function cellPopup(p) {
    return el("div", { "data-testid": "cell-popup" },
      el("strong", { text: `Cell ${p.ix}, ${p.iy}: ${(CLASS_STYLE[p.hotspot_class] || {}).label || p.hotspot_class}` }),
      popupTable([
        ["Snares", fmt(p.snares, 0)], ["Finds", fmt(p.finds, 0)],
        ["Effort km", fmt(p.effort_km)], ["Effort hours", fmt(p.effort_h)],
        ["Patrols", fmt(p.patrols, 0)],
        ["CPUE per 100 km", fmt(p.cpue_per_100km, 2)], ["CPUE per 10 h", fmt(p.cpue_per_10h, 2)],
        ["Smoothed rate per 100 km", fmt(p.eb_rate_per_100km, 2)],
        ["Gi* z", fmt(p.gi_z, 2)], ["Gi* p", fmt(p.gi_p, 4)],
        ["Trend", (p.trend || "").replaceAll("_", " ")],
        ["Last patrolled", p.last_patrolled || "never"],
      ]));
  }

  function zonePopup(p) {
    return el("div", { "data-testid": "zone-popup" },
      el("strong", { text: `${p.zone} · ${p.name}` }),
      popupTable([
        ["Snares found", fmt(p.snares_found, 0)], ["Snares removed", fmt(p.snares_removed, 0)],
        ["Patrols", fmt(p.patrols, 0)], ["Patrol-days", fmt(p.patrol_days, 0)],
        ["Effort km", fmt(p.effort_km)], ["Effort hours", fmt(p.effort_h)],
        ["Density per km²", fmt(p.density_per_km2, 2)],
        ["CPUE per 100 km", fmt(p.cpue_per_100km, 2)], ["Smoothed rate per 100 km", fmt(p.eb_rate_per_100km, 2)],
        ["Hotspot", p.hotspot ? `yes: ${p.hotspot_reason}` : "no"],
        ["Trend", (p.trend || "").replaceAll("_", " ")],
      ]));
  }

  function drawLegend(breaks) {
    const box = legend.getContainer();
    box.replaceChildren(el("strong", { text: "Smoothed snares per 100 km" }));
    breaks.forEach((b, i) => box.append(el("div", { class: "key" },
      el("span", { class: "swatch", style: `background:${ZONE_COLOURS[i]}` }),
      el("span", { text: i === breaks.length - 1 ? `≥ ${fmt(b, 2)}` : `${fmt(b, 2)} – ${fmt(breaks[i + 1], 2)}` }))));
    box.append(el("strong", { text: "Hotspot cells" }));
    for (const [cls, s] of Object.entries(CLASS_STYLE)) {
      if (cls === "suppressed") continue;
      box.append(el("div", { class: "key" },
        el("span", { class: `swatch cellkey ${cls}`, style: `background:${s.fillColor};border-color:${s.color};border-style:${s.dashArray ? "dashed" : "solid"}` }),
        el("span", { text: s.label })));
    }
  }

  // Small rates keep two significant digits: 0.0031, not 0.
  const sig = (v) => (v !== null && v !== undefined && Math.abs(v) < 0.1 ? Number(v.toPrecision(2)).toString() : fmt(v, 2));

  function riskPopup(p) {
    const known = p.walked;
    return el("div", { "data-testid": "risk-popup" },
      el("strong", { text: `Cell ${p.ix}, ${p.iy}: predicted setting` }),
      popupTable([
        ["Setting rate per km² per 30 days", known ? sig(p.setting_rate) : "not walked: unknown"],
        ["90 % interval", known ? `${sig(p.setting_rate_low)} – ${sig(p.setting_rate_high)}` : "–"],
        ["Neighbourhood and covariates say", `${sig(p.prior_setting_rate)}${known ? "" : ` (${sig(p.prior_setting_rate_low)} – ${sig(p.prior_setting_rate_high)})`}`],
        ["Snares standing now (expected)", sig(p.standing_stock)],
        ["Expected finds, 5 km search", sig(p.expected_finds_5km)],
        ["Risk rank (1 = highest)", fmt(p.risk_rank, 2)],
        ["Patrols, effort km (year)", `${fmt(p.inputs.patrols, 0)}, ${fmt(p.inputs.effort_km)}`],
        ["Last patrolled", p.inputs.last_patrolled || "never"],
      ]));
  }

  function drawRiskLegend() {
    const box = legend.getContainer();
    box.querySelector(".risk-legend")?.remove();
    if (!riskBreaks || !map.hasLayer(layers.risk)) return;
    const part = el("div", { class: "risk-legend" }, el("strong", { text: "Predicted setting per km² per 30 days" }));
    riskBreaks.forEach((b, i) => part.append(el("div", { class: "key" },
      el("span", { class: "swatch", style: `background:${RISK_COLOURS[i]}` }),
      el("span", { text: i === riskBreaks.length - 1 ? `≥ ${sig(b)}` : `${sig(b)} – ${sig(riskBreaks[i + 1])}` }))));
    part.append(el("div", { class: "key" },
      el("span", { class: "swatch", style: "background:#f0f0f0;border-style:dashed" }),
      el("span", { text: "Not walked in the year: unknown" })));
    box.append(part);
  }

  async function loadRisk() {
    const q = new URLSearchParams();
    if (inputs.area.value) q.set("area", inputs.area.value);
    if (inputs.to.value) q.set("until", inputs.to.value);
    if (inputs.cell.value !== "1") q.set("cell_km", inputs.cell.value);
    const key = q.toString();
    if (loaded.risk === key) return;
    loaded.risk = key;
    const doc = await getJSON(`/api/v1/risk?${key}`);
    const rates = doc.features.map((f) => f.properties.setting_rate).filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
    riskBreaks = [0, 0.2, 0.4, 0.6, 0.8].map((k) => rates.length ? rates[Math.floor(k * (rates.length - 1))] : 0);
    const colour = (v) => {
      let k = 0;
      riskBreaks.forEach((b, i) => { if (v >= b) k = i; });
      return RISK_COLOURS[k];
    };
    layers.risk.clearLayers();
    layers.risk.addLayer(L.geoJSON(doc, {
      style: (f) => {
        const p = f.properties;
        if (p.suppressed || !p.walked) return { color: "#999", weight: 0.3, dashArray: "2 2", fillColor: "#f0f0f0", fillOpacity: 0.3, className: "risk risk-unknown" };
        return { color: "#666", weight: 0.3, fillColor: colour(p.setting_rate), fillOpacity: 0.7, className: "risk risk-known" };
      },
      onEachFeature: (f, layer) => { if (!f.properties.suppressed) layer.bindPopup(() => riskPopup(f.properties)); },
    }));
    drawRiskLegend();
  }

  function renderZones(doc) {
    layers.zones.clearLayers();
    const rates = doc.features.map((f) => f.properties.eb_rate_per_100km).filter((v) => v !== null).sort((a, b) => a - b);
    const breaks = [0, 0.2, 0.4, 0.6, 0.8].map((q) => rates.length ? rates[Math.floor(q * (rates.length - 1))] : 0);
    const colour = (v) => {
      if (v === null) return "#f0f0f0";
      let k = 0;
      breaks.forEach((b, i) => { if (v >= b) k = i; });
      return ZONE_COLOURS[k];
    };
    // Styles go in at creation: Leaflet sets a path's className only then.
    layers.zones.addLayer(L.geoJSON(doc, {
      style: (f) => ({ color: "#333", weight: 1.5, fillColor: colour(f.properties.eb_rate_per_100km), fillOpacity: 0.55, className: `zone zone-${f.properties.zone}` }),
      onEachFeature: (f, layer) => {
        layer.bindPopup(() => zonePopup(f.properties));
        layer.bindTooltip(`${f.properties.zone} ${f.properties.name}`, { sticky: true });
      },
    }));
    drawLegend(breaks);
    drawRiskLegend();
    if (!fitted && layers.zones.getLayers().length) {
      map.fitBounds(layers.zones.getBounds());
      fitted = true;
    }
  }

  function renderCells(doc) {
    layers.cells.clearLayers();
    layers.cells.addLayer(L.geoJSON(doc, {
      style: (f) => {
        const s = CLASS_STYLE[f.properties.hotspot_class] || CLASS_STYLE.not_significant;
        return { color: s.color, weight: s.weight, dashArray: s.dashArray, fillColor: s.fillColor, fillOpacity: s.fillOpacity, className: `cell cell-${f.properties.hotspot_class}` };
      },
      onEachFeature: (f, layer) => layer.bindPopup(() => cellPopup(f.properties)),
    }));
  }

  function renderDispatch(doc) {
    const box = document.getElementById("dispatch");
    box.replaceChildren();
    const byUnit = new Map();
    for (const f of doc.features) {
      const list = byUnit.get(f.properties.unit) || [];
      list.push(f);
      byUnit.set(f.properties.unit, list);
    }
    if (!byUnit.size) {
      box.append(el("p", { class: "muted", text: "No significant hot cells in this period." }));
      return;
    }
    const q = query();
    q.delete("unit");
    for (const [unit, items] of byUnit) {
      const list = el("ol", {});
      for (const f of items) {
        const p = f.properties;
        const item = el("li", {}, el("button", { type: "button", class: "link", text: `cell ${p.cell.join(",")} · ${(CLASS_STYLE[p.hotspot_class] || {}).label || p.hotspot_class} · ${fmt(p.expected_snares, 1)} expected · ${fmt(p.distance_km)} km` }));
        item.querySelector("button").addEventListener("click", () => map.setView([f.geometry.coordinates[1], f.geometry.coordinates[0]], 13));
        list.append(item);
      }
      const gpx = `/api/v1/units/${encodeURIComponent(unit)}/targets?${q}&format=gpx`;
      box.append(el("section", { class: "unit", "data-unit": unit },
        el("h3", {}, unit, " ", el("a", { href: gpx, download: `${unit}-targets.gpx`, text: "GPX" })), list));
    }
  }

  async function pages(url, limit = 5) {
    const features = [];
    let next = url;
    for (let k = 0; next && k < limit; k += 1) {
      const doc = await getJSON(next);
      features.push(...doc.features);
      next = (doc.links || []).find((l) => l.rel === "next")?.href || null;
    }
    return { type: "FeatureCollection", features };
  }

  async function loadRoutes() {
    const key = query().toString();
    if (loaded.routes === key) return;
    loaded.routes = key;
    const doc = await pages(`/api/v1/patrols?${key}&limit=1000`);
    layers.routes.clearLayers();
    const link = mapEl.dataset.canOpenPatrols ? mapEl.dataset.patrolUrl : null;
    layers.routes.addLayer(L.geoJSON(doc, {
      style: () => ({ color: "#54278f", weight: 1.5, opacity: 0.7, className: "route" }),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        const body = el("div", {}, el("strong", { text: `${p.unit} · ${p.started_at.slice(0, 10)}` }),
          el("div", { text: `${fmt(p.distance_km)} km, ${fmt(p.duration_h)} h, ${p.transport}` }));
        if (link) body.append(el("a", { href: link.replace("ID", f.id), text: "Open patrol" }));
        layer.bindPopup(body);
      },
    }));
  }

  async function loadFinds() {
    const key = query().toString();
    if (loaded.finds === key) return;
    loaded.finds = key;
    const doc = await pages(`/api/v1/snares?${key}&limit=1000`);
    layers.finds.clearLayers();
    const markers = doc.features.map((f) => {
      const p = f.properties;
      return L.circleMarker([f.geometry.coordinates[1], f.geometry.coordinates[0]], { radius: 5, color: "#222", weight: 1, fillColor: "#ffd92f", fillOpacity: 0.9 })
        .bindPopup(el("div", {}, el("strong", { text: `${p.count} × ${p.type}` }), el("div", { text: `${p.found_at.slice(0, 16).replace("T", " ")} · ${p.state} · ${p.action.replaceAll("_", " ")}` }), el("div", { text: p.species || "" })));
    });
    layers.finds.addLayers(markers);
  }

  async function loadObservations() {
    // What patrols recorded besides finds (SMART categories), filtered by a category key.
    const params = query();
    if (inputs.category.value.trim()) params.set("category", inputs.category.value.trim());
    const key = params.toString();
    if (loaded.observations === key) return;
    loaded.observations = key;
    const doc = await pages(`/api/v1/observations?${key}&limit=1000`);
    layers.observations.clearLayers();
    for (const f of doc.features) {
      if (!f.geometry) continue; // roles without points get none
      const p = f.properties;
      const details = p.attributes.map((a) => `${a.key}: ${Array.isArray(a.value) ? a.value.join(", ") : a.value}`).join("; ");
      layers.observations.addLayer(
        L.circleMarker([f.geometry.coordinates[1], f.geometry.coordinates[0]], { radius: 4, color: "#444", weight: 1, fillColor: "#bdbdbd", fillOpacity: 0.9, className: "observation" })
          .bindPopup(el("div", {}, el("strong", { text: p.category_path }), el("div", { text: p.observed_at.slice(0, 16).replace("T", " ") }), el("div", { text: details }))));
    }
  }

  inputs.category.addEventListener("change", () => {
    if (map.hasLayer(layers.observations)) loadObservations().catch((err) => { status.textContent = `Could not load: ${err.message}`; });
  });

  map.on("overlayadd", (event) => {
    const run = event.layer === layers.routes ? loadRoutes : event.layer === layers.finds ? loadFinds
      : event.layer === layers.observations ? loadObservations
      : event.layer === layers.risk ? () => loadRisk().then(drawRiskLegend) : null;
    if (run) run().catch((err) => { status.textContent = `Could not load: ${err.message}`; });
  });
  map.on("overlayremove", (event) => { if (event.layer === layers.risk) drawRiskLegend(); });

  async function load() {
    status.textContent = "Loading…";
    const q = query();
    const cells = new URLSearchParams(q);
    cells.set("cell_km", inputs.cell.value);
    try {
      const [hot, zones, dispatch] = await Promise.all([
        getJSON(`/api/v1/hotspots?${cells}`),
        getJSON(`/api/v1/zones/stats?${q}`),
        mapEl.dataset.dispatchUrl ? getJSON(`${mapEl.dataset.dispatchUrl}?${q}`) : { features: [] },
      ]);
      const [start, end] = hot.window.split("/");
      if (!inputs.to.value) {
        mapEl.dataset.latest = end;
        setPreset(inputs.preset.value, end);
        return load();
      }
      inputs.from.value = start;
      inputs.to.value = end;
      renderZones(zones);
      renderCells(hot);
      renderDispatch(dispatch);
      loaded = { routes: null, finds: null, observations: null, risk: null };
      if (map.hasLayer(layers.routes)) await loadRoutes();
      if (map.hasLayer(layers.finds)) await loadFinds();
      if (map.hasLayer(layers.observations)) await loadObservations();
      if (map.hasLayer(layers.risk)) await loadRisk();
      const counts = {};
      hot.features.forEach((f) => { counts[f.properties.hotspot_class] = (counts[f.properties.hotspot_class] || 0) + 1; });
      status.textContent = `${hot.window}: ${(counts.hot_99 || 0) + (counts.hot_95 || 0)} significant hot cells of ${hot.cell_km} km, ${counts.under_patrolled || 0} under-patrolled.`;
      mapEl.dataset.ready = "1";
    } catch (err) {
      status.textContent = `Could not load the map data: ${err.message}`;
    }
  }

  inputs.preset.addEventListener("change", () => {
    if (inputs.preset.value !== "custom" && mapEl.dataset.latest) {
      setPreset(inputs.preset.value, mapEl.dataset.latest);
      load();
    }
  });
  for (const input of [inputs.from, inputs.to]) input.addEventListener("change", () => { inputs.preset.value = "custom"; });
  inputs.area.addEventListener("change", () => {
    // Another area: its own latest day, and fit the map to it.
    inputs.from.value = "";
    inputs.to.value = "";
    fitted = false;
    load();
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  load();
})();
