/* patrol: where am I. Draws on a Leaflet map the area's outline, zones, roads, rivers and
   settlements, the unit's base, the phone's position with its accuracy, and the area's offline
   basemap; the answers are kept by the service worker (sw.js) for use without a connection and
   the basemap's tiles of the area are fetched ahead, within a limit, with their progress shown.
   addOrientation(map, { user, unit }) for the report form; addBasemap(map, area) alone for the
   coordinator's map. */
"use strict";

const patrolOrientation = (() => {
  const API = "/api/v1";
  const BASEMAP_CACHE = "patrol-basemap-"; // + area slug; sw.js serves tiles from it
  const STYLE = {
    outline: { color: "#444", weight: 2, fill: false, dashArray: "6 4" },
    zones: { color: "#1b7837", weight: 1.5, fill: false, opacity: 0.9 },
    roads: { color: "#8c510a", weight: 2.5, opacity: 0.9 },
    rivers: { color: "#2166ac", weight: 2.5, opacity: 0.9 },
    settlements: { color: "#525252", weight: 1, fillColor: "#969696", fillOpacity: 0.5 },
  };

  /** GET JSON; null for a 404. Naming the user lets the service worker keep the answer for
      this user alone, for offline use. */
  function getJSON(url, user) {
    const headers = { Accept: "application/json" };
    if (user) headers["X-Patrol-User"] = encodeURIComponent(user); // a header is Latin-1 only
    return fetch(url, { credentials: "same-origin", headers }).then((response) => {
      if (response.status === 404) return null;
      if (!response.ok) throw new Error(_("HTTP {status}", { status: response.status }));
      return response.json();
    });
  }

  /** One status box per map (bottom left): a line per concern, read out when it changes. */
  function statusLine(map, key) {
    if (!map._patrolStatus) {
      const box = L.control({ position: "bottomleft" });
      box.onAdd = () => {
        const div = L.DomUtil.create("div", "orientation-status leaflet-bar");
        div.setAttribute("role", "status");
        div.setAttribute("aria-live", "polite");
        L.DomEvent.disableClickPropagation(div);
        return div;
      };
      box.addTo(map);
      map._patrolStatus = box.getContainer();
    }
    let line = map._patrolStatus.querySelector(`[data-line="${key}"]`);
    if (!line) {
      line = L.DomUtil.create("div", `orientation-line orientation-${key}`, map._patrolStatus);
      line.dataset.line = key;
      line.append(document.createElement("span"));
    }
    return line;
  }

  function say(map, key, text) {
    const line = statusLine(map, key);
    line.firstElementChild.textContent = text;
    return line;
  }

  function pane(map) {
    if (!map.getPane("orientation")) {
      // Above the basemap, below the route and snares the ranger draws.
      map.createPane("orientation").style.zIndex = 350;
    }
    return "orientation";
  }

  function positionPane(map) {
    if (!map.getPane("orientation-position")) {
      // "You are here" above everything drawn, the base included.
      map.createPane("orientation-position").style.zIndex = 450;
    }
    return "orientation-position";
  }

  function lines(map, doc, style, cls) {
    if (!doc || !doc.features || !doc.features.length) return null;
    return L.geoJSON(doc, {
      pane: pane(map),
      interactive: false,
      style: { ...style, className: cls },
      pointToLayer: (feature, latlng) => L.circleMarker(latlng, { ...style, radius: 5, pane: pane(map), interactive: false, className: cls }),
    }).addTo(map);
  }

  function drawZones(map, doc) {
    const layer = lines(map, doc, STYLE.zones, "orientation-zone");
    if (!layer) return;
    layer.eachLayer((zone) => {
      const p = zone.feature.properties || {};
      zone.bindTooltip(p.code || p.name || "", { permanent: true, direction: "center", className: "zone-label", pane: pane(map) });
    });
  }

  function drawBase(map, units, unitOf) {
    let marker = null;
    const show = () => {
      if (marker) map.removeLayer(marker);
      marker = null;
      const code = unitOf();
      const unit = (units.features || []).find((f) => f.id === code && f.geometry);
      if (!unit) return;
      const [lon, lat] = unit.geometry.coordinates;
      marker = L.marker([lat, lon], {
        pane: pane(map),
        interactive: false,
        keyboard: false,
        icon: L.divIcon({ className: "orientation-base", html: '<span aria-hidden="true">⌂</span>', iconSize: [26, 26] }),
        alt: _("Base of {code}", { code }),
      }).bindTooltip(_("Base {code}", { code }), { permanent: true, direction: "right", offset: [12, 0] }).addTo(map);
    };
    show();
    return show;
  }

  /** The phone's position and its accuracy, followed while the page is open. */
  function followPosition(map) {
    const container = map.getContainer();
    if (!navigator.geolocation) {
      say(map, "position", _("This browser cannot tell where you are."));
      return;
    }
    let circle = null;
    let dot = null;
    let here = null;
    const line = say(map, "position", _("Finding your position…"));
    // "Centre on me": a map button (48 px, gloves), shown once there is a position.
    let centre = null;
    const button = L.control({ position: "topright" });
    button.onAdd = () => {
      const bar = L.DomUtil.create("div", "leaflet-bar orientation-centre-bar");
      centre = L.DomUtil.create("button", "orientation-centre", bar);
      centre.type = "button";
      centre.title = _("Centre on me");
      centre.setAttribute("aria-label", _("Centre the map on my position"));
      centre.innerHTML = '<span aria-hidden="true">◎</span>';
      L.DomEvent.disableClickPropagation(bar);
      L.DomEvent.on(centre, "click", () => here && map.setView(here, Math.max(map.getZoom(), 14)));
      return bar;
    };
    button.addTo(map);
    centre.hidden = true;
    const watch = navigator.geolocation.watchPosition((position) => {
      const { latitude, longitude, accuracy } = position.coords;
      here = L.latLng(latitude, longitude);
      if (!circle) {
        circle = L.circle(here, { radius: accuracy, pane: positionPane(map), interactive: false, color: "#08519c", weight: 1, fillColor: "#4292c6", fillOpacity: 0.15, className: "orientation-accuracy" }).addTo(map);
        dot = L.circleMarker(here, { radius: 7, pane: positionPane(map), interactive: false, color: "#fff", weight: 2, fillColor: "#08519c", fillOpacity: 1, className: "orientation-position" }).addTo(map);
      } else {
        circle.setLatLng(here).setRadius(accuracy);
        dot.setLatLng(here);
      }
      container.dataset.position = `${latitude.toFixed(6)},${longitude.toFixed(6)},${Math.round(accuracy)}`;
      line.firstElementChild.textContent = _("You are here, to within {n} m.", { n: Math.round(accuracy) });
      centre.hidden = false;
    }, (error) => {
      if (error.code === error.PERMISSION_DENIED) {
        navigator.geolocation.clearWatch(watch);
        container.dataset.position = "denied";
        line.firstElementChild.textContent = _("Location is blocked for this page: allow it in the browser's site settings to see where you are.");
      } else {
        line.firstElementChild.textContent = here ? _("Position not updated: no GPS fix just now.") : _("No GPS fix yet: the map shows the area without your position.");
      }
    }, { enableHighAccuracy: true, maximumAge: 15000, timeout: 60000 });
    window.addEventListener("pagehide", () => navigator.geolocation.clearWatch(watch));
  }

  function tileUrls(doc) {
    const urls = [];
    for (const range of doc.prefetch.ranges) {
      for (let x = range.x[0]; x <= range.x[1]; x += 1) {
        for (let y = range.y[0]; y <= range.y[1]; y += 1) {
          urls.push(doc.tiles[0].replace("{z}", range.z).replace("{x}", x).replace("{y}", y));
        }
      }
    }
    return urls;
  }

  /** Keep the basemap's tiles of the area in the browser's cache, a few at a time, showing
      how far it got; tiles kept before are not fetched again. */
  async function prefetch(map, slug, doc) {
    if (!("caches" in window)) {
      say(map, "basemap", _("This browser cannot keep the offline map."));
      return;
    }
    const key = `patrol-basemap-version:${slug}`;
    if (localStorage.getItem(key) !== doc.version) {
      await caches.delete(BASEMAP_CACHE + slug); // another file was loaded: drop the old tiles
      localStorage.setItem(key, doc.version);
    }
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    const cache = await caches.open(BASEMAP_CACHE + slug);
    const urls = tileUrls(doc);
    const total = urls.length;
    const line = say(map, "basemap", _("Offline map: keeping {total} tiles…", { total }));
    const bar = line.querySelector("progress") || L.DomUtil.create("progress", "", line);
    bar.max = total;
    bar.setAttribute("aria-label", _("Offline map tiles kept"));
    let done = 0;
    let failed = 0;
    const zooms = doc.prefetch.ranges.map((r) => r.z);
    const update = () => {
      bar.value = done;
      if (done < total) {
        line.firstElementChild.textContent = _("Offline map: {done} of {total} tiles kept…", { done, total });
        return;
      }
      bar.remove();
      let text = _("Offline map kept: {total} tiles, zoom {n}–{n2}", { total, n: zooms[0], n2: zooms[zooms.length - 1] });
      const skipped = doc.prefetch.skipped_zooms;
      if (skipped.length) text += _("; closer zooms ({n}–{n2}) only with a connection (limit {limit} tiles)", { n: skipped[0], n2: skipped[skipped.length - 1], limit: doc.prefetch.limit });
      if (failed) text += _("; {failed} tiles could not be fetched, tried again next time", { failed });
      line.firstElementChild.textContent = `${text}.`;
      map.getContainer().dataset.basemapKept = String(total - failed);
    };
    update();
    const worker = async () => {
      while (urls.length) {
        const url = urls.shift();
        try {
          if (!(await cache.match(url, { ignoreVary: true }))) {
            const response = await fetch(url, { credentials: "same-origin" });
            // 204: no tile there; kept too, so the phone does not ask again offline.
            if (response.ok) await cache.put(url, response);
            else failed += 1;
          }
        } catch (e) {
          failed += 1;
        }
        done += 1;
        update();
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }

  // Vector tiles are drawn by protomaps-leaflet (from the npm registry at install time,
  // served under /vendor/), loaded only when an area's basemap is vector.
  let renderer = null;
  function loadRenderer() {
    if (!renderer) {
      renderer = new Promise((resolve) => {
        if (window.protomapsL) { resolve(window.protomapsL); return; }
        const script = document.createElement("script");
        script.src = "/vendor/protomaps-leaflet/protomaps-leaflet.js";
        script.onload = () => resolve(window.protomapsL || null);
        script.onerror = () => resolve(null);
        document.head.append(script);
      });
    }
    return renderer;
  }

  /** A plain style for any schema: each layer the file names drawn by geometry type, in
      colours its name suggests (water blue, roads brown, land cover green, else grey). */
  function vectorRules(P, layers) {
    const tint = (id) => {
      if (/water|river|lake|ocean|sea|stream/i.test(id)) return { fill: "#a6cee3", line: "#1f78b4" };
      if (/road|transport|highway|street|track|path/i.test(id)) return { fill: "#e0c9a6", line: "#8c510a" };
      if (/land|park|wood|forest|green|vegetation|cover/i.test(id)) return { fill: "#d9ead3", line: "#7fae6d" };
      return { fill: "#e5e5e5", line: "#737373" };
    };
    const polygonsFirst = [...layers].sort((a, b) => Number(/water/i.test(a.id)) - Number(/water/i.test(b.id)));
    const rules = [];
    for (const { id } of polygonsFirst) {
      const c = tint(id);
      rules.push({ dataLayer: id, symbolizer: new P.PolygonSymbolizer({ fill: c.fill, opacity: 0.9 }), filter: (z, f) => f.geomType === 3 });
    }
    for (const { id } of layers) {
      const c = tint(id);
      rules.push({ dataLayer: id, symbolizer: new P.LineSymbolizer({ color: c.line, width: 1.5 }), filter: (z, f) => f.geomType === 2 });
      rules.push({ dataLayer: id, symbolizer: new P.CircleSymbolizer({ radius: 2, fill: c.line }), filter: (z, f) => f.geomType === 1 });
    }
    return rules;
  }

  async function vectorLayer(doc, common) {
    const P = await loadRenderer();
    if (!P || !doc.vector_layers || !doc.vector_layers.length) return null;
    return P.leafletLayer({
      ...common,
      minZoom: doc.minzoom, // nothing to draw above the file's coarsest zoom
      url: doc.tiles[0],
      levelDiff: 0, // one data tile per 256 px tile: the tiles asked for are the ones kept
      maxDataZoom: doc.maxzoom,
      paintRules: vectorRules(P, doc.vector_layers),
      labelRules: [],
      backgroundColor: "#f7f4ee",
    });
  }

  /** The area's offline basemap under the map's data, when one is loaded. `area` is a slug,
      or a <select> of slugs to follow. Options: user (keep the answer offline), prefetch
      (keep the area's tiles), status (say when there is none). */
  function addBasemap(map, area, options = {}) {
    let layer = null;
    const load = async (slug) => {
      if (layer) map.removeLayer(layer);
      layer = null;
      if (!slug) return null;
      let doc = null;
      try {
        // The list first: an area without a basemap costs no failed request.
        const index = await getJSON(`${API}/basemaps`, options.user);
        const entry = index && index.basemaps.find((b) => b.area === slug);
        if (entry) doc = await getJSON(entry.url, options.user);
      } catch (e) {
        doc = null;
      }
      if (!doc) {
        if (options.status) say(map, "basemap", _("No offline map for this area: its outline, zones and layers show where you are."));
        return null;
      }
      const [w, s, e, n] = doc.bounds;
      const common = {
        maxZoom: Math.max(18, doc.maxzoom),
        bounds: L.latLngBounds([s, w], [n, e]),
        attribution: doc.attribution || doc.name,
        className: "basemap-tiles",
      };
      if (doc.type === "vector") {
        layer = await vectorLayer(doc, common);
        if (!layer) {
          if (options.status) say(map, "basemap", _("This area's offline map is vector tiles ({name}), which this page cannot draw here; the area's own layers show where you are.", { name: doc.name }));
          return doc;
        }
      } else {
        layer = L.tileLayer(doc.tiles[0], { ...common, minNativeZoom: doc.minzoom, maxNativeZoom: doc.maxzoom });
      }
      layer.addTo(map);
      map.getContainer().dataset.basemap = doc.format;
      if (options.prefetch) prefetch(map, slug, doc).catch(() => say(map, "basemap", _("The offline map could not be kept on this phone.")));
      return doc;
    };
    if (area && area.tagName === "SELECT") {
      area.addEventListener("change", () => load(area.value));
      return load(area.value);
    }
    return load(area);
  }

  /** Everything a ranger needs to know where they are, for each of their areas. `unit` is a
      code, a function returning one, or a <select> of codes to follow. */
  function addOrientation(map, options = {}) {
    const user = options.user || null;
    const unit = options.unit;
    const unitOf = typeof unit === "function" ? unit : () => (unit && unit.tagName ? unit.value : unit);
    followPosition(map);
    return getJSON(`${API}/areas`, user).then((areas) => {
      if (!areas || !areas.features || !areas.features.length) return;
      const outline = L.geoJSON(areas.features, { pane: pane(map), interactive: false, style: { ...STYLE.outline, className: "orientation-outline" } }).addTo(map);
      const container = map.getContainer();
      if (!container.dataset.area && !container.dataset.route) map.fitBounds(outline.getBounds());
      container.dataset.orientation = "1";
      for (const area of areas.features) {
        const q = `?area=${encodeURIComponent(area.id)}`;
        getJSON(`${API}/zones${q}`, user).then((doc) => drawZones(map, doc)).catch(() => {});
        for (const kind of ["settlements", "rivers", "roads"]) {
          getJSON(`${API}/layers/${kind}${q}`, user).then((doc) => lines(map, doc, STYLE[kind], `orientation-${kind}`)).catch(() => {});
        }
        getJSON(`${API}/units${q}`, user).then((units) => {
          if (!units) return;
          const show = drawBase(map, units, unitOf);
          if (unit && unit.tagName === "SELECT") unit.addEventListener("change", show);
        }).catch(() => {});
        addBasemap(map, area.id, { user, prefetch: true, status: true });
      }
    }).catch(() => say(map, "basemap", _("The area's map could not be loaded, and none is kept on this phone yet.")));
  }

  return { addOrientation, addBasemap };
})();
