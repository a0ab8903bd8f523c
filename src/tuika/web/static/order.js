// The order page: a card key is asked for only when the buyer clicks 查看卡密, shown, hidden
// again on a second click, and copied with 复制. Without this script the same button sends a
// form and the page comes back with that key shown.
(function () {
  "use strict";
  var csrf = document.querySelector("meta[name=csrf-token]").content;

  document.querySelectorAll("[data-key-row]").forEach(function (row) {
    var code = row.querySelector("code.key");
    var form = row.querySelector("[data-reveal-form]");
    var copy = row.querySelector("[data-copy]");
    var said = row.querySelector("[data-said]");
    var card = row.parentNode;
    var warning = card.querySelector("[data-reveal-warning]");
    var seen = card.querySelector("[data-seen]");
    var quiet = 0;

    function tell(text, seconds) {
      said.textContent = text;
      clearTimeout(quiet);
      quiet = setTimeout(function () { said.textContent = ""; }, seconds * 1000);
    }

    function shown(key) {
      var button = form.querySelector("button");
      code.textContent = key || code.dataset.masked;
      code.dataset.shown = key ? "true" : "false";
      button.textContent = key ? button.dataset.hide : button.dataset.show;
      copy.hidden = !key;
      if (!key) { said.textContent = ""; }
    }

    copy.hidden = code.dataset.shown !== "true";

    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        // Hidden again, the key leaves the page: a later click asks the server once more.
        if (code.dataset.shown === "true") { shown(""); return; }
        fetch(form.action, {
          method: "POST",
          credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRF-Token": csrf },
        })
          .then(function (response) { return response.ok ? response.json() : Promise.reject(response); })
          .then(function (answer) {
            shown(answer.key);
            // Seen now: the warning no longer holds, and the page says when the key was first viewed.
            if (warning) {
              warning.hidden = true;
              var button = form.querySelector("button");
              button.setAttribute("aria-describedby", button.getAttribute("aria-describedby").replace(" " + warning.id, ""));
            }
            if (seen && answer.seen) { seen.textContent = answer.seen; seen.hidden = false; }
          })
          .catch(function () { form.submit(); });  // the server shows the page and says what went wrong
      });
    }

    // Where the Clipboard API is missing (an old browser, a page not over HTTPS) the key is
    // selected, for the browser's own copy to take.
    function select() {
      var range = document.createRange();
      range.selectNodeContents(code);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
      if (copied) { tell(copy.dataset.copied, 2); } else { tell(copy.dataset.select, 8); }
    }

    copy.addEventListener("click", function () {
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(code.textContent).then(function () { tell(copy.dataset.copied, 2); }, select);
      } else {
        select();
      }
    });
  });
})();
