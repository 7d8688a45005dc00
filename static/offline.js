/* Lessons kept for offline: on HTTPS (and localhost) only. On the box's plain http://
   address browsers refuse service workers, so this does nothing and every page works as
   before. Written for old Android browsers: ES5, no classList. */
(function () {
  "use strict";
  var nav = window.navigator;
  if (window.isSecureContext !== true || !nav || !("serviceWorker" in nav)) { return; }
  var workers = nav.serviceWorker, SAVED = "eore-saved", LIST = "/__saved-list.json";
  // After the page has loaded: the worker's own downloads never slow the page down.
  function register() { workers.register("/sw.js").then(null, function () {}); }
  if (document.readyState === "complete") { register(); }
  else { window.addEventListener("load", register); }
  if (!window.caches || !document.querySelector) { return; }
  var here = location.pathname + location.search;

  function $(selector) { return document.querySelector(selector); }
  function show(element, visible) {
    if (visible) { element.removeAttribute("hidden"); } else { element.setAttribute("hidden", ""); }
  }
  function saved() { return caches.open(SAVED); }
  function readList() {
    return saved().then(function (cache) { return cache.match(LIST); })
      .then(function (found) { return found ? found.json() : []; });
  }
  function writeList(list) {
    return saved().then(function (cache) {
      return cache.put(LIST, new Response(JSON.stringify(list),
        { headers: { "Content-Type": "application/json" } }));
    });
  }
  function others(list, url) { return list.filter(function (item) { return item.url !== url; }); }

  // The page, its pictures, stylesheet and script, and the list page, into "eore-saved".
  function save() {
    var files = [location.href.split("#")[0]];
    if (link) { files.push(link.href); }
    var found = document.querySelectorAll("img[src], link[rel~=stylesheet], script[src]");
    for (var i = 0; i < found.length; i++) {
      var url = found[i].currentSrc || found[i].src || found[i].href;
      if (url.indexOf(location.origin + "/") === 0) { files.push(url); }
    }
    var heading = $("h1");
    return saved().then(function (cache) {
      return Promise.all(files.map(function (url) {
        return fetch(url, { credentials: "same-origin" }).then(function (response) {
          if (!response.ok) { throw new Error(url); }
          return cache.put(url, response);
        });
      }));
    }).then(readList).then(function (list) {
      var title = heading ? heading.textContent : document.title;
      return writeList(others(list, here).concat({ url: here, title: title, files: files }));
    });
  }

  function remove(url) {
    return readList().then(function (list) {
      var left = others(list, url), used = [];
      left.forEach(function (item) { used = used.concat(item.files); });
      return saved().then(function (cache) {
        list.forEach(function (item) {
          if (item.url !== url) { return; }
          item.files.forEach(function (file) {
            if (used.indexOf(file) < 0) { cache["delete"](file); }
          });
        });
        return writeList(left);
      });
    });
  }

  // Lessons opened before: their titles come from the copies the service worker kept.
  function opened() {
    return caches.keys().then(function (keys) {
      var name = keys.filter(function (key) { return key.indexOf("eore-pages-") === 0; })[0];
      return name && caches.open(name);
    }).then(function (cache) {
      return cache ? cache.keys().then(function (requests) {
        return Promise.all(requests.filter(function (request) {
          return /^\/[^\/]+\/lessons\/[^\/]+$/.test(new URL(request.url).pathname);
        }).map(function (request) {
          return cache.match(request).then(function (r) { return r.text(); }).then(function (html) {
            var h1 = new DOMParser().parseFromString(html, "text/html").querySelector("h1");
            var url = new URL(request.url);
            return { url: url.pathname + url.search, title: h1 ? h1.textContent : url.pathname };
          });
        }));
      }) : [];
    });
  }

  function fill(holder, list, removable) {
    while (holder.firstChild) { holder.removeChild(holder.firstChild); }
    var seen = {};
    list.forEach(function (item) {
      if (seen[item.url]) { return; }
      seen[item.url] = true;
      var row = document.createElement("li"), anchor = document.createElement("a");
      anchor.href = item.url;
      anchor.setAttribute("dir", "auto");
      anchor.appendChild(document.createTextNode(item.title));
      row.appendChild(anchor);
      if (removable) {
        var drop = document.createElement("button");
        drop.type = "button";
        drop.appendChild(document.createTextNode(holder.getAttribute("data-remove")));
        drop.addEventListener("click", function () { remove(item.url).then(refresh); });
        row.appendChild(drop);
      }
      holder.appendChild(row);
    });
    var none = $("[data-saved-none]");
    if (none) { show(none, !holder.firstChild); }
  }

  function refresh() {
    var holder = $("[data-saved-list]");
    if (!holder) { return; }
    var removable = holder.hasAttribute("data-remove");
    readList().then(function (list) {
      return removable ? list : opened().then(function (more) { return list.concat(more); });
    }).then(function (list) { fill(holder, list, removable); });
  }

  var button = $("[data-save-offline]"), link = $("[data-saved-link]"), armed = false;
  function arm() {
    if (armed || !workers.controller) { return; }
    armed = true;
    readList().then(function (list) {
      if (others(list, here).length < list.length) {
        button.textContent = button.getAttribute("data-kept");
      }
      show(button, true);
      if (link) { show(link, true); }
    });
    button.addEventListener("click", function () {
      button.disabled = true;
      save().then(function () {
        button.textContent = button.getAttribute("data-kept");
      }, function () {
        button.textContent = button.getAttribute("data-failed");
      }).then(function () { button.disabled = false; });
    });
  }
  refresh();
  if (button) {
    arm();
    workers.addEventListener("controllerchange", arm);
  }
})();
