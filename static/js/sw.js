/* patrol service worker: the report form and its assets work with no connection. API calls
   always go to the network (the outbox in IndexedDB keeps what could not be sent). */
"use strict";

const CACHE = "patrol-v2";
const ASSETS = [
  "/report",
  "/static/patrol.css",
  "/static/report.css",
  "/static/js/common.js",
  "/static/js/outbox.js",
  "/static/js/gpx.js",
  "/static/js/report.js",
  "/static/js/orientation.js",
  "/vendor/leaflet/leaflet.js",
  "/vendor/leaflet/leaflet.css",
  // The pages' messages in each language (patrol/i18n.py; tests/web/test_i18n.py checks that
  // every language with a catalog is listed): the form works offline in the one chosen.
  "/i18n/en.js",
  "/i18n/ru.js",
];

// Orientation (static/js/orientation.js): an area's basemap tiles, cache first (a tile of a
// loaded file never changes: a new file has a new ?v= in its URLs); and the area's outline,
// zones, layers, units and basemap description, network first, kept per user for offline use.
const BASEMAP_CACHE = "patrol-basemap-"; // + area slug
const API_CACHE = "patrol-api-v1";
const TILE = /^\/api\/v1\/areas\/([^/]+)\/basemap\/\d+\/\d+\/\d+$/;

function basemapTile(request, slug) {
  return caches.open(BASEMAP_CACHE + decodeURIComponent(slug)).then((cache) => cache.match(request, { ignoreVary: true }).then((hit) => hit
    || fetch(request).then((response) => {
      if (response.ok) cache.put(request, response.clone());
      return response;
    })));
}

function keptForUser(request, user) {
  const url = new URL(request.url);
  url.searchParams.set("__user", user);
  const key = url.toString();
  return fetch(request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(API_CACHE).then((cache) => cache.put(key, copy));
    }
    return response;
  }).catch((error) => caches.open(API_CACHE).then((cache) => cache.match(key, { ignoreVary: true })).then((hit) => {
    if (hit) return hit;
    throw error;
  }));
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE && k !== API_CACHE && !k.startsWith(BASEMAP_CACHE)).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method === "GET" && url.origin === self.location.origin) {
    const tile = url.pathname.match(TILE);
    if (tile) { event.respondWith(basemapTile(request, tile[1])); return; }
    const user = request.headers.get("X-Patrol-User");
    if (user && url.pathname.startsWith("/api/v1/")) { event.respondWith(keptForUser(request, user)); return; }
  }
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    // Pages: the network first (fresh sign-in state), the cached copy when offline.
    event.respondWith(fetch(request).then((response) => {
      if (response.ok && url.pathname === "/report") {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put("/report", copy));
      }
      return response;
    }).catch(() => caches.match(request, { ignoreSearch: true }).then((hit) => hit || caches.match("/report"))));
    return;
  }
  if (url.pathname.startsWith("/static/") || url.pathname.startsWith("/vendor/") || url.pathname.startsWith("/i18n/")) {
    // Stale while revalidating: the cached copy at once (offline too), a fresh one for next
    // time, so an updated script reaches phones without a new cache name.
    event.respondWith(caches.open(CACHE).then((cache) => cache.match(request).then((hit) => {
      const fresh = fetch(request).then((response) => {
        if (response.ok) cache.put(request, response.clone());
        return response;
      }).catch(() => hit);
      return hit || fresh;
    })));
  }
});
