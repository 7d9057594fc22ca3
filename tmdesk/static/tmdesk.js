// tmdesk: small progressive enhancements. Every action works without this file.
(function () {
  "use strict";
  // Ask before destructive or irreversible steps (forms marked data-confirm).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // Move focus to an error summary so screen-reader users hear it first.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  });
})();
// "Go back to the form" (the page a refused form leads to): the browser's history
// usually still holds what was typed. The button stays hidden without script.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-history-back]");
  Array.prototype.forEach.call(buttons, function (button) {
    if (window.history.length < 2) { return; }
    button.hidden = false;
    button.addEventListener("click", function () { window.history.back(); });
  });
});
