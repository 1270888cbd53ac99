// wiretrace report: views, the paginated and filtered cluster list, sortable
// tables, and cluster/site views decompressed on demand. Data from the scan is
// never turned into markup here: list rows are built with textContent, and the
// only markup inserted is the fragments the report's templates rendered (and
// escaped). The page's Content-Security-Policy allows this script alone.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("wt-index").textContent);
  var chunkElements = document.querySelectorAll("script.wt-chunk");
  var chunkCache = {};
  var state = { page: 0, matches: data.clusters };
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // ---- compressed fragments
  function loadChunk(number) {
    if (!chunkCache[number]) {
      var source = chunkElements[number];
      if (!source) return Promise.reject(new Error("missing chunk " + number));
      if (typeof DecompressionStream === "undefined") {
        return Promise.reject(new Error("this browser cannot decompress the report's views (no DecompressionStream)"));
      }
      var binary = atob(source.textContent.trim());
      var bytes = new Uint8Array(binary.length);
      for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      chunkCache[number] = new Response(stream).text().then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html; // rendered and escaped by the report's templates
        return holder.content;
      });
    }
    return chunkCache[number];
  }

  function showFragment(key, number) {
    var target = $("view-detail");
    target.replaceChildren(el("p", "hint", "Loading\u2026"));
    show("detail");
    loadChunk(number).then(function (content) {
      var found = null;
      content.querySelectorAll("[data-fragment]").forEach(function (node) {
        if (node.getAttribute("data-fragment") === key) found = node;
      });
      target.replaceChildren(found ? found.cloneNode(true) : el("p", "warn", "Not found: " + key));
      window.scrollTo(0, 0);
    }, function (error) {
      target.replaceChildren(el("p", "warn", "Could not open this view: " + error.message));
    });
  }

  // ---- views and routing
  function show(view) {
    document.querySelectorAll("section.view").forEach(function (section) {
      section.hidden = section.getAttribute("data-view") !== view;
    });
    document.querySelectorAll("nav a[data-view]").forEach(function (link) {
      link.classList.toggle("active", link.getAttribute("data-view") === view);
    });
  }

  var clusterChunk = {};
  data.clusters.forEach(function (c) { clusterChunk[c.id] = c.chunk; });

  function route() {
    var hash = decodeURIComponent(location.hash.replace(/^#/, ""));
    var parts = hash.split("/");
    if (parts[0] === "cluster" && Object.prototype.hasOwnProperty.call(clusterChunk, parts[1])) {
      showFragment("cluster:" + parts[1], clusterChunk[parts[1]]);
    } else if (parts[0] === "site" && Object.prototype.hasOwnProperty.call(data.site_chunks, parts[1])) {
      showFragment("site:" + parts[1], data.site_chunks[parts[1]]);
    } else if (["clusters", "sites", "skipped"].indexOf(parts[0]) >= 0 && document.querySelector("section[data-view='" + parts[0] + "']")) {
      show(parts[0]);
    } else {
      show("overview");
    }
  }
  window.addEventListener("hashchange", route);

  // ---- the cluster list: filter, then paginate
  function filterClusters() {
    var text = $("f-text").value.trim().toLowerCase();
    var site = $("f-site").value, agency = $("f-agency").value, status = $("f-status").value;
    state.matches = data.clusters.filter(function (c) {
      if (site && c.sites.indexOf(site) < 0) return false;
      if (agency && c.agencies.indexOf(agency) < 0) return false;
      if (status && !c.statuses[status]) return false;
      if (text) {
        var hay = (c.id + " " + c.title + " " + c.origin + " " + c.sites.join(" ") + " " +
                   c.agencies.map(function (a) { return data.agency_names[a] || a; }).join(" ")).toLowerCase();
        if (hay.indexOf(text) < 0) return false;
      }
      return true;
    });
    state.page = 0;
    renderList();
  }

  function renderList() {
    var size = data.page_size, total = state.matches.length;
    var pages = Math.max(1, Math.ceil(total / size));
    state.page = Math.min(state.page, pages - 1);
    var rows = state.matches.slice(state.page * size, (state.page + 1) * size);
    var body = $("cluster-rows");
    body.replaceChildren();
    rows.forEach(function (c) {
      var tr = el("tr");
      tr.setAttribute("data-cluster", c.id);
      var idCell = el("td"), link = el("a", null, c.id);
      link.href = "#cluster/" + encodeURIComponent(c.id);
      idCell.appendChild(link);
      tr.appendChild(idCell);
      var story = el("td", null, c.title);
      story.appendChild(el("div", "id", c.sites.join(", ")));
      tr.appendChild(story);
      tr.appendChild(el("td", null, c.origin));
      tr.appendChild(el("td", "num", c.size));
      var badges = el("td");
      Object.keys(c.statuses).forEach(function (s) {
        badges.appendChild(el("span", "badge " + s, s + " " + c.statuses[s]));
        badges.appendChild(document.createTextNode(" "));
      });
      tr.appendChild(badges);
      tr.appendChild(el("td", "num", c.jaccard_max.toFixed(2)));
      body.appendChild(tr);
    });
    $("list-status").textContent = total === data.clusters.length
      ? total + " clusters" : total + " of " + data.clusters.length + " clusters match";
    $("page").textContent = "page " + (state.page + 1) + " of " + pages;
    $("prev").disabled = state.page === 0;
    $("next").disabled = state.page >= pages - 1;
  }

  ["f-text", "f-site", "f-agency", "f-status"].forEach(function (id) {
    $(id).addEventListener(id === "f-text" ? "input" : "change", filterClusters);
  });
  $("filters").addEventListener("reset", function () { setTimeout(filterClusters, 0); });
  $("filters").addEventListener("submit", function (event) { event.preventDefault(); });
  $("prev").addEventListener("click", function () { state.page -= 1; renderList(); });
  $("next").addEventListener("click", function () { state.page += 1; renderList(); });

  // ---- the sites table: sort by any column, filter by name
  var sitesTable = $("sites-table");
  sitesTable.querySelectorAll("th[data-sort]").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var numeric = th.getAttribute("data-sort") === "num";
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      sitesTable.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = sitesTable.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].getAttribute("data-v"), y = b.cells[column].getAttribute("data-v");
        var cmp;
        if (numeric) {
          // empty values (no delay) sort last either way
          if (x === "" || y === "") return (x === "") - (y === "");
          cmp = parseFloat(x) - parseFloat(y);
        } else {
          cmp = x < y ? -1 : x > y ? 1 : 0;
        }
        return ascending ? cmp : -cmp;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  $("site-filter").addEventListener("input", function () {
    var text = this.value.trim().toLowerCase();
    Array.prototype.forEach.call(sitesTable.tBodies[0].rows, function (row) {
      row.hidden = text !== "" && row.getAttribute("data-site").toLowerCase().indexOf(text) < 0;
    });
  });

  // ---- side by side: pointing at a passage lights up its twin in the other text
  $("view-detail").addEventListener("mouseover", function (event) {
    var mark = event.target.closest && event.target.closest("mark[data-p]");
    var compare = mark && mark.closest("details.compare");
    document.querySelectorAll("mark.twin").forEach(function (m) { m.classList.remove("twin"); });
    if (!compare) return;
    var wanted = mark.getAttribute("data-p").split(" ");
    compare.querySelectorAll("mark[data-p]").forEach(function (m) {
      var own = m.getAttribute("data-p").split(" ");
      if (own.some(function (p) { return wanted.indexOf(p) >= 0; })) m.classList.add("twin");
    });
  });

  filterClusters();
  route();
  document.documentElement.setAttribute("data-ready", "1"); // for tests and automation
})();
