/* Rehearse pages: check the pitch before it is sent, answer rounds in place, print. The forms work without it. */
(function () {
  "use strict";

  var U = window.Understudy;
  var CSRF = U.CSRF, el = U.el, errorMessage = U.errorMessage;

  /* ---- the pitch form: the right kind of file, not too big, text or file but not both ---- */
  var form = document.getElementById("rehearse-form");
  if (form) {
    var fileInput = document.getElementById("rehearse-file");
    var pitch = document.getElementById("rehearse-pitch");
    var status = document.getElementById("rehearse-status");
    var submit = form.querySelector('button[type="submit"]');
    var suffixes = (form.getAttribute("data-suffixes") || "").split(",").filter(Boolean);
    var maxBytes = parseInt(form.getAttribute("data-max-bytes") || "0", 10);

    form.addEventListener("submit", function (event) {
      var file = fileInput.files && fileInput.files[0];
      var problem = "";
      if (file) {
        var name = file.name.toLowerCase();
        if (!suffixes.some(function (s) { return name.slice(-s.length) === s; })) {
          problem = file.name + ": a pitch must be a .docx, .pdf, .md or .txt file.";
        } else if (maxBytes && file.size > maxBytes) {
          problem = file.name + " is larger than " + Math.round(maxBytes / 1048576) + " MB.";
        } else if (pitch.value.trim()) {
          problem = "Paste the pitch or upload a file, not both.";
        }
      } else if (!pitch.value.trim()) {
        problem = "Paste your pitch or choose a file first.";
      }
      if (problem) {
        event.preventDefault();
        status.textContent = problem;
        status.classList.add("error");
        (file ? fileInput : pitch).focus();
        return;
      }
      status.classList.remove("error");
      status.textContent = "Reading your pitch…";
      // Disable after the browser has taken the form's data, or the button's state would not be sent.
      window.setTimeout(function () { submit.disabled = true; }, 0);
    });
  }

  /* ---- print: every quoted source open on paper ---- */
  var printButton = document.getElementById("print-rehearsal");
  var reopened = [];
  window.addEventListener("beforeprint", function () {
    reopened = Array.prototype.filter.call(document.querySelectorAll(".citations details"), function (d) {
      return !d.open;
    });
    reopened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    reopened.forEach(function (d) { d.open = false; });
    reopened = [];
  });
  if (printButton) {
    printButton.hidden = false;
    printButton.addEventListener("click", function () { window.print(); });
  }

  /* ---- rounds: answer in place; the twin's reaction appears with its citations ---- */
  var rehearsal = document.getElementById("rehearsal");
  var answerForm = document.getElementById("answer");
  if (!rehearsal || !answerForm) { return; }
  var twinName = rehearsal.getAttribute("data-twin-name");
  var api = rehearsal.getAttribute("data-turns-api");
  var rounds = document.getElementById("rounds");
  var reply = document.getElementById("reply");
  var answerStatus = document.getElementById("answer-status");
  var answerButton = answerForm.querySelector('button[type="submit"]');
  var pendingText = document.getElementById("pending-question");
  var roundStatus = document.getElementById("round-status");
  var END_OF_ROUNDS = rehearsal.getAttribute("data-end-of-rounds") || "";

  function renderSummary(summary, prefix) {
    var section = el("section", { "class": "rehearsal-part summary", id: "summary", "aria-labelledby": "summary-heading" });
    section.appendChild(el("h2", { id: "summary-heading" }, "Summary"));
    section.appendChild(el("p", {}, "Scorecard " + summary.score.total + " of " + summary.score.max + " after " + summary.rounds + " rounds."));
    [["Strong", summary.strong], ["To fix", summary.fix]].forEach(function (part) {
      if (!part[1] || !part[1].length) { return; }
      section.appendChild(el("h3", {}, part[0]));
      var list = el("ul");
      part[1].forEach(function (p) {
        var item = el("li");
        item.appendChild(el("strong", {}, p.point));
        item.appendChild(document.createTextNode(": " + p.detail));
        list.appendChild(item);
      });
      section.appendChild(list);
    });
    if (summary.prepare && summary.prepare.length) {
      section.appendChild(el("h3", {}, "Prepare for"));
      var list = el("ul");
      summary.prepare.forEach(function (p) {
        var item = el("li");
        U.renderCitedText(item, p.question + " [" + p.citation.n + "]", prefix);
        list.appendChild(item);
      });
      section.appendChild(list);
      U.renderCitations(section, summary.prepare.map(function (p) { return p.citation; }), prefix);
    }
    return section;
  }

  answerForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = reply.value.trim();
    if (!text) { reply.focus(); return; }
    var question = answerForm.getAttribute("data-question");
    answerButton.disabled = true;
    answerStatus.textContent = twinName + "'s twin is thinking about your answer…";
    fetch(api, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": CSRF },
      body: JSON.stringify({ reply: text })
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (!response.ok) { throw new Error(errorMessage(body, response.status)); }
        return body;
      });
    }).then(function (turn) {
      var prefix = "t" + turn.round;
      var item = el("li", { "class": "turn", id: "round-" + turn.round });
      item.appendChild(el("h3", {}, "Round " + turn.round));
      var asked = el("p", { "class": "question" });
      asked.appendChild(el("span", { "class": "who" }, twinName + " asked"));
      asked.appendChild(document.createTextNode(" " + question));
      var mine = el("p", { "class": "question reply" });
      mine.appendChild(el("span", { "class": "who" }, "You"));
      mine.appendChild(document.createTextNode(" " + text));
      var box = el("div", { "class": "answer reaction-" + turn.reaction });
      var said = el("p", { "class": "answer-text" });
      var shown = turn.text;
      /* The summary's words are set out under Summary, not run into the last round's reaction. */
      if (turn.summary && turn.summary.text && shown.slice(-turn.summary.text.length) === turn.summary.text) {
        shown = shown.slice(0, shown.length - turn.summary.text.length) + END_OF_ROUNDS;
      }
      U.renderCitedText(said, shown, prefix);
      box.appendChild(said);
      /* Only the sources the words shown cite: a closing round's summary lists its own under Summary. */
      U.renderCitations(box, (turn.citations || []).filter(function (c) {
        return shown.indexOf("[" + c.n + "]") !== -1;
      }), prefix);
      [asked, mine, box].forEach(function (node) { item.appendChild(node); });
      rounds.appendChild(item);
      var empty = document.getElementById("no-rounds");
      if (empty) { empty.hidden = true; }
      reply.value = "";
      if (turn.done) {
        roundStatus.textContent = "Finished after " + turn.round + " of " + turn.max_rounds + " rounds";
        if (turn.summary) { rounds.parentNode.parentNode.insertBefore(renderSummary(turn.summary, prefix), answerForm); }
        answerForm.hidden = true;
        answerStatus.textContent = "";
        return;
      }
      roundStatus.textContent = "Round " + turn.round + " of " + turn.max_rounds;
      if (turn.next_question) {
        answerForm.setAttribute("data-question", turn.next_question.question);
        pendingText.textContent = turn.next_question.question;
        var mark = pendingText.parentNode.querySelector("sup.cite");
        if (mark) { mark.remove(); }
      }
      answerStatus.textContent = turn.reaction === "accept" ? "Accepted. Next question." : "Not yet: see the follow-up.";
      answerButton.disabled = false;
      reply.focus();
    }).catch(function (error) {
      answerStatus.textContent = error.message;
      answerButton.disabled = false;
    });
  });
})();
