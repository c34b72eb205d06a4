/* What every page's script uses: the CSRF token, building elements, error text, answers with [n] citations. */
(function () {
  "use strict";

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "class") { node.className = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function errorMessage(body, status) {
    if (body && body.error && body.error.message) { return body.error.message; }
    return "The request failed (" + status + ").";
  }

  /* Text with [n] markers as footnote links to the citations listed under prefix. */
  function renderCitedText(container, text, prefix) {
    container.textContent = "";
    var pattern = /\[(\d{1,3})\]/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      container.appendChild(document.createTextNode(text.slice(last, match.index)));
      var sup = el("sup", { "class": "cite" });
      sup.appendChild(el("a", { href: "#" + prefix + "-" + match[1], "aria-label": "source " + match[1] }, "[" + match[1] + "]"));
      container.appendChild(sup);
      last = pattern.lastIndex;
    }
    container.appendChild(document.createTextNode(text.slice(last)));
  }

  /* A "Sources" list, each citation folded under its number, title, date and place. */
  function renderCitations(box, citations, prefix) {
    if (!citations || !citations.length) { return; }
    box.appendChild(el("h3", { "class": "sources-heading" }, "Sources"));
    var list = el("ol", { "class": "citations" });
    citations.forEach(function (c) {
      var item = el("li", { id: prefix + "-" + c.n });
      var details = el("details");
      var summary = el("summary");
      summary.appendChild(el("span", { "class": "n" }, "[" + c.n + "]"));
      summary.appendChild(document.createTextNode(" " + c.title + (c.date ? ", " + c.date : "") + (c.locator ? " · " + c.locator : "")));
      details.appendChild(summary);
      details.appendChild(el("blockquote", {}, c.quote));
      item.appendChild(details);
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  /* A footnote link opens its citation. */
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("sup.cite a") : null;
    if (!link) { return; }
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (target) {
      var details = target.querySelector("details");
      if (details) { details.open = true; }
    }
  });

  window.Understudy = {
    CSRF: csrfMeta ? csrfMeta.getAttribute("content") : "",
    el: el,
    errorMessage: errorMessage,
    renderCitedText: renderCitedText,
    renderCitations: renderCitations
  };
})();
