// The claim form works without this script; with it, the form shows only the chosen reason's
// evidence, keeps the expected outcome current as the buyer chooses, and is sent only once.
(function () {
  "use strict";
  var form = document.getElementById("claim-form");
  if (!form) { return; }
  var estimate = document.getElementById("estimate");
  var submit = document.getElementById("claim-submit");
  var none = form.querySelector("[data-none]");
  var maxBytes = Number(form.dataset.maxBytes);
  var label = submit.textContent;
  var asked = 0;
  var sending = false;

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
  }

  function attachedKinds() {
    var kinds = [];
    var group = form.querySelector("[data-group='" + chosenReason() + "']");
    if (!group) { return kinds; }
    group.querySelectorAll("input[type=file], input[name^='kept.']").forEach(function (input) {
      var has = input.type === "file" ? input.files.length > 0 && input.validity.valid : true;
      if (has && kinds.indexOf(input.dataset.kind) < 0) { kinds.push(input.dataset.kind); }
    });
    return kinds;
  }

  function field(name) { return estimate.querySelector("[data-field=" + name + "]"); }

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
    if (target.name === "reason") { showGroups(); }
    if (target.type === "file") { checkFile(target); }
    if (target.name === "reason" || target.name === "item" || target.type === "file") { refresh(); }
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
  });

  showGroups();
  if (attachedKinds().length) { refresh(); }
  // Shown again with a problem: take the reader to it first.
  var problem = document.querySelector("[data-test=problem]");
  if (problem) { problem.focus(); }
})();
