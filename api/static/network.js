// The network view of lecture, concept and holding pages: fetches /api/network?uri=… (the
// element's data-src) and draws it with Cytoscape.js (from npm, served from /static/node_modules).
// Clicking a node goes to its page. When drawn, the container carries data-nodes and data-edges
// (counts) and window.kgNetwork is the Cytoscape instance, for tests and curious readers.
(function () {
  "use strict";
  const container = document.getElementById("kg-network");
  if (!container || typeof cytoscape !== "function") return;

  const COLOURS = {lecture: "#1f5fa8", keyword: "#d9822b", knowledge_point: "#7a4fb0", concept: "#3c8d5a",
                   holding: "#8a6d3b", "class": "#888888"};
  const SHAPES = {holding: "round-rectangle", "class": "round-rectangle"};
  const RING = {keyword: 2, knowledge_point: 2, concept: 2};  // the centre is 3, everything else 1
  const NAMES = {keyword: "关键词 keywords", knowledge_point: "知识点 knowledge points", holding: "馆藏 holdings",
                 related: "相关讲座 related lectures", lecture: "讲座 lectures", broader: "上位 broader",
                 narrower: "下位 narrower", "class": "分类 classes"};

  function short(text, n) {
    if (!text) return "";
    return text.length > n ? text.slice(0, n - 1) + "…" : text;
  }

  function linkable(uri) {
    return /^https?:\/\//i.test(uri) ? uri : null;
  }

  function elements(data) {
    const nodes = data.nodes.map(function (n) {
      const centre = n.uri === data.center;
      return {group: "nodes", data: {id: n.uri, label: short(n.label || n.uri, centre ? 24 : 14), full: n.label || n.uri,
                                     kind: n.kind, href: linkable(n.uri), centre: centre}};
    });
    const edges = data.edges.map(function (e, i) {
      return {group: "edges", data: {id: "e" + i, source: e.source, target: e.target, kind: e.kind, weight: e.weight}};
    });
    return nodes.concat(edges);
  }

  function totals(data) {
    const shown = {};
    data.edges.forEach(function (e) {
      const kind = e.kind === "mentions" ? "lecture" : e.kind === "about" ? "holding" : e.kind;
      if (e.source === data.center || e.target === data.center) shown[kind] = (shown[kind] || 0) + 1;
    });
    return Object.keys(data.totals).filter(function (k) { return data.totals[k] > 0; }).map(function (k) {
      return (NAMES[k] || k) + " " + (shown[k] || 0) + " / " + data.totals[k];
    }).join(" · ");
  }

  function draw(data) {
    const cy = cytoscape({
      container: container,
      elements: elements(data),
      wheelSensitivity: 0.3,
      style: [
        {selector: "node", style: {
          "background-color": function (n) { return COLOURS[n.data("kind")] || "#555"; },
          "shape": function (n) { return SHAPES[n.data("kind")] || "ellipse"; },
          "label": "data(label)", "font-size": 11, "color": "#222", "text-valign": "bottom", "text-margin-y": 3,
          "width": 18, "height": 18}},
        {selector: "node[?centre]", style: {"width": 34, "height": 34, "font-size": 14, "font-weight": "bold",
                                            "border-width": 3, "border-color": "#222"}},
        {selector: "node[href]", style: {"cursor": "pointer"}},
        {selector: "edge", style: {"width": 1.2, "line-color": "#b8c0cc", "curve-style": "bezier", "opacity": 0.8}},
        {selector: "edge[kind = 'matched'], edge[kind = 'shared']", style: {"line-style": "dashed", "width": 0.8}},
        {selector: "edge[kind = 'related']", style: {"line-color": "#1f5fa8", "width": 2}},
        {selector: "node:active, node.hover", style: {"overlay-opacity": 0.15}},
      ],
      layout: {name: "concentric", concentric: function (n) { return n.data("centre") ? 3 : (RING[n.data("kind")] || 1); },
               levelWidth: function () { return 1; }, minNodeSpacing: 22, animate: false},
    });
    cy.on("tap", "node", function (event) {
      const href = event.target.data("href");
      if (href && !event.target.data("centre")) window.location.assign(href);
    });
    cy.on("mouseover", "node", function (event) {
      event.target.addClass("hover");
      container.title = event.target.data("full");
    });
    cy.on("mouseout", "node", function (event) { event.target.removeClass("hover"); container.title = ""; });
    container.dataset.nodes = String(cy.nodes().length);
    container.dataset.edges = String(cy.edges().length);
    const line = document.getElementById("kg-network-totals");
    if (line) line.textContent = totals(data);
    window.kgNetwork = cy;
  }

  fetch(container.dataset.src, {headers: {"Accept": "application/json"}})
    .then(function (response) {
      if (!response.ok) throw new Error(response.status + " " + response.statusText);
      return response.json();
    })
    .then(draw)
    .catch(function (error) {
      container.textContent = "网络视图无法加载 The network could not be loaded: " + error.message;
      container.dataset.error = error.message;
    });
})();
