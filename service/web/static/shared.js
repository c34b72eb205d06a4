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

  /* Answer text as paragraphs and lists, as the server renders it (blueprint.answer_html): a run of lines that
     start "- " is a list, one item a line; other lines are paragraphs keeping their breaks; [n] become footnote
     links to the citations under prefix (none while it streams: prefix null). Text only, never HTML. */
  function renderAnswer(container, text, prefix) {
    container.textContent = "";
    var lines = String(text || "").split("\n");
    var i = 0;
    function fill(node, part) {
      if (prefix) { renderCitedText(node, part, prefix); } else { node.textContent = part; }
    }
    while (i < lines.length) {
      if (lines[i].indexOf("- ") === 0) {
        var list = el("ul", { "class": "answer-list" });
        for (; i < lines.length && lines[i].indexOf("- ") === 0; i++) {
          var item = el("li");
          fill(item, lines[i].slice(2).trim());
          list.appendChild(item);
        }
        container.appendChild(list);
      } else {
        var run = [];
        for (; i < lines.length && lines[i].indexOf("- ") !== 0; i++) { run.push(lines[i]); }
        /* The line that heads a list ("The plan by depot [2]:") stands apart from the sentences above it. */
        var caption = i < lines.length && run.length && /:\s*$/.test(run[run.length - 1]) ? run.pop() : null;
        var paragraph = run.join("\n").replace(/^\n+|\n+$/g, "");
        if (paragraph) {
          var p = el("p");
          fill(p, paragraph);
          container.appendChild(p);
        }
        if (caption !== null) {
          var head = el("p", { "class": "answer-caption" });
          fill(head, caption.trim());
          container.appendChild(head);
        }
      }
    }
  }

  /* A quoted passage one line to an element, so a table's rows stay one a line and their cells read apart
     (blueprint.quote_html; a row is a line with cells joined by " | "). */
  var TABLE_ROW = /\S\s+\|\s+\S|^\s*\|/;
  function renderQuote(container, quote) {
    container.textContent = "";
    String(quote || "").split("\n").forEach(function (line) {
      if (!line.trim()) { return; }
      if (!TABLE_ROW.test(line)) {
        container.appendChild(el("span", { "class": "quote-line" }, line));
        return;
      }
      var row = el("span", { "class": "quote-line table-row" });
      line.trim().split(/\s+\|\s+/).forEach(function (cell, n) {
        if (n) {
          row.appendChild(document.createTextNode(" "));
          row.appendChild(el("span", { "class": "cell-sep" }, "|"));
          row.appendChild(document.createTextNode(" "));
        }
        row.appendChild(document.createTextNode(cell));
      });
      container.appendChild(row);
    });
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
      var quote = el("blockquote");
      renderQuote(quote, c.quote);
      details.appendChild(quote);
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

  /* A twin picker that says the chosen twin's title beneath it (data-title-in: where; data-titles: slug -> title). */
  document.querySelectorAll("select[data-title-in]").forEach(function (select) {
    var target = document.getElementById(select.getAttribute("data-title-in"));
    var titles = {};
    try { titles = JSON.parse(select.getAttribute("data-titles") || "{}"); } catch (e) { titles = {}; }
    if (!target) { return; }
    select.addEventListener("change", function () { target.textContent = titles[select.value] || ""; });
  });

  window.Understudy = {
    CSRF: csrfMeta ? csrfMeta.getAttribute("content") : "",
    el: el,
    errorMessage: errorMessage,
    renderCitedText: renderCitedText,
    renderAnswer: renderAnswer,
    renderQuote: renderQuote,
    renderCitations: renderCitations
  };
})();
