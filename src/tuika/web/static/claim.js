// The claim form works without this script; with it, the form shows only the chosen reason's
// evidence, shows each chosen image before anything is sent (and lets the buyer take it back),
// keeps the expected outcome current as the buyer chooses, and is sent only once.
(function () {
  "use strict";
  var form = document.getElementById("claim-form");
  if (!form) { return; }
  var estimate = document.getElementById("estimate");
  var submit = document.getElementById("claim-submit");
  var none = form.querySelector("[data-none]");
  var summary = form.querySelector("[data-summary]");
  var maxBytes = Number(form.dataset.maxBytes);
  var label = submit.textContent;
  var asked = 0;
  var sending = false;
  // A phone offers its camera beside the album; a photo taken is moved into the input that is
  // sent, which needs a DataTransfer to build its file list.
  var touch = Boolean(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
  var camera = touch && typeof DataTransfer === "function";

  function chosenReason() {
    var radio = form.querySelector("input[name=reason]:checked");
    return radio ? radio.value : "";
  }

  // Other reasons' groups are hidden and disabled, so their files are neither shown nor sent.
  function showGroups() {
    var reason = chosenReason();
    var shown = false;
    form.querySelectorAll("[data-group]").forEach(function (group) {
      var on = group.dataset.group === reason;
      group.hidden = !on;
      group.disabled = !on;
      shown = shown || on;
    });
    none.hidden = shown || !reason;
  }

  // A file the server would refuse is caught here, before anything is sent.
  function checkFile(input) {
    var file = input.files && input.files[0];
    var problem = "";
    if (file && file.type && file.type.indexOf("image/") !== 0) {
      problem = form.dataset.notImage;
    } else if (file && file.size > maxBytes) {
      problem = form.dataset.tooBig;
    }
    input.setCustomValidity(problem);
    document.getElementById(input.getAttribute("aria-describedby")).textContent = problem;
    return problem;
  }

  function attachedKinds() {
    var kinds = [];
    var group = form.querySelector("[data-group='" + chosenReason() + "']");
    if (!group) { return kinds; }
    group.querySelectorAll("input.file-main, input[name^='kept.']").forEach(function (input) {
      var has = input.type === "file" ? input.files.length > 0 && input.validity.valid : true;
      if (has && kinds.indexOf(input.dataset.kind) < 0) { kinds.push(input.dataset.kind); }
    });
    return kinds;
  }

  // ---- the upload control: large labels over the native input, a preview, remove ----

  function mainOf(box) { return box.querySelector("input.file-main"); }

  function megabytes(size) {
    return size < 1024 * 1024 ? Math.max(1, Math.round(size / 1024)) + " KB" : (size / 1024 / 1024).toFixed(1) + " MB";
  }

  function forget(thumb) {
    if (thumb.dataset.url) { URL.revokeObjectURL(thumb.dataset.url); }
    delete thumb.dataset.url;
    thumb.removeAttribute("src");
    thumb.hidden = true;
  }

  // The picture is read from the buyer's own device: nothing leaves it until the form is sent.
  function preview(box) {
    var file = mainOf(box).files[0];
    var thumb = box.querySelector("[data-thumb]");
    forget(thumb);
    box.querySelector("[data-picker]").hidden = Boolean(file);
    box.querySelector("[data-camera]").hidden = Boolean(file) || !camera;
    box.querySelector("[data-preview]").hidden = !file;
    if (!file) { return; }
    box.querySelector("[data-name]").textContent = file.name;
    box.querySelector("[data-size]").textContent = megabytes(file.size);
    if (file.type.indexOf("image/") === 0 && window.URL && URL.createObjectURL) {
      thumb.dataset.url = URL.createObjectURL(file);
      thumb.src = thumb.dataset.url;
      thumb.hidden = false;
    }
  }

  function say(box, text) { box.querySelector("[data-said]").textContent = text; }

  function chose(input) {
    var box = input.closest("[data-test=upload]");
    var problem = checkFile(input);
    preview(box);
    var file = input.files[0];
    say(box, file ? form.dataset.chosen.replace("{name}", file.name) + (problem ? " " + problem : "") : "");
    refresh();
  }

  function adopt(taken) {
    var file = taken.files[0];
    if (!file) { return; }
    var input = mainOf(taken.closest("[data-test=upload]"));
    var moved = new DataTransfer();
    moved.items.add(file);
    input.files = moved.files;
    taken.value = "";
    chose(input);
  }

  function remove(box) {
    var input = mainOf(box);
    input.value = "";
    checkFile(input);
    preview(box);
    say(box, form.dataset.removed);
    refresh();
    input.focus();
  }

  form.classList.add("enhanced");
  if (touch) { form.classList.add("touch"); }
  form.querySelectorAll("[data-test=upload]").forEach(function (box) {
    box.querySelector("[data-camera-label]").hidden = !camera;
    box.querySelector("[data-thumb]").addEventListener("error", function (event) { forget(event.target); });
    box.querySelector("[data-remove]").addEventListener("click", function () { remove(box); });
    preview(box);
  });

  // ---- the estimate, and its one line in the bar by the submit button ----

  function field(name) { return estimate.querySelector("[data-field=" + name + "]"); }

  // The bar's line names the outcome when it fits on one line, else the amount alone.
  function fit() {
    var path = summary.querySelector("[data-summary-path]");
    path.hidden = false;
    if (summary.scrollWidth > summary.clientWidth) { path.hidden = true; }
    summary.hidden = path.hidden && summary.querySelector("[data-summary-payout]").hidden;
  }

  function show(answer) {
    estimate.dataset.path = answer.path || "";
    field("text").textContent = answer.text || answer.message;
    field("missing").textContent = answer.missing || "";
    field("missing").hidden = !answer.missing;
    estimate.querySelector("[data-amounts]").hidden = !answer.priced;
    ["refundable", "fee", "payout"].forEach(function (name) { field(name).textContent = answer[name] || ""; });
    var why = field("why");
    why.textContent = "";
    (answer.why || []).forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      why.appendChild(item);
    });
    summary.hidden = false;
    summary.querySelector("[data-summary-path]").textContent = answer.text || answer.message;
    // The amount only beside an outcome that pays it: not beside "add the evidence first".
    summary.querySelector("[data-summary-payout]").hidden = ["auto_approve", "manual_review"].indexOf(answer.path) < 0;
    summary.querySelector("[data-summary-amount]").textContent = answer.payout || "";
    fit();
  }

  function refresh() {
    var query = new URLSearchParams();
    query.append("reason", chosenReason());
    form.querySelectorAll("input[name=item]:checked").forEach(function (box) { query.append("item", box.value); });
    attachedKinds().forEach(function (kind) { query.append("has", kind); });
    var mine = ++asked;
    fetch(form.dataset.precheck + "?" + query.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (answer) { if (mine === asked) { show(answer); } })
      .catch(function () { /* the estimate stays as it was; the server checks again on submit */ });
  }

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.hasAttribute("data-camera")) { adopt(target); return; }
    if (target.name === "reason") { showGroups(); }
    if (target.type === "file") { chose(target); return; }
    if (target.name === "reason" || target.name === "item") { refresh(); }
  });

  // One sending per form: a second click while the first is on its way does nothing.
  form.addEventListener("submit", function (event) {
    if (sending) { event.preventDefault(); return; }
    sending = true;
    form.setAttribute("aria-busy", "true");
    submit.disabled = true;
    submit.textContent = form.dataset.submitting;
  });

  // Coming back with the browser's Back button shows the form as it was left: let it send again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    sending = false;
    form.removeAttribute("aria-busy");
    submit.disabled = false;
    submit.textContent = label;
    form.querySelectorAll("[data-test=upload]").forEach(preview);
  });
  window.addEventListener("resize", fit);

  showGroups();
  fit();
  if (attachedKinds().length) { refresh(); }
  // Shown again with a problem: take the reader to it first.
  var problem = document.querySelector("[data-test=problem]");
  if (problem) { problem.focus(); }
})();
