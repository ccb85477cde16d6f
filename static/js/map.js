/* patrol: the coordinator's map — zones by effort-corrected rate, hotspot cells, routes,
   finds, context layers and each unit's dispatch targets. Data comes from /api/v1 with the
   session cookie; every filter lives in the page's URL so a view can be shared. */
"use strict";

(() => {
  const { getJSON, el, fmt, isoDay } = patrol;
  const mapEl = document.getElementById("map");
  const status = document.getElementById("status");
  const form = document.getElementById("filters");
  const inputs = {
    area: document.getElementById("area"),
    preset: document.getElementById("preset"),
    month: document.getElementById("month"),
    from: document.getElementById("from"),
    to: document.getElementById("to"),
    unit: document.getElementById("unit"),
    cell: document.getElementById("cell"),
    category: document.getElementById("category"),
  };
  const monthLabel = document.getElementById("month-label");
  const phone = window.matchMedia("(max-width: 799px)").matches;

  // A maxZoom of its own: without a tile layer Leaflet has none, and markercluster needs one.
  const map = L.map(mapEl, { zoomControl: true, preferCanvas: false, maxZoom: 18, minZoom: 3 });
  if (mapEl.dataset.tileUrl) {
    L.tileLayer(mapEl.dataset.tileUrl, { attribution: mapEl.dataset.tileAttribution, maxZoom: 18 }).addTo(map);
  }
  map.setView([43.1, 131.45], 9);
  patrolOrientation.addBasemap(map, inputs.area); // the area's offline basemap, when loaded
  L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);
  // Roads, rivers and places lie over the zones' and cells' fills, under the markers.
  map.createPane("context").style.zIndex = 450;

  // Classes: colour, and a border pattern and a label, so colour is never the only cue.
  const CLASS_STYLE = {
    hot_99: { color: "#7f0000", fillColor: "#b30000", fillOpacity: 0.75, weight: 2, dashArray: null },
    hot_95: { color: "#b30000", fillColor: "#e34a33", fillOpacity: 0.6, weight: 1.5, dashArray: null },
    hot_90: { color: "#e34a33", fillColor: "#fc8d59", fillOpacity: 0.45, weight: 1.5, dashArray: "4 2" },
    not_significant: { color: "#999", fillColor: "#ffffff", fillOpacity: 0.05, weight: 0.3, dashArray: null },
    cold_90: { color: "#6baed6", fillColor: "#9ecae1", fillOpacity: 0.35, weight: 1, dashArray: "1 3" },
    cold_95: { color: "#3182bd", fillColor: "#6baed6", fillOpacity: 0.45, weight: 1, dashArray: "1 3" },
    cold_99: { color: "#08519c", fillColor: "#3182bd", fillOpacity: 0.55, weight: 1, dashArray: "1 3" },
    under_patrolled: { color: "#555", fillColor: "#bdbdbd", fillOpacity: 0.35, weight: 0.8, dashArray: "6 3" },
    suppressed: { color: "#999", fillColor: "#eeeeee", fillOpacity: 0.2, weight: 0.3, dashArray: "2 2" },
  };
  // What the reader sees for each class: the vocabulary's labels (patrol/web/labels.py).
  for (const [cls, style] of Object.entries(CLASS_STYLE)) style.label = cls === "suppressed" ? _("Too few patrols") : label("HotspotClass", cls);
  // A cell's emerging hot spot category, or a zone's Mann-Kendall trend, in words.
  const ZONE_TRENDS = { increasing: _("rising"), decreasing: _("falling"), no_trend: _("no clear trend"), too_few_bins: _("too few months or seasons to tell") };
  const trendText = (t) => (t ? ZONE_TRENDS[t] || label("TrendCategory", t) : "–");
  const ZONE_COLOURS = ["#ffffcc", "#c2e699", "#78c679", "#31a354", "#006837"];
  const HIGHLIGHT = "#ff7f00";

  const layers = {
    zones: L.featureGroup(),
    cells: L.featureGroup(),
    targets: L.featureGroup(),
    unitRoutes: L.featureGroup(),
    routes: L.featureGroup(),
    finds: L.markerClusterGroup({ chunkedLoading: true }),
    observations: L.featureGroup(),
    risk: L.featureGroup(),
    roads: L.featureGroup(),
    rivers: L.featureGroup(),
    settlements: L.featureGroup(),
    bases: L.featureGroup(),
  };
  const OVERLAYS = {
    zones: _("Zones (smoothed rate)"),
    cells: _("Hotspot cells"),
    targets: _("Dispatch targets"),
    unitRoutes: _("Highlighted unit's patrols"),
    routes: _("Patrol routes"),
    finds: _("Snare finds"),
    observations: _("Observations"),
    risk: _("Predicted setting (next 30 days)"),
    roads: _("Roads"),
    rivers: _("Rivers"),
    settlements: _("Settlements"),
    bases: _("Unit bases"),
  };
  const DEFAULT_LAYERS = ["zones", "cells", "targets", "unitRoutes", "roads", "rivers", "settlements", "bases"];
  const layerName = new Map(Object.entries(layers).map(([k, v]) => [v, k]));
  const control = L.control.layers(null,
    Object.fromEntries(Object.entries(OVERLAYS).map(([k, label]) => [label, layers[k]])),
    { collapsed: phone }).addTo(map);
  control.getContainer().setAttribute("aria-label", _("Map layers"));
  control.getContainer().querySelector(".leaflet-control-layers-toggle")?.setAttribute("title", _("Layers"));

  // The legend folds away (a phone needs the map), but always prints whole.
  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => {
    const box = el("div", { class: "legend", "data-testid": "legend" },
      el("button", { type: "button", class: "toggle", "aria-expanded": phone ? "false" : "true", "aria-controls": "legend-body", text: _("Legend") }),
      el("div", { id: "legend-body", class: "legend-body" }));
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  legend.addTo(map);
  const legendBody = () => legend.getContainer().querySelector(".legend-body");

  const RISK_COLOURS = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"];
  let riskBreaks = null;
  let fitted = false;
  let loaded = {};  // layer name -> the key of what it shows, so a layer is not drawn twice
  let dispatchDoc = { features: [] };
  let loadSeq = 0;
  let ready = false;  // layers shown from the URL wait for the first view before loading

  // ---- Answers: one request per URL and view; the newest few kept, for five minutes, for going
  // back and forth between views (after that a view is asked for again: new reports come in).
  const answers = new Map();
  const FRESH_MS = 5 * 60 * 1000;
  function fetchOnce(url) {
    let entry = answers.get(url);
    if (entry) answers.delete(url);
    if (!entry || Date.now() - entry.at > FRESH_MS) {
      entry = { at: Date.now(), answer: getJSON(url) };
      entry.answer.catch(() => answers.delete(url));
    }
    answers.set(url, entry);
    while (answers.size > 16) answers.delete(answers.keys().next().value);
    return entry.answer;
  }

  // ---- Periods: complete months, quarters, seasons and years before the area's today.
  const area = () => inputs.area.selectedOptions[0]?.dataset || {};
  const ymd = (y, m, d) => isoDay(new Date(Date.UTC(y, m, d)));
  // Months and days in the page's language (Intl): "March 2026", "март 2026 г.".
  const monthFormat = new Intl.DateTimeFormat(patrol.INTL_LANG, { month: "long", year: "numeric", timeZone: "UTC" });
  const dayFormat = new Intl.DateTimeFormat(patrol.INTL_LANG, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  const monthText = (d) => monthFormat.format(new Date(Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, 1)));

  function today() {
    return area().today || isoDay(new Date());
  }

  /** First and last day of the preset's period: the last such period that has ended. */
  function presetPeriod(kind) {
    const t = today();
    const y = Number(t.slice(0, 4));
    const m = Number(t.slice(5, 7)) - 1;
    if (kind === "month") return [ymd(y, m - 1, 1), ymd(y, m, 0)];
    if (kind === "quarter") {
      const q = Math.floor(m / 3) * 3;
      return [ymd(y, q - 3, 1), ymd(y, q, 0)];
    }
    if (kind === "season") {
      // Meteorological seasons: Dec-Feb, Mar-May, Jun-Aug, Sep-Nov; this one started in month s.
      const s = m === 11 ? 11 : m - ((m + 1) % 3);
      return [ymd(y, s - 3, 1), ymd(y, s, 0)];
    }
    return [ymd(y - 1, 0, 1), ymd(y - 1, 11, 31)];
  }

  /** Months the slider offers: from the area's first patrol to the last complete month. */
  function sliderMonths() {
    const t = today();
    const end = Number(t.slice(0, 4)) * 12 + Number(t.slice(5, 7)) - 2;
    const first = area().first || ymd(Number(t.slice(0, 4)) - 2, Number(t.slice(5, 7)) - 1, 1);
    const start = Math.min(end, Number(first.slice(0, 4)) * 12 + Number(first.slice(5, 7)) - 1);
    const months = [];
    for (let k = start; k <= end; k += 1) months.push(`${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, "0")}`);
    return months;
  }

  function setupSlider(selected) {
    const months = sliderMonths();
    inputs.month.max = String(months.length - 1);
    inputs.month.dataset.months = months.join(",");
    const k = months.indexOf(selected);
    inputs.month.value = String(k >= 0 ? k : months.length - 1);
    showSliderMonth();
  }

  const sliderMonth = () => (inputs.month.dataset.months || "").split(",")[Number(inputs.month.value)] || "";

  function showSliderMonth() {
    const ym = sliderMonth();
    const text = ym ? monthText(ym) : "";
    monthLabel.textContent = text;
    inputs.month.setAttribute("aria-valuetext", text);
    // Greyed while another period is shown: the slider picks a month only when moved.
    monthLabel.classList.toggle("idle", inputs.preset.value !== "pick");
    inputs.month.disabled = !ym;
  }

  function monthPeriod(ym) {
    const y = Number(ym.slice(0, 4));
    const m = Number(ym.slice(5, 7)) - 1;
    return [ymd(y, m, 1), ymd(y, m + 1, 0)];
  }

  function applyPreset() {
    const kind = inputs.preset.value;
    if (kind === "custom") return;
    const [first, last] = kind === "pick" ? monthPeriod(sliderMonth()) : presetPeriod(kind);
    inputs.from.value = first;
    inputs.to.value = last;
  }

  function labelPresets() {
    // Each preset names the period it stands for, so "last season" is never a guess.
    for (const option of inputs.preset.options) {
      if (["custom", "pick"].includes(option.value)) continue;
      option.dataset.label ||= option.textContent;
      const [first, last] = presetPeriod(option.value);
      option.textContent = `${option.dataset.label} (${humanPeriod(first, last)})`;
    }
  }

  function humanDay(d) {
    return dayFormat.format(new Date(Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10)))));
  }

  function humanPeriod(first, last) {
    if (!first || !last) return "";
    const wholeMonths = first.slice(8) === "01" && ymd(Number(last.slice(0, 4)), Number(last.slice(5, 7)), 0) === last;
    if (wholeMonths && first.slice(0, 4) === last.slice(0, 4) && first.slice(5, 7) === "01" && last.slice(5, 7) === "12") return first.slice(0, 4);
    if (wholeMonths) {
      const a = monthText(first);
      const b = monthText(last);
      return a === b ? a : `${a} – ${b}`;
    }
    return `${humanDay(first)} – ${humanDay(last)}`;
  }

  // ---- The URL: every filter, the layers shown and where the map looks.
  const DAY = /^\d{4}-\d{2}-\d{2}$/;

  function readURL() {
    const q = new URLSearchParams(window.location.search);
    const pick = (select, value) => {
      if (value !== null && [...select.options].some((o) => o.value === value)) select.value = value;
    };
    pick(inputs.area, q.get("area"));
    pick(inputs.unit, q.get("unit"));
    pick(inputs.cell, q.get("cell"));
    if (q.get("category")) inputs.category.value = q.get("category").slice(0, 200);
    setupSlider(q.get("month"));
    const from = q.get("from");
    const to = q.get("to");
    if (q.get("preset")) pick(inputs.preset, q.get("preset"));
    else if (from || to) inputs.preset.value = "custom";
    if (inputs.preset.value === "custom") {
      if (from && DAY.test(from)) inputs.from.value = from;
      if (to && DAY.test(to)) inputs.to.value = to;
      if (!inputs.from.value || !inputs.to.value) inputs.preset.value = "year";
    }
    applyPreset();
    showSliderMonth();
    const shown = q.has("layers") ? q.get("layers").split(",") : DEFAULT_LAYERS;
    for (const [name, layer] of Object.entries(layers)) {
      if (shown.includes(name)) layer.addTo(map);
    }
    const at = (q.get("at") || "").split("/").map(Number);
    if (at.length === 3 && at.every(Number.isFinite)) {
      map.setView([at[1], at[2]], Math.max(3, Math.min(18, Math.round(at[0]))));
      fitted = true;
    }
  }

  function writeURL() {
    const q = new URLSearchParams();
    if (inputs.area.value) q.set("area", inputs.area.value);
    q.set("preset", inputs.preset.value);
    if (inputs.preset.value === "pick") q.set("month", sliderMonth());
    if (inputs.preset.value === "custom") {
      q.set("from", inputs.from.value);
      q.set("to", inputs.to.value);
    }
    if (inputs.unit.value) q.set("unit", inputs.unit.value);
    if (inputs.cell.value !== "1") q.set("cell", inputs.cell.value);
    if (inputs.category.value.trim()) q.set("category", inputs.category.value.trim());
    q.set("layers", Object.entries(layers).filter(([, l]) => map.hasLayer(l)).map(([k]) => k).join(","));
    if (fitted) {
      const c = map.getCenter();
      q.set("at", `${map.getZoom()}/${c.lat.toFixed(4)}/${c.lng.toFixed(4)}`);
    }
    window.history.replaceState(null, "", `${window.location.pathname}?${q.toString().replaceAll("%2C", ",").replaceAll("%2F", "/")}`);
  }

  // ---- Queries. The park's figures never depend on the highlighted unit.
  function query() {
    const params = new URLSearchParams();
    if (inputs.area.value) params.set("area", inputs.area.value);
    if (inputs.from.value) params.set("from", inputs.from.value);
    if (inputs.to.value) params.set("to", inputs.to.value);
    return params;
  }

  /** About one screen pixel in metres at this zoom, as a power of two (a bucket). */
  function toleranceM() {
    const lat = map.getCenter().lat;
    const pixel = (40075016.686 * Math.cos((lat * Math.PI) / 180)) / 2 ** (map.getZoom() + 8);
    return Math.min(1000, 2 ** Math.floor(Math.log2(Math.max(pixel, 0.5))));
  }

  function popupTable(rows) {
    const table = el("table", { class: "figures" });
    for (const [name, value] of rows) table.append(el("tr", {}, el("th", { text: name }), el("td", { text: value })));
    return table;
  }

  function cellPopup(p) {
    return el("div", { "data-testid": "cell-popup" },
      el("strong", { text: _("Cell {ix}, {iy}: {n}", { ix: p.ix, iy: p.iy, n: (CLASS_STYLE[p.hotspot_class] || {}).label || p.hotspot_class }) }),
      popupTable([
        [_("Snares"), fmt(p.snares, 0)], [_("Finds"), fmt(p.finds, 0)],
        [_("Effort km"), fmt(p.effort_km)], [_("Effort hours"), fmt(p.effort_h)],
        [_("Patrols"), fmt(p.patrols, 0)],
        [_("CPUE per 100 km"), fmt(p.cpue_per_100km, 2)], [_("CPUE per 10 h"), fmt(p.cpue_per_10h, 2)],
        [_("Smoothed rate per 100 km"), fmt(p.eb_rate_per_100km, 2)],
        ["Gi* z", fmt(p.gi_z, 2)], ["Gi* p", fmt(p.gi_p, 4)],
        [_("Trend"), trendText(p.trend)],
        [_("Last patrolled"), p.last_patrolled ? patrol.localText(p.last_patrolled) : _("never")],
      ]));
  }

  /** A zone's hotspot reason (services/zone_stats.py, English for the files) in the page's
      words: each test it passed, its figures in the page's conventions. */
  function hotspotReason(reason) {
    return String(reason || "").split("; ").map((part) => {
      const poisson = part.match(/^(\d+) finds where the area's rate in the same months predicts ([\d.]+) \(Poisson p=([^,]+), FDR ([\d.]+)\)$/);
      if (poisson) {
        return _("{finds} finds where the area's rate in the same months predicts {expected} (Poisson p={p}, FDR {fdr})",
          { finds: fmt(Number(poisson[1]), 0), expected: fmt(Number(poisson[2]), 1), p: poisson[3], fdr: poisson[4] });
      }
      const cells = part.match(/^(\d+) significant hot cell\(s\) \(Gi\*, FDR ([\d.]+)\)$/);
      if (cells) return _("{n} significant hot cell(s) (Gi*, FDR {fdr})", { n: fmt(Number(cells[1]), 0), fdr: cells[2] });
      return part;
    }).join("; ");
  }

  function zonePopup(p) {
    return el("div", { "data-testid": "zone-popup" },
      el("strong", { text: `${p.zone} · ${patrol.zoneName(p)}` }),
      popupTable([
        [_("Snares found"), fmt(p.snares_found, 0)], [_("Snares removed"), fmt(p.snares_removed, 0)],
        [_("Patrols"), fmt(p.patrols, 0)], [_("Patrol-days"), fmt(p.patrol_days, 0)],
        [_("Effort km"), fmt(p.effort_km)], [_("Effort hours"), fmt(p.effort_h)],
        [_("Density per km²"), fmt(p.density_per_km2, 2)],
        [_("CPUE per 100 km"), fmt(p.cpue_per_100km, 2)], [_("Smoothed rate per 100 km"), fmt(p.eb_rate_per_100km, 2)],
        [_("Hotspot"), p.hotspot ? _("yes: {hotspot_reason}", { hotspot_reason: hotspotReason(p.hotspot_reason) }) : _("no")],
        [_("Trend"), trendText(p.trend)],
      ]));
  }

  function key(swatchStyle, text, cls = "swatch") {
    return el("div", { class: "key" }, el("span", { class: cls, style: swatchStyle }), el("span", { text }));
  }

  function drawLegend(breaks) {
    const box = legendBody();
    box.replaceChildren(el("strong", { text: _("Smoothed snares per 100 km") }));
    if (!breaks.length) box.append(el("div", { class: "muted", text: _("No zone had patrols in this period.") }));
    else if (breaks[0] === breaks[breaks.length - 1]) box.append(key(`background:${ZONE_COLOURS[0]}`, _("all zones {rate}", { rate: fmt(breaks[0], 2) })));
    else {
      breaks.forEach((b, i) => {
        if (i < breaks.length - 1 && breaks[i + 1] === b) return;  // equal breaks: no empty band
        box.append(key(`background:${ZONE_COLOURS[i]}`, i === breaks.length - 1 ? `≥ ${fmt(b, 2)}` : `${fmt(b, 2)} – ${fmt(breaks[i + 1], 2)}`));
      });
    }
    box.append(key("background:#f0f0f0", _("No patrols")));
    box.append(el("strong", { text: _("Hotspot cells") }));
    for (const [cls, s] of Object.entries(CLASS_STYLE)) {
      if (cls === "suppressed") continue;
      box.append(key(`background:${s.fillColor};border-color:${s.color};border-style:${s.dashArray ? "dashed" : "solid"}`, s.label, `swatch cellkey ${cls}`));
    }
    box.append(el("strong", { text: _("Dispatch") }));
    box.append(key("", _("Target (number: the unit's rank)"), "swatch target-key"));
    box.append(key(`background:${HIGHLIGHT}`, _("Highlighted unit: targets and patrols")));
    box.append(el("strong", { text: _("Context") }));
    box.append(key("background:repeating-linear-gradient(90deg,#4d4030 0 5px,transparent 5px 8px);height:3px;border:0", _("Road (dashed)")));
    box.append(key("background:#4292c6;height:3px;border:0", _("River")));
    box.append(key("background:#fff;border-color:#333", _("Settlement"), "swatch dot"));
    box.append(key("background:#1d2a24", _("Unit base"), "swatch dot"));
    drawRiskLegend();
  }

  // Small rates keep two significant digits: 0.0031, not 0.
  const sig = (v) => (v !== null && v !== undefined && Math.abs(v) < 0.1 ? Number(v.toPrecision(2)).toString() : fmt(v, 2));

  function riskPopup(p) {
    const known = p.walked;
    return el("div", { "data-testid": "risk-popup" },
      el("strong", { text: _("Cell {ix}, {iy}: predicted setting", { ix: p.ix, iy: p.iy }) }),
      popupTable([
        [_("Setting rate per km² per 30 days"), known ? sig(p.setting_rate) : _("not walked: unknown")],
        ["90 % interval", known ? `${sig(p.setting_rate_low)} – ${sig(p.setting_rate_high)}` : "–"],
        [_("Neighbourhood and covariates say"), `${sig(p.prior_setting_rate)}${known ? "" : ` (${sig(p.prior_setting_rate_low)} – ${sig(p.prior_setting_rate_high)})`}`],
        [_("Snares standing now (expected)"), sig(p.standing_stock)],
        [_("Expected finds, 5 km search"), sig(p.expected_finds_5km)],
        [_("Risk rank (1 = highest)"), fmt(p.risk_rank, 2)],
        [_("Patrols, effort km (year)"), `${fmt(p.inputs.patrols, 0)}, ${fmt(p.inputs.effort_km)}`],
        [_("Last patrolled"), p.inputs.last_patrolled ? patrol.localText(p.inputs.last_patrolled) : _("never")],
      ]));
  }

  function drawRiskLegend() {
    const box = legendBody();
    box.querySelector(".risk-legend")?.remove();
    if (!riskBreaks || !map.hasLayer(layers.risk)) return;
    const part = el("div", { class: "risk-legend" }, el("strong", { text: _("Predicted setting per km² per 30 days") }));
    riskBreaks.forEach((b, i) => part.append(key(`background:${RISK_COLOURS[i]}`,
      i === riskBreaks.length - 1 ? `≥ ${sig(b)}` : `${sig(b)} – ${sig(riskBreaks[i + 1])}`)));
    part.append(key("background:#f0f0f0;border-style:dashed", _("Not walked in the year: unknown")));
    box.append(part);
  }

  async function loadRisk() {
    const q = new URLSearchParams();
    if (inputs.area.value) q.set("area", inputs.area.value);
    if (inputs.to.value) q.set("until", inputs.to.value);
    if (inputs.cell.value !== "1") q.set("cell_km", inputs.cell.value);
    const k = q.toString();
    if (loaded.risk === k) return;
    loaded.risk = k;
    const doc = await fetchOnce(`/api/v1/risk?${k}`);
    const rates = doc.features.map((f) => f.properties.setting_rate).filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
    riskBreaks = [0, 0.2, 0.4, 0.6, 0.8].map((r) => rates.length ? rates[Math.floor(r * (rates.length - 1))] : 0);
    const colour = (v) => {
      let c = 0;
      riskBreaks.forEach((b, i) => { if (v >= b) c = i; });
      return RISK_COLOURS[c];
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

  // Zones and significant cells take the keyboard: Tab reaches them, Enter or Space opens
  // their figures, and each has a name a screen reader says (WCAG 2.1.1, 4.1.2). Set on every
  // "add": Leaflet makes a new path element each time a layer comes back on the map.
  function keyboardReachable(layer, label) {
    layer.on("add", () => {
      const path = layer.getElement();
      if (!path) return;
      path.setAttribute("tabindex", "0");
      path.setAttribute("role", "button");
      path.setAttribute("aria-label", label);
      path.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          layer.openPopup();
        }
      });
    });
  }

  function renderZones(doc) {
    layers.zones.clearLayers();
    const rates = doc.features.map((f) => f.properties.eb_rate_per_100km).filter((v) => v !== null).sort((a, b) => a - b);
    const breaks = rates.length ? [0, 0.2, 0.4, 0.6, 0.8].map((q) => rates[Math.floor(q * (rates.length - 1))]) : [];
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
        layer.bindTooltip(`${f.properties.zone} ${patrol.zoneName(f.properties)}`, { sticky: true });
        const rate = f.properties.eb_rate_per_100km;
        const rateText = rate === null ? _("no patrols") : _("{n} snares per 100 km", { n: fmt(rate, 2) });
        keyboardReachable(layer, _("Zone {zone} {name}: {rate}", { zone: f.properties.zone, name: patrol.zoneName(f.properties), rate: rateText }));
      },
    }));
    drawLegend(breaks);
    if (!fitted && layers.zones.getLayers().length) {
      map.fitBounds(layers.zones.getBounds(), { animate: false });
      fitted = true;
    }
  }

  function renderCells(doc) {
    layers.cells.clearLayers();
    layers.cells.addLayer(L.geoJSON(doc, {
      style: (f) => {
        const p = f.properties;
        const s = CLASS_STYLE[p.hotspot_class] || CLASS_STYLE.not_significant;
        return { color: s.color, weight: s.weight, dashArray: s.dashArray, fillColor: s.fillColor, fillOpacity: s.fillOpacity, className: `cell cell-${p.hotspot_class} at-${p.ix}_${p.iy}` };
      },
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindPopup(() => cellPopup(p));
        // Only the verdicts reach the keyboard: 2,700 plain cells would be a Tab trap.
        if (/^(hot|cold)_/.test(p.hotspot_class)) {
          keyboardReachable(layer, _("Cell {ix}, {iy}: {n}", { ix: p.ix, iy: p.iy, n: CLASS_STYLE[p.hotspot_class].label }));
        }
      },
    }));
  }

  function targetLabel(p) {
    return _("cell {n} · {n2} · {n3} expected · {n4} km", { n: p.cell.join(","), n2: (CLASS_STYLE[p.hotspot_class] || {}).label || p.hotspot_class, n3: fmt(p.expected_snares, 1), n4: fmt(p.distance_km) });
  }

  function printTargets(section) {
    document.body.dataset.print = "targets";
    section.classList.add("printing");
    window.print();
  }

  function renderDispatch(doc) {
    dispatchDoc = doc;
    const box = document.getElementById("dispatch");
    box.replaceChildren();
    const byUnit = new Map();
    for (const f of doc.features) {
      const list = byUnit.get(f.properties.unit) || [];
      list.push(f);
      byUnit.set(f.properties.unit, list);
    }
    if (!byUnit.size) {
      box.append(el("p", { class: "muted", text: _("No significant hot cells in this period.") }));
      return;
    }
    const q = query();
    for (const [unit, items] of byUnit) {
      const list = el("ol", {});
      const table = el("table", { class: "data targets-table" },
        el("caption", { text: _("{unit}: targets, {period}", { unit, period: humanPeriod(inputs.from.value, inputs.to.value) }) }),
        el("thead", {}, el("tr", {}, ...[_("Rank"), _("Cell"), _("Class"), _("Expected snares"), _("From base km"), _("Last patrolled"), _("Latitude"), _("Longitude")].map((h) => el("th", { scope: "col", text: h })))));
      const body = el("tbody");
      for (const f of items) {
        const p = f.properties;
        const [lon, lat] = f.geometry.coordinates;
        const item = el("li", {}, el("button", { type: "button", class: "link", text: targetLabel(p) }));
        item.querySelector("button").addEventListener("click", () => map.setView([lat, lon], 13));
        list.append(item);
        body.append(el("tr", {}, ...[p.rank, p.cell.join(","), (CLASS_STYLE[p.hotspot_class] || {}).label || p.hotspot_class,
          fmt(p.expected_snares, 1), fmt(p.distance_km), p.last_patrolled ? patrol.localText(p.last_patrolled) : _("never"), fmt(lat, 5), fmt(lon, 5)].map((v) => el("td", { text: String(v) }))));
      }
      table.append(body);
      const file = (format) => `/api/v1/units/${encodeURIComponent(unit)}/targets?${q}&format=${format}`;
      // The table speaks the page's language, as the exports page's files do (lang=keys: the keys).
      const csvFile = `${file("csv")}&lang=${encodeURIComponent(PAGE_LANG)}`;
      const printButton = el("button", { type: "button", class: "link", text: _("Print list") });
      const section = el("section", { class: "unit", "data-unit": unit },
        el("h3", {}, `${unit} `,
          el("a", { href: file("gpx"), download: `${unit}-targets.gpx`, text: "GPX" }), " · ",
          el("a", { href: csvFile, download: `${unit}-targets.csv`, text: "CSV" }), " · ",
          printButton),
        list, table);
      printButton.addEventListener("click", () => printTargets(section));
      box.append(section);
    }
  }

  function renderTargets(doc) {
    layers.targets.clearLayers();
    for (const f of doc.features) {
      const p = f.properties;
      const marker = L.marker([f.geometry.coordinates[1], f.geometry.coordinates[0]], {
        icon: L.divIcon({ className: "target-icon", html: `<span>${p.rank}</span>`, iconSize: [22, 22] }),
        title: _("{unit} target {rank}", { unit: p.unit, rank: p.rank }),
        keyboard: true,
      }).bindPopup(el("div", {}, el("strong", { text: _("{unit} · target {rank}", { unit: p.unit, rank: p.rank }) }), el("div", { text: targetLabel(p) })));
      marker.unit = p.unit;
      layers.targets.addLayer(marker);
    }
  }

  /** The highlighted unit: its targets and dispatch list stand out, its patrols are drawn. */
  function highlight() {
    const unit = inputs.unit.value;
    layers.targets.eachLayer((m) => {
      const icon = m.getElement();
      if (!icon) return;
      icon.classList.toggle("highlighted", m.unit === unit);
      icon.classList.toggle("dimmed", Boolean(unit) && m.unit !== unit);
      if (m.unit === unit) m.setZIndexOffset(1000);
    });
    for (const section of document.querySelectorAll("#dispatch section.unit")) {
      section.classList.toggle("highlighted", section.dataset.unit === unit);
    }
    if (map.hasLayer(layers.unitRoutes)) loadUnitRoutes().catch(failed);
  }

  async function pages(url, limit = 5) {
    const features = [];
    let next = url;
    for (let k = 0; next && k < limit; k += 1) {
      const doc = await fetchOnce(next);
      features.push(...doc.features);
      next = (doc.links || []).find((l) => l.rel === "next")?.href || null;
    }
    return { type: "FeatureCollection", features };
  }

  function routesLayer(doc, style) {
    const link = mapEl.dataset.canOpenPatrols ? mapEl.dataset.patrolUrl : null;
    return L.geoJSON(doc, {
      style: () => style,
      onEachFeature: (f, layer) => {
        const p = f.properties;
        const body = el("div", {}, el("strong", { text: `${p.unit} · ${p.started_at.slice(0, 10)}` }),
          el("div", { text: `${fmt(p.distance_km)} km, ${fmt(p.duration_h)} h, ${p.transport}` }));
        if (link) body.append(el("a", { href: link.replace("ID", f.id), text: _("Open patrol") }));
        layer.bindPopup(body);
      },
    });
  }

  /** Routes simplified to about a pixel; a server that ignores tolerance_m sends them whole. */
  async function loadRouteLayer(name, params, style) {
    const tolerance = toleranceM();
    const base = params.toString();
    const shown = loaded[name];
    // Zooming out keeps finer routes already here; zooming in asks again, one bucket finer.
    if (shown && shown.base === base && shown.tolerance <= tolerance) return;
    loaded[name] = { base, tolerance };
    const doc = await pages(`/api/v1/patrols?${base}&limit=1000&tolerance_m=${tolerance}`);
    if (loaded[name]?.base !== base || loaded[name].tolerance !== tolerance) return;  // overtaken
    layers[name].clearLayers();
    layers[name].addLayer(routesLayer(doc, style));
  }

  function loadRoutes() {
    return loadRouteLayer("routes", query(), { color: "#54278f", weight: 1.5, opacity: 0.7, className: "route" });
  }

  function loadUnitRoutes() {
    if (!inputs.unit.value) {
      layers.unitRoutes.clearLayers();
      loaded.unitRoutes = null;
      return Promise.resolve();
    }
    const q = query();
    q.set("unit", inputs.unit.value);
    return loadRouteLayer("unitRoutes", q, { color: HIGHLIGHT, weight: 3, opacity: 0.9, className: "route unit-route" });
  }

  async function loadFinds() {
    const k = query().toString();
    if (loaded.finds === k) return;
    loaded.finds = k;
    const doc = await pages(`/api/v1/snares?${k}&limit=1000`);
    layers.finds.clearLayers();
    const markers = doc.features.map((f) => {
      const p = f.properties;
      return L.circleMarker([f.geometry.coordinates[1], f.geometry.coordinates[0]], { radius: 5, color: "#222", weight: 1, fillColor: "#ffd92f", fillOpacity: 0.9, className: "find" })
        .bindPopup(el("div", {}, el("strong", { text: `${p.count} × ${label("FindType", p.type)}` }), el("div", { text: `${patrol.localText(p.found_at)} · ${label("FindState", p.state)} · ${label("Action", p.action)}` }), el("div", { text: p.species || "" })));
    });
    layers.finds.addLayers(markers);
    mapEl.dataset.finds = String(markers.length);
  }

  async function loadObservations() {
    // What patrols recorded besides finds (SMART categories), filtered by a category key.
    const params = query();
    if (inputs.category.value.trim()) params.set("category", inputs.category.value.trim());
    const k = params.toString();
    if (loaded.observations === k) return;
    loaded.observations = k;
    const doc = await pages(`/api/v1/observations?${k}&limit=1000`);
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

  // The area's own layers orient the map where there is no tile server.
  const CONTEXT_STYLE = {
    roads: { color: "#4d4030", weight: 1.5, opacity: 0.9, dashArray: "5 3", className: "context road" },
    rivers: { color: "#4292c6", weight: 2, opacity: 0.9, className: "context river" },
    settlements: { color: "#333", weight: 1, fillColor: "#fff", fillOpacity: 0.9, className: "context settlement" },
  };

  async function loadContext(name) {
    const q = new URLSearchParams();
    if (inputs.area.value) q.set("area", inputs.area.value);
    const k = q.toString();
    if (loaded[name] === k) return;
    loaded[name] = k;
    const url = name === "bases" ? `/api/v1/units?${k}` : `/api/v1/layers/${name}?${k}`;
    const doc = await fetchOnce(url);
    const style = CONTEXT_STYLE[name];
    layers[name].clearLayers();
    layers[name].addLayer(L.geoJSON({ type: "FeatureCollection", features: doc.features.filter((f) => f.geometry) }, {
      pane: "context",
      style: () => style,
      pointToLayer: (f, latlng) => (name === "bases"
        ? L.circleMarker(latlng, { pane: "context", radius: 6, color: "#fff", weight: 2, fillColor: "#1d2a24", fillOpacity: 1, className: "context base" })
        : L.circleMarker(latlng, { pane: "context", radius: 5, ...style })),
      onEachFeature: (f, layer) => {
        const label = name === "bases" ? _("{code} base · {name}", { code: f.properties.code, name: f.properties.name }) : f.properties.name;
        if (label) layer.bindTooltip(label);
      },
    }));
  }

  const LOADERS = {
    routes: loadRoutes, unitRoutes: loadUnitRoutes, finds: loadFinds, observations: loadObservations,
    risk: loadRisk, roads: () => loadContext("roads"), rivers: () => loadContext("rivers"),
    settlements: () => loadContext("settlements"), bases: () => loadContext("bases"),
  };

  function failed(err) {
    status.textContent = _("Could not load: {message}", { message: err.message });
  }

  inputs.category.addEventListener("change", () => {
    if (map.hasLayer(layers.observations)) loadObservations().catch(failed);
    writeURL();
  });

  map.on("overlayadd", (event) => {
    const run = ready && LOADERS[layerName.get(event.layer)];
    if (run) run().then(() => { if (event.layer === layers.risk) drawRiskLegend(); }).catch(failed);
    if (event.layer === layers.targets) highlight();
    writeURL();
  });
  map.on("overlayremove", (event) => {
    if (event.layer === layers.risk) drawRiskLegend();
    writeURL();
  });
  map.on("moveend", () => { if (fitted) writeURL(); });
  map.on("zoomend", () => {
    if (!ready) return;
    for (const name of ["routes", "unitRoutes"]) {
      if (map.hasLayer(layers[name])) LOADERS[name]().catch(failed);
    }
  });

  function describePeriod() {
    const a = inputs.area.selectedOptions[0];
    document.getElementById("map-title").textContent = _("Hotspot map · {n}", { n: a ? a.textContent : "" });
    const unit = inputs.unit.value ? _(" · unit {value} highlighted", { value: inputs.unit.value }) : "";
    document.getElementById("map-period").textContent =
      _("{n} · {value} km cells{unit}", { n: humanPeriod(inputs.from.value, inputs.to.value), value: inputs.cell.value, unit });
  }

  async function load() {
    const seq = ++loadSeq;
    status.textContent = _("Loading…");
    delete mapEl.dataset.ready;
    const q = query();
    const cells = new URLSearchParams(q);
    cells.set("cell_km", inputs.cell.value);
    describePeriod();
    writeURL();
    try {
      const [hot, zones, dispatch] = await Promise.all([
        fetchOnce(`/api/v1/hotspots?${cells}`),
        fetchOnce(`/api/v1/zones/stats?${q}`),
        mapEl.dataset.dispatchUrl ? fetchOnce(`${mapEl.dataset.dispatchUrl}?${q}`) : { features: [] },
      ]);
      if (seq !== loadSeq) return;  // a newer view was asked for meanwhile
      renderZones(zones);
      renderCells(hot);
      renderDispatch(dispatch);
      renderTargets(dispatch);
      ready = true;
      const keep = { roads: loaded.roads, rivers: loaded.rivers, settlements: loaded.settlements, bases: loaded.bases };
      loaded = keep;
      await Promise.all(Object.entries(LOADERS).filter(([name]) => map.hasLayer(layers[name])).map(([, run]) => run()));
      if (seq !== loadSeq) return;
      highlight();
      const counts = {};
      hot.features.forEach((f) => { counts[f.properties.hotspot_class] = (counts[f.properties.hotspot_class] || 0) + 1; });
      const latest = area().latest;
      const empty = !hot.features.some((f) => f.properties.patrols > 0)
        ? " " + (latest ? _("No patrols in this period; the latest was on {latest}.", { latest: patrol.localText(latest) }) : _("No patrols in this period.")) : "";
      status.textContent = _("{window}: {n} significant hot cells of {cell_km} km, {n2} under-patrolled.{empty}", { window: hot.window, n: (counts.hot_99 || 0) + (counts.hot_95 || 0), cell_km: hot.cell_km, n2: counts.under_patrolled || 0, empty });
      mapEl.dataset.ready = "1";
      writeURL();
    } catch (err) {
      if (seq === loadSeq) status.textContent = _("Could not load the map data: {message}", { message: err.message });
    }
  }

  inputs.preset.addEventListener("change", () => {
    showSliderMonth();
    if (inputs.preset.value === "custom") return;
    applyPreset();
    load();
  });
  inputs.month.addEventListener("input", showSliderMonth);
  inputs.month.addEventListener("change", () => {
    inputs.preset.value = "pick";
    applyPreset();
    load();
  });
  for (const input of [inputs.from, inputs.to]) {
    input.addEventListener("change", () => {
      inputs.preset.value = "custom";
      showSliderMonth();
    });
  }
  inputs.unit.addEventListener("change", () => {
    // Only a highlight: the park's cells, zones and dispatch stay as they are.
    if (inputs.unit.value && !map.hasLayer(layers.unitRoutes)) layers.unitRoutes.addTo(map);
    highlight();
    describePeriod();
    writeURL();
    document.querySelector(`#dispatch section.unit[data-unit="${CSS.escape(inputs.unit.value)}"]`)?.scrollIntoView({ block: "nearest" });
  });
  inputs.cell.addEventListener("change", load);
  inputs.area.addEventListener("change", () => {
    // Another area: its own today and data, and fit the map to it.
    fitted = false;
    setupSlider(null);
    labelPresets();
    applyPreset();
    load();
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });

  // Folding parts: the legend and the dispatch list (folded on a phone to leave it the map).
  function toggle(button, open) {
    button.setAttribute("aria-expanded", String(open));
    document.getElementById(button.getAttribute("aria-controls")).hidden = !open;
  }
  const dispatchToggle = document.querySelector("#dispatch-title .toggle");
  const legendToggle = legend.getContainer().querySelector(".toggle");
  for (const button of [dispatchToggle, legendToggle]) {
    toggle(button, !phone);
    button.addEventListener("click", () => toggle(button, button.getAttribute("aria-expanded") !== "true"));
  }

  // Printing: the map is resized for the page, so Leaflet is told; everything folded unfolds.
  let folded = [];
  function beforePrint() {
    folded = [dispatchToggle, legendToggle].filter((b) => b.getAttribute("aria-expanded") !== "true");
    folded.forEach((b) => toggle(b, true));
    map.invalidateSize({ animate: false });
  }
  function afterPrint() {
    folded.forEach((b) => toggle(b, false));
    folded = [];
    delete document.body.dataset.print;
    document.querySelectorAll("#dispatch .printing").forEach((s) => s.classList.remove("printing"));
    map.invalidateSize({ animate: false });
  }
  window.addEventListener("beforeprint", beforePrint);
  window.addEventListener("afterprint", afterPrint);
  window.matchMedia("print").addEventListener("change", (event) => (event.matches ? beforePrint() : afterPrint()));
  document.getElementById("print-map").addEventListener("click", () => window.print());

  // For another script (the offline basemap): the map and its layer control.
  mapEl.patrolMap = { map, control };

  labelPresets();
  readURL();
  load();
})();
