// Typeahead for the search boxes (/search and the home page): as one types, /api/suggest fills the
// box's <datalist>. No library; requests are debounced and stale answers dropped.
(function () {
  "use strict";
  document.querySelectorAll("input[list=kg-suggestions]").forEach(function (input) {
    const list = document.getElementById("kg-suggestions");
    let timer = null, asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        const q = input.value.trim();
        if (!q || q === asked) return;
        asked = q;
        fetch("/api/suggest?" + new URLSearchParams({q: q, limit: "8"}), {headers: {"Accept": "application/json"}})
          .then(function (r) { return r.ok ? r.json() : {items: []}; })
          .then(function (data) {
            if (q !== asked) return;
            list.replaceChildren.apply(list, data.items.filter(function (s) { return s.label; }).map(function (s) {
              const option = document.createElement("option");
              option.value = s.label;
              return option;
            }));
          })
          .catch(function () {});
      }, 150);
    });
  });
})();
