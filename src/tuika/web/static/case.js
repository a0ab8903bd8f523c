// The case page: withdraw asks first in a dialog, uploads are checked for size before they
// leave, and the page follows its claim, reloading on news unless the buyer is mid-form.
(function () {
  "use strict";
  var root = document.getElementById("case");
  if (!root) {
    return;
  }
  var home = root.dataset.statusUrl.replace(/\/status$/, "");

  // The refund number's copy button: shown only where a script can copy; it says what happened.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var said = button.parentElement.querySelector("[data-copied]");
    button.hidden = false;
    button.addEventListener("click", function () {
      var tell = function (text) {
        if (said) {
          said.textContent = text;
          window.setTimeout(function () { said.textContent = ""; }, 2000);
        }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(button.dataset.copy).then(
          function () { tell(button.dataset.done); },
          function () { tell(button.dataset.failed); }
        );
      } else {
        tell(button.dataset.failed);
      }
    });
  });

  // Without script the opener asks on a second page; with it, a modal dialog asks instead.
  document.querySelectorAll("form[data-dialog]").forEach(function (opener) {
    var dialog = document.getElementById(opener.dataset.dialog);
    if (!dialog || typeof dialog.showModal !== "function") {
      return;
    }
    opener.addEventListener("submit", function (event) {
      event.preventDefault();
      dialog.showModal();
    });
    dialog.querySelectorAll("[data-dialog-close]").forEach(function (closer) {
      closer.addEventListener("click", function (event) {
        event.preventDefault();
        dialog.close();
      });
    });
  });

  // The server refuses an oversize body outright; say so here, before the upload starts.
  document.querySelectorAll("form[data-max-bytes]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    var error = form.querySelector(".case-js-error");
    form.addEventListener("submit", function (event) {
      var total = 0;
      for (var i = 0; i < input.files.length; i += 1) {
        total += input.files[i].size;
      }
      if (total > Number(form.dataset.maxBytes)) {
        event.preventDefault();
        error.textContent = form.dataset.tooBig;
        input.focus();
      } else {
        error.textContent = "";
      }
    });
  });

  if (root.dataset.final === "true") {
    return;
  }
  var started = Date.now();
  var timer = null;
  var asking = false;
  var stopped = false;

  // A reload would throw away what the buyer is writing or has chosen to upload.
  function busy() {
    if (document.querySelector("dialog[open]")) {
      return true;
    }
    var fields = root.querySelectorAll("form textarea, form input[type=file]");
    for (var i = 0; i < fields.length; i += 1) {
      var field = fields[i];
      if (field.type === "file" ? field.files.length > 0 : field.value.trim() !== "") {
        return true;
      }
    }
    var active = document.activeElement;
    return Boolean(active && active.form && root.contains(active) && /^(TEXTAREA|INPUT|SELECT)$/.test(active.tagName));
  }

  function changed(now) {
    return (
      now.status !== root.dataset.status ||
      now.updated_at !== root.dataset.updatedAt ||
      (now.payout_status || "") !== root.dataset.payoutStatus
    );
  }

  function notify() {
    var live = root.querySelector(".case-live");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button primary";
    button.dataset.test = "refresh";
    button.textContent = root.dataset.updates;
    button.addEventListener("click", function () {
      window.location.replace(home);
    });
    live.textContent = "";
    live.appendChild(button);
  }

  function schedule() {
    if (stopped || document.hidden || timer !== null || asking) {
      return;
    }
    // Every 2 s for the first minute, when a machine decision is likely; every 10 s after.
    var wait = Date.now() - started < 60000 ? 2000 : 10000;
    timer = window.setTimeout(poll, wait);
  }

  function poll() {
    timer = null;
    asking = true;
    fetch(root.dataset.statusUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401 || response.status === 404) {
          stopped = true;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (now) {
        asking = false;
        if (now && changed(now)) {
          stopped = true;
          // Load the page's own address: after a refused form the URL is the form's action.
          if (busy()) {
            notify();
          } else {
            window.location.replace(home);
          }
          return;
        }
        if (now && now.final) {
          stopped = true;
        }
        schedule();
      })
      .catch(function () {
        asking = false;
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      window.clearTimeout(timer);
      timer = null;
    } else if (!stopped && timer === null && !asking) {
      poll();
    }
  });
  schedule();
})();
