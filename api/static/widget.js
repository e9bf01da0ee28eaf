/* <kg-lecture-card library="nlc" lecture="mingdai-01" api="https://kg.example.org">
 *
 * A lecture's knowledge card for a course website, beside its video: keywords
 * (each with the first moment it is said), knowledge points, the library's
 * books to read next, and related lectures. No dependencies, no external
 * fonts or scripts; shadow DOM with its own CSS.
 *
 * Clicking a time dispatches a bubbling, composed CustomEvent "kg-seek" with
 * detail {seconds, label, lecture}; inside an iframe it also posts
 * {type: "kg-seek", seconds, label, lecture} to window.parent.
 *
 * The card comes from GET {api}/api/lectures/{library}/{lecture}/card
 * (api defaults to the page's own origin).
 */
(function () {
  "use strict";
  if (window.customElements.get("kg-lecture-card")) return;

  const CSS = `
    :host { display: block; font: 15px/1.55 system-ui, -apple-system, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
            color: #1f2328; background: #fff; border: 1px solid #d1d9e0; border-radius: 8px; padding: .9rem 1rem; max-width: 32rem; }
    h2 { font-size: 1.15rem; margin: 0 0 .4rem; color: #8c1c13; }
    h3 { font-size: .95rem; margin: .9rem 0 .3rem; }
    small, .en { color: #59636e; font-weight: 400; font-size: .78em; }
    ul { list-style: none; margin: 0; padding: 0; }
    li { margin: .2rem 0; }
    .keywords li, .points li { display: flex; align-items: baseline; gap: .5rem; }
    .label { flex: 1; }
    button.time { font: inherit; font-size: .85em; font-variant-numeric: tabular-nums; cursor: pointer; border: 1px solid #8c1c13;
                  color: #8c1c13; background: #fff; border-radius: 4px; padding: 0 .4rem; }
    button.time:hover, button.time:focus-visible { background: #8c1c13; color: #fff; }
    .holdings li, .related li { border-top: 1px solid #eef0f2; padding-top: .3rem; }
    .meta { color: #59636e; font-size: .85em; }
    .matched { color: #59636e; font-size: .85em; }
    a { color: #0b57a4; }
    .links a { margin-right: .6rem; font-size: .85em; }
    .status { color: #59636e; }
    .error { color: #8c1c13; }
  `;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value == null) continue;
      if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child == null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function heading(zh, en) {
    return el("h3", null, zh + " ", el("small", { class: "en" }, en));
  }

  function clock(seconds) {
    const total = Math.max(0, Math.floor(seconds));
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    const two = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
  }

  class KgLectureCard extends HTMLElement {
    static get observedAttributes() { return ["library", "lecture", "api"]; }

    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      this._request = 0;
    }

    connectedCallback() { this.load(); }

    attributeChangedCallback(name, before, after) {
      if (this.isConnected && before !== after) this.load();
    }

    get cardUrl() {
      const base = (this.getAttribute("api") || window.location.origin).replace(/\/+$/, "");
      const library = encodeURIComponent(this.getAttribute("library") || "");
      const lecture = encodeURIComponent(this.getAttribute("lecture") || "");
      return `${base}/api/lectures/${library}/${lecture}/card`;
    }

    async load() {
      if (!this.getAttribute("library") || !this.getAttribute("lecture")) return;
      const request = ++this._request;
      this._show(el("p", { class: "status" }, "载入中… ", el("small", { class: "en" }, "Loading…")));
      try {
        const response = await fetch(this.cardUrl, { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const card = await response.json();
        if (request !== this._request) return;
        this.card = card;
        this._show(this._render(card));
        this.setAttribute("data-state", "ready");
        this.dispatchEvent(new CustomEvent("kg-card-loaded", { bubbles: true, composed: true, detail: { lecture: card.id, card } }));
      } catch (error) {
        if (request !== this._request) return;
        this.setAttribute("data-state", "error");
        this._show(el("p", { class: "error" }, "无法载入知识卡片 ", el("small", { class: "en" }, `Could not load the card (${error.message})`)));
      }
    }

    _show(content) {
      this.shadowRoot.replaceChildren(el("style", null, CSS), content);
    }

    seek(seconds, label) {
      const detail = { seconds, label, lecture: this.getAttribute("lecture") };
      this.dispatchEvent(new CustomEvent("kg-seek", { bubbles: true, composed: true, detail }));
      if (window.parent && window.parent !== window) {
        window.parent.postMessage({ type: "kg-seek", ...detail }, "*");
      }
    }

    _timeButton(label, times) {
      if (!times || !times.length) return null;
      const seconds = times[0][0];
      const button = el("button", { type: "button", class: "time", "data-seconds": String(seconds),
                                    title: `跳到 ${clock(seconds)} · seek to ${clock(seconds)} (${times.length}×)` }, clock(seconds));
      button.addEventListener("click", () => this.seek(seconds, label));
      return button;
    }

    _concepts(items, cls) {
      return el("ul", { class: cls }, ...items.map((item) =>
        el("li", null, el("span", { class: "label" }, item.label || item.uri), this._timeButton(item.label, item.times))));
    }

    _render(card) {
      const root = el("article", { part: "card" });
      const speakers = (card.speakers || []).map((s) => s.name).filter(Boolean).join("、");
      root.append(el("h2", { class: "title" }, card.title || card.id));
      if (speakers || card.series || card.date) {
        root.append(el("p", { class: "meta" }, [speakers, card.series, card.date].filter(Boolean).join(" · ")));
      }
      if (card.keywords && card.keywords.length) {
        root.append(heading("关键词", "Keywords"), this._concepts(card.keywords, "keywords"));
      }
      if (card.knowledge_points && card.knowledge_points.length) {
        root.append(heading("知识点", "Knowledge points"), this._concepts(card.knowledge_points, "points"));
      }
      if (card.holdings && card.holdings.length) {
        root.append(heading("延伸阅读", "Books to read next"), el("ul", { class: "holdings" }, ...card.holdings.map((h) => {
          const links = h.links || {};
          return el("li", null,
            el("a", { href: links.record || h.uri, target: "_blank", rel: "noopener" }, h.title || h.uri),
            h.year ? el("span", { class: "meta" }, ` (${h.year})`) : null,
            h.matched && h.matched.length ? el("div", { class: "matched" }, "相关词 ", el("small", { class: "en" }, "matched"), " ", h.matched.join("、")) : null,
            el("div", { class: "links" },
              links.opac ? el("a", { href: links.opac, target: "_blank", rel: "noopener", class: "opac" }, "馆藏目录 ", el("small", { class: "en" }, "OPAC")) : null,
              links.openurl ? el("a", { href: links.openurl, target: "_blank", rel: "noopener", class: "openurl" }, "获取全文 ", el("small", { class: "en" }, "OpenURL")) : null));
        })));
      }
      if (card.related && card.related.length) {
        root.append(heading("相关课程", "Related lectures"), el("ul", { class: "related" }, ...card.related.map((r) =>
          el("li", null,
            el("a", { href: r.uri + ".html", target: "_blank", rel: "noopener" }, r.title || r.id),
            r.shared && r.shared.length ? el("div", { class: "matched" }, "共同 ", el("small", { class: "en" }, "shared"), " ", r.shared.slice(0, 6).join("、")) : null))));
      }
      return root;
    }
  }

  window.customElements.define("kg-lecture-card", KgLectureCard);
})();
