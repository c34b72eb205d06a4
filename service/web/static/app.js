/* Understudy pages: stream answers, send feedback, upload with progress. No build step, no inline script. */
(function () {
  "use strict";

  var U = window.Understudy;
  var CSRF = U.CSRF, el = U.el, errorMessage = U.errorMessage;

  document.documentElement.classList.add("js");

  /* Selects that navigate as soon as they change. */
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  function renderCorrectLink(answerBox, interactionId, correctUrl) {
    // Curators only (the page sets data-correct for them): say what the executive would say instead.
    if (!interactionId || !correctUrl) { return; }
    var line = el("p", { "class": "small" });
    line.appendChild(el("a", { href: correctUrl + "?interaction=" + encodeURIComponent(interactionId) }, "Correct this answer"));
    answerBox.appendChild(line);
  }

  function renderFeedback(answerBox, interactionId, feedbackUrlTemplate) {
    if (!interactionId) { return; }
    var url = feedbackUrlTemplate.replace(/\/0\/feedback$/, "/" + interactionId + "/feedback");
    var box = el("div", { "class": "feedback", role: "group", "aria-label": "Was this helpful?" });
    box.appendChild(el("span", { "class": "feedback-label" }, "Was this helpful?"));
    var yes = el("button", { type: "button", "class": "secondary" }, "Helpful");
    var no = el("button", { type: "button", "class": "secondary" }, "Not helpful");
    var reasonId = "reason-" + interactionId;
    var reasonLabel = el("label", { "for": reasonId, "class": "reason-label", hidden: "" }, "What was missing? (optional)");
    var reason = el("input", { id: reasonId, type: "text", maxlength: "2000", hidden: "" });
    var send = el("button", { type: "button", "class": "secondary", hidden: "" }, "Send");
    var status = el("span", { "class": "status", role: "status" });
    // askWhy: "Not helpful" counts at once; the reason box then opens, and Send adds the reason to it.
    function submit(helpful, askWhy) {
      yes.disabled = no.disabled = send.disabled = true;
      fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": CSRF, "Accept": "application/json" },
        body: JSON.stringify({ helpful: helpful, reason: reason.value || "" })
      }).then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(errorMessage(body, response.status)); }
          if (askWhy) {
            status.textContent = "Noted: not helpful.";
            reason.hidden = reasonLabel.hidden = send.hidden = false;
            send.disabled = false;
            reason.focus();
            return;
          }
          status.textContent = "Thank you: your feedback goes to the communications team.";
          reason.hidden = reasonLabel.hidden = send.hidden = true;
        });
      }).catch(function (error) {
        status.textContent = error.message;
        yes.disabled = no.disabled = send.disabled = false;
      });
    }
    yes.addEventListener("click", function () { submit(true); });
    no.addEventListener("click", function () { submit(false, true); });
    send.addEventListener("click", function () { submit(false); });
    [yes, no, reasonLabel, reason, send, status].forEach(function (node) { box.appendChild(node); });
    answerBox.appendChild(box);
  }

  /* ---- Ask: stream the answer over SSE with fetch + ReadableStream ---- */
  var askForm = document.getElementById("ask-form");
  if (askForm) {
    var turns = document.getElementById("turns");
    var question = document.getElementById("question");
    var conversation = document.getElementById("conversation-id");
    var status = document.getElementById("ask-status");
    var submitButton = askForm.querySelector('button[type="submit"]');
    var count = document.getElementById("question-count");
    var maxChars = parseInt(question.getAttribute("data-max"), 10) || 2000;
    var storageKey = "understudy.conversation." + askForm.getAttribute("data-twin");
    var canAsk = !submitButton.disabled;

    function remember(id) {
      try {
        if (id) { window.localStorage.setItem(storageKey, id); } else { window.localStorage.removeItem(storageKey); }
      } catch (e) { /* storage may be off: the address still carries the conversation */ }
      var url = new URL(window.location.href);
      if (id) { url.searchParams.set("conversation", id); } else { url.searchParams.delete("conversation"); }
      url.searchParams.set("twin", askForm.getAttribute("data-twin"));
      window.history.replaceState(null, "", url.pathname + url.search);
    }

    /* Coming back to Ask without the address of a conversation reopens the one left open. */
    if (!conversation.value && !new URL(window.location.href).searchParams.get("conversation")) {
      var kept = null;
      try { kept = window.localStorage.getItem(storageKey); } catch (e) { kept = null; }
      if (kept) {
        var back = new URL(window.location.href);
        back.searchParams.set("twin", askForm.getAttribute("data-twin"));
        back.searchParams.set("conversation", kept);
        window.location.replace(back.pathname + back.search);
      }
    } else if (conversation.value) {
      remember(conversation.value);
    }

    function showCount() {
      var length = question.value.trim().replace(/\s+/g, " ").length;
      var over = length > maxChars;
      count.textContent = over
        ? (length - maxChars).toLocaleString("en") + " characters over the limit of " + maxChars.toLocaleString("en") + "."
        : length.toLocaleString("en") + " of " + maxChars.toLocaleString("en") + " characters";
      count.classList.toggle("over", over);
      question.setAttribute("aria-invalid", over ? "true" : "false");
      if (canAsk) { submitButton.disabled = over; }
      return !over;
    }
    question.addEventListener("input", showCount);
    showCount();

    document.getElementById("new-conversation").addEventListener("click", function () {
      remember("");
    });

    question.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { askForm.requestSubmit(); }
    });

    askForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = question.value.trim();
      if (!text) { question.focus(); return; }
      if (!showCount()) { status.textContent = count.textContent; question.focus(); return; }
      var turn = el("li", { "class": "turn" });
      var q = el("p", { "class": "question" });
      q.appendChild(el("span", { "class": "who" }, "You"));
      q.appendChild(document.createTextNode(" " + text));
      var answerBox = el("div", { "class": "answer streaming" });
      var answerText = el("div", { "class": "answer-text" });
      answerBox.appendChild(answerText);
      turn.appendChild(q);
      turn.appendChild(answerBox);
      turns.appendChild(turn);
      turns.setAttribute("aria-busy", "true");
      submitButton.disabled = true;
      status.textContent = "Answering…";
      status.classList.remove("error");
      var streamed = "";
      var finished = false;

      function finish(data) {
        finished = true;
        var prefix = "c" + (data.interaction_id || Date.now());
        U.renderAnswer(answerText, data.answer || "", prefix);
        answerBox.classList.remove("streaming");
        if (!data.grounded && !data.courtesy) { answerBox.classList.add("ungrounded"); }
        if (data.basis_label) {
          var basis = el("p", { "class": "basis basis-" + (data.basis || "") }, "Stands on: ");
          basis.appendChild(el("strong", {}, data.basis_label));
          answerBox.appendChild(basis);
        }
        if (data.correction) {
          answerBox.appendChild(el("p", { "class": "correction-mark" }, "From a curator's correction (#" +
            data.correction.id + ", version " + data.correction.version + ")."));
        }
        U.renderCitations(answerBox, data.citations, prefix);
        if (!data.courtesy) { renderFeedback(answerBox, data.interaction_id, askForm.getAttribute("data-feedback")); }
        renderCorrectLink(answerBox, data.interaction_id, askForm.getAttribute("data-correct"));
        if (data.conversation_id) { conversation.value = data.conversation_id; remember(data.conversation_id); }
        status.textContent = data.citations && data.citations.length
          ? "Answered with " + data.citations.length + " source" + (data.citations.length > 1 ? "s" : "") + "."
          : "Answered.";
      }

      function handle(eventName, payload) {
        if (eventName === "delta") {
          streamed += payload.text || "";
          U.renderAnswer(answerText, streamed, null);
        } else if (eventName === "replace") {
          streamed = payload.text || "";
          U.renderAnswer(answerText, streamed, null);
        } else if (eventName === "answer") {
          finish(payload);
        } else if (eventName === "error") {
          throw new Error(payload.message || "The answer could not be finished.");
        }
      }

      var refused = false;
      fetch(askForm.getAttribute("data-api"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "text/event-stream", "X-CSRFToken": CSRF },
        body: JSON.stringify({ question: text, conversation_id: conversation.value || null })
      }).then(function (response) {
        if (!response.ok) {
          refused = true;
          return response.json().catch(function () { return null; }).then(function (body) {
            throw new Error(errorMessage(body, response.status));
          });
        }
        question.value = "";
        showCount();
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) { return; }
            buffer += decoder.decode(chunk.value, { stream: true });
            var frames = buffer.split("\n\n");
            buffer = frames.pop();
            frames.forEach(function (frame) {
              var name = "message";
              var data = [];
              frame.split("\n").forEach(function (line) {
                if (line.indexOf("event:") === 0) { name = line.slice(6).trim(); }
                else if (line.indexOf("data:") === 0) { data.push(line.slice(5).replace(/^ /, "")); }
              });
              if (data.length) { handle(name, JSON.parse(data.join("\n"))); }
            });
            return pump();
          });
        }
        return pump();
      }).then(function () {
        if (!finished) { throw new Error("The answer was cut off. Please ask again."); }
      }).catch(function (error) {
        if (refused) {
          /* A refused question leaves no trace: the turn goes, the text stays in the box to shorten or fix. */
          turn.remove();
          status.textContent = error.message;
          status.classList.add("error");
          return;
        }
        answerBox.classList.remove("streaming");
        answerBox.classList.add("failed");
        answerText.textContent = error.message;
        status.textContent = error.message;
      }).then(function () {
        turns.setAttribute("aria-busy", "false");
        submitButton.disabled = false;
        showCount();
        question.focus();
      });
    });
  }

  /* ---- Curate: upload files or a folder, one request per file, with progress ---- */
  var uploadForm = document.getElementById("upload-form");
  if (uploadForm) {
    var progressList = document.getElementById("upload-progress");
    var previewTemplate = uploadForm.getAttribute("data-preview");

    /* The sources list, fetched again after each stored file, so new drafts appear as they land. */
    var refreshing = Promise.resolve();
    function refreshSources(newId) {
      refreshing = refreshing.then(function () {
        return fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
          .then(function (response) { return response.ok ? response.text() : null; })
          .then(function (html) {
            var current = document.getElementById("sources-list");
            if (!html || !current) { return; }
            var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("sources-list");
            if (!fresh) { return; }
            current.replaceWith(fresh);
            var row = fresh.querySelector('[data-source-id="' + newId + '"]');
            if (row) { row.classList.add("new"); }
          })
          .catch(function () { /* the list stays as it was; the links above still work */ });
      });
      return refreshing;
    }

    function uploadOne(file, fields) {
      return new Promise(function (resolve) {
        var path = file.webkitRelativePath || file.name;
        var item = el("li");
        var label = el("span", { "class": "file" }, path);
        var bar = el("progress", { max: "100", value: "0", "aria-label": "Upload of " + path });
        var result = el("span", { "class": "result" }, "waiting");
        item.appendChild(label);
        item.appendChild(bar);
        item.appendChild(result);
        progressList.appendChild(item);
        var data = new FormData();
        data.append("file", file, path);
        Object.keys(fields).forEach(function (key) { data.append(key, fields[key]); });
        var xhr = new XMLHttpRequest();
        xhr.open("POST", uploadForm.getAttribute("data-api"));
        xhr.setRequestHeader("X-CSRFToken", CSRF);
        xhr.setRequestHeader("Accept", "application/json");
        xhr.upload.addEventListener("progress", function (event) {
          if (event.lengthComputable) {
            bar.value = Math.round((event.loaded / event.total) * 100);
            result.textContent = bar.value + "%";
          }
        });
        xhr.addEventListener("load", function () {
          var body = null;
          try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
          bar.value = 100;
          var outcome = body && body.results && body.results[0];
          if (xhr.status >= 200 && xhr.status < 300 && outcome && outcome.status !== "error") {
            var duplicate = outcome.status === "duplicate";  // the same bytes are stored already, perhaps approved
            result.textContent = duplicate ? "already stored (the same file) · "
              : outcome.status + " · " + outcome.passages + (outcome.passages === 1 ? " passage · " : " passages · ");
            var link = el("a", { href: previewTemplate.replace(/\/0$/, "/" + outcome.source_id) },
                          duplicate ? "open it" : "preview and approve");
            result.appendChild(link);
            if (outcome.speaker_hint) { result.appendChild(document.createTextNode(" · " + outcome.speaker_hint.message)); }
            item.className = duplicate ? "ok duplicate" : "ok";
            refreshSources(outcome.source_id);
          } else {
            result.textContent = (outcome && outcome.error) || errorMessage(body, xhr.status);
            item.className = "failed";
          }
          resolve();
        });
        xhr.addEventListener("error", function () {
          result.textContent = "The upload failed (network).";
          item.className = "failed";
          resolve();
        });
        xhr.send(data);
      });
    }

    /* A large folder goes up in batches; with a job queue each batch is a background job whose progress
       (files done / failed / total) is polled from /api/v1/jobs/ID. */
    var BATCH_FROM = 20, BATCH_FILES = 100, BATCH_BYTES = 20 * 1024 * 1024;

    function batches(files) {
      var out = [], current = [], size = 0;
      files.forEach(function (file) {
        if (current.length && (current.length >= BATCH_FILES || size + file.size > BATCH_BYTES)) {
          out.push(current);
          current = [];
          size = 0;
        }
        current.push(file);
        size += file.size;
      });
      if (current.length) { out.push(current); }
      return out;
    }

    function showJob(item, job) {
      item.querySelector(".result").textContent = job.status + " · " + job.done + " of " + job.total +
        " files done" + (job.failed ? " · " + job.failed + " failed" : "");
      item.querySelector("progress").value = job.total ? Math.round((job.done / job.total) * 100) : 0;
    }

    function pollJob(item, job) {
      return new Promise(function (resolve) {
        function tick() {
          fetch("/api/v1/jobs/" + job.id, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
            .then(function (response) { return response.json(); })
            .then(function (current) {
              showJob(item, current);
              if (current.status === "done" || current.status === "failed") {
                item.className = current.status === "done" && !current.failed ? "ok" : "failed";
                refreshSources(null);
                (current.files || []).forEach(function (f) {
                  if (f.status === "error") { progressList.appendChild(el("li", { "class": "failed" }, f.path + ": " + f.error)); }
                });
                resolve();
              } else {
                setTimeout(tick, 1500);
              }
            })
            .catch(function () { setTimeout(tick, 3000); });
        }
        tick();
      });
    }

    function uploadBatch(batch, fields) {
      var item = el("li");
      item.appendChild(el("span", { "class": "file" }, batch.length + " files"));
      item.appendChild(el("progress", { max: "100", value: "0", "aria-label": "Batch of " + batch.length + " files" }));
      item.appendChild(el("span", { "class": "result" }, "uploading"));
      progressList.appendChild(item);
      var data = new FormData();
      batch.forEach(function (file) { data.append("file", file, file.webkitRelativePath || file.name); });
      Object.keys(fields).forEach(function (key) { data.append(key, fields[key]); });
      return fetch(uploadForm.getAttribute("data-api"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": CSRF, "Accept": "application/json" }
      }).then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      }).then(function (reply) {
        if (reply.status === 202 && reply.body.job) {
          showJob(item, reply.body.job);
          return pollJob(item, reply.body.job);
        }
        var results = (reply.body && reply.body.results) || [];
        var failed = results.filter(function (r) { return r.status === "error"; });
        item.querySelector("progress").value = 100;
        item.querySelector(".result").textContent = results.length ? (results.length - failed.length) + " of " +
          results.length + " files stored" + (failed.length ? " · " + failed.length + " failed" : "") :
          errorMessage(reply.body, reply.status);
        item.className = failed.length || !results.length ? "failed" : "ok";
        refreshSources(null);
        failed.forEach(function (r) { progressList.appendChild(el("li", { "class": "failed" }, r.path + ": " + r.error)); });
      }).catch(function () {
        item.querySelector(".result").textContent = "The upload failed (network).";
        item.className = "failed";
      });
    }

    uploadForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var files = [];
      uploadForm.querySelectorAll('input[type="file"]').forEach(function (input) {
        Array.prototype.forEach.call(input.files, function (f) { files.push(f); });
      });
      if (!files.length) {
        progressList.textContent = "";
        progressList.appendChild(el("li", { "class": "failed" }, "Choose one or more files first."));
        return;
      }
      var fields = {
        kind: uploadForm.querySelector('[name="kind"]').value,
        audience: uploadForm.querySelector('[name="audience"]').value
      };
      progressList.textContent = "";
      var button = uploadForm.querySelector('button[type="submit"]');
      button.disabled = true;
      var work = files.length > BATCH_FROM ? batches(files).reduce(function (chain, batch) {
        return chain.then(function () { return uploadBatch(batch, fields); });
      }, Promise.resolve()) : files.reduce(function (chain, file) {
        return chain.then(function () { return uploadOne(file, fields); });
      }, Promise.resolve());
      work.then(function () {
        button.disabled = false;
        uploadForm.reset();
        refreshing.then(function () {
          var stored = progressList.querySelectorAll("li.ok").length;
          var again = progressList.querySelectorAll("li.ok.duplicate").length;
          progressList.appendChild(el("li", { "class": "done" }, stored && stored === again
            ? "Done: nothing new, " + (again === 1 ? "that file is" : "those files are") + " stored already."
            : "Done: the new drafts are in the list below, marked new."));
        });
      });
    });
  }
})();
