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
// A form refused because the session ended (the "form was not sent" page): pages
// are never cached (Cache-Control: no-store), so the browser's history alone does
// not keep what was typed. Each POST form's typed values (never passwords, hidden
// fields or files) are kept in this tab's sessionStorage while it is sent; the
// refusal page marks them for restoring, and the same form, once open again (after
// logging in: the login page comes back to it), gets them back. Any other page
// forgets them.
(function () {
  "use strict";
  var KEY = "tmdesk-unsent-form";
  var MAX_AGE_MS = 60 * 60 * 1000;
  var SKIP = { password: 1, hidden: 1, file: 1, submit: 1, button: 1, reset: 1, image: 1 };
  function store() { try { return window.sessionStorage; } catch (e) { return null; } }
  function where(form) {
    var url = new URL(form.getAttribute("action") || window.location.href, window.location.href);
    return url.pathname + url.search;
  }
  function keptFields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && !el.disabled && !SKIP[el.type];
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target, storage = store();
    if (!storage || event.defaultPrevented || (form.method || "").toLowerCase() !== "post") { return; }
    if (!form.closest("main") || form.querySelector("input[type=password]")) { return; }
    var values = keptFields(form).map(function (el) {
      if (el.type === "checkbox" || el.type === "radio") { return [el.name, el.value, el.checked]; }
      if (el.multiple) {
        return [el.name, Array.prototype.filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; })];
      }
      return [el.name, el.value];
    });
    storage.setItem(KEY, JSON.stringify({ at: Date.now(), where: where(form), values: values }));
  });
  function restore(saved) {
    var forms = Array.prototype.filter.call(document.querySelectorAll("form"), function (form) {
      return where(form) === saved.where && saved.values.length &&
        form.elements.namedItem(saved.values[0][0]);
    });
    if (!forms.length) { return false; }
    var form = forms[0];
    saved.values.forEach(function (item) {
      keptFields(form).forEach(function (el) {
        if (el.name !== item[0]) { return; }
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.value === item[1]) { el.checked = item[2]; }
        } else if (el.multiple && Array.isArray(item[1])) {
          Array.prototype.forEach.call(el.options, function (o) { o.selected = item[1].indexOf(o.value) >= 0; });
        } else if (typeof item[1] === "string") {
          el.value = item[1];
        }
      });
    });
    return true;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var storage = store();
    var refused = document.querySelector("[data-form-not-sent]");
    var buttons = document.querySelectorAll("[data-history-back]");
    Array.prototype.forEach.call(buttons, function (button) {
      if (window.history.length < 2) { return; }
      button.hidden = false;
      button.addEventListener("click", function () { window.history.back(); });
    });
    if (!storage) { return; }
    var saved = null;
    try { saved = JSON.parse(storage.getItem(KEY) || "null"); } catch (e) { saved = null; }
    if (!saved || Date.now() - saved.at > MAX_AGE_MS) { storage.removeItem(KEY); return; }
    if (refused) {
      saved.restore = true;
      storage.setItem(KEY, JSON.stringify(saved));
    } else if (!saved.restore || restore(saved)) {
      storage.removeItem(KEY);
    }
  });
})();
