/* Network first for pages, static files and pictures, keeping a copy of each. Offline: the
   lessons saved for offline, then pages opened before, else /offline.html. The server sets
   VERSION (pack version + hash of this file): a new pack empties the old caches. */
"use strict";
const VERSION = "__CACHE_VERSION__";
const PAGES = "eore-pages-" + VERSION, SAVED = "eore-saved", OFFLINE = "/offline.html";
const ANY = { ignoreVary: true };
const NEVER = /^\/([^/]+\/)?(admin|facilitate|login)(\/|$)/;
const PAGE = /^\/[A-Za-z]{2,3}(-[A-Za-z0-9]+)*\//;

self.addEventListener("install", (event) => {
  event.waitUntil(
    Promise.all([caches.open(PAGES), fetch(OFFLINE, { cache: "no-cache" })])
      .then(([cache, response]) => {
        if (!response.ok) throw new Error(OFFLINE);
        // The offline page's stylesheet and script come with it.
        return response.clone().text().then((html) => Promise.all([
          cache.put(OFFLINE, response),
          cache.addAll(html.match(/\/static\/[\w.-]+/g) || []),
        ]));
      })
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  const old = (key) => key.startsWith("eore-") && key !== PAGES && key !== SAVED;
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter(old).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

const keep = (response) =>
  response.status === 200 && response.type === "basic" &&
  !/no-store/i.test(response.headers.get("Cache-Control") || "") &&
  !response.headers.has("Content-Disposition");

self.addEventListener("fetch", (event) => {
  const request = event.request, url = new URL(request.url), path = url.pathname;
  if (request.method !== "GET" || url.origin !== location.origin || NEVER.test(path)) return;
  const navigation = request.mode === "navigate";
  const kept = /^\/(static|media)\//.test(path) || (navigation && PAGE.test(path));
  if (!kept && !navigation) return;
  event.respondWith(fetch(request).then((response) => {
    if (kept && keep(response)) {
      const copy = response.clone();
      event.waitUntil(caches.open(PAGES).then((cache) => cache.put(request, copy)));
    }
    return response;
  }, () => caches.match(request, Object.assign({ cacheName: SAVED }, ANY))
    .then((hit) => hit || caches.match(request, ANY))
    .then((hit) => hit || (navigation && caches.match(OFFLINE, ANY)))
    .then((hit) => hit || Response.error())));
});
