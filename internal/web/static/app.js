// ecrm console behaviour. Loaded as a file because the CSP forbids inline
// scripts; everything here is progressive enhancement over plain forms.
(function () {
  "use strict";

  // htmx requests carry the session's CSRF token in a header.
  document.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      e.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
    }
  });

  // Inline forms marked data-reset are cleared after a successful post,
  // ready for the next note or task.
  document.addEventListener("htmx:afterRequest", function (e) {
    var el = e.detail.elt;
    if (e.detail.successful && el && el.matches && el.matches("form[data-reset]")) {
      el.reset();
    }
  });

  // A header checkbox data-check-all="name" toggles every row checkbox of
  // that name in the same form.
  document.addEventListener("change", function (e) {
    var box = e.target;
    if (!box.matches || !box.matches("input[data-check-all]")) {
      return;
    }
    var form = box.form || document;
    var name = box.getAttribute("data-check-all");
    form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (c) {
      c.checked = box.checked;
    });
  });
})();
