/* patrol service worker: the report form and its assets work with no connection. API calls
   always go to the network (the outbox in IndexedDB keeps what could not be sent). */
"use strict";

const CACHE = "patrol-v1";
const ASSETS = [
  "/report",
  "/static/patrol.css",
  "/static/report.css",
  "/static/js/common.js",
  "/static/js/outbox.js",
  "/static/js/gpx.js",
  "/static/js/report.js",
  "/vendor/leaflet/leaflet.js",
  "/vendor/leaflet/leaflet.css",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
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
  if (url.pathname.startsWith("/static/") || url.pathname.startsWith("/vendor/")) {
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
