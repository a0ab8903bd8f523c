/* The console: SLA countdowns that tick every second, and keyboard shortcuts for the decisions.
 * The server renders every countdown and form, so the pages work without this file. */
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  // Whole seconds as H:MM:SS, the days before it from a day on, exactly as console_common.hms writes them.
  function hms(seconds, days) {
    var d = Math.floor(seconds / 86400);
    var rest = seconds % 86400;
    var clock = Math.floor(rest / 3600) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
    return d ? (days || "{d} d ").replace("{d}", d) + clock : clock;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var ms = Date.parse(el.dataset.due) - now;
      if (isNaN(ms)) { return; }
      var over = ms < 0;
      var text = (over ? el.dataset.over : el.dataset.left).replace("{t}", hms(Math.floor(Math.abs(ms) / 1000), el.dataset.days));
      if (el.textContent !== text) { el.textContent = text; }
      el.classList.toggle("overdue", over);
      var row = el.closest("[data-case]");
      if (row) { row.classList.toggle("overdue", over); }
    });
  }

  if (document.querySelector("[data-due]")) {
    tick();
    window.setInterval(tick, 1000);
  }

  var forms = {};
  document.querySelectorAll("details[data-key]").forEach(function (d) { forms[d.dataset.key] = d; });
  var help = document.getElementById("keys-dialog");
  if (!Object.keys(forms).length) { return; }

  function typing(el) {
    return !!el && (el.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName));
  }

  function open(details) {
    Object.keys(forms).forEach(function (k) { if (forms[k] !== details) { forms[k].open = false; } });
    details.open = true;
    details.scrollIntoView({ block: "nearest" });
    details.querySelector("select").focus();
  }

  // The suggestion's button opens its action's form, the suggested reason already chosen.
  document.querySelectorAll("[data-adopt]").forEach(function (button) {
    var details = document.getElementById("act-" + button.dataset.adopt);
    if (details) { button.addEventListener("click", function () { open(details); }); }
  });

  // A form the server sent back with an error is open already: put the cursor where the fix goes.
  var refused = document.querySelector("details[data-key][open] select");
  if (refused) { refused.focus(); }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing || (help && help.open)) { return; }
    var inForm = e.target.closest ? e.target.closest("details[data-key]") : null;
    if (inForm && e.key === "Escape") {
      e.preventDefault();
      inForm.open = false;
      inForm.querySelector("summary").focus();
      return;
    }
    // Enter on a reason select submits, as it does in a text field.
    if (inForm && e.key === "Enter" && e.target.tagName === "SELECT") {
      e.preventDefault();
      inForm.querySelector("form").requestSubmit();
      return;
    }
    if (typing(e.target)) { return; }
    if (e.key === "?" && help) {
      e.preventDefault();
      help.showModal();
      return;
    }
    var details = forms[e.key.toLowerCase()];
    if (details) {
      e.preventDefault();
      open(details);
    }
  });
})();
