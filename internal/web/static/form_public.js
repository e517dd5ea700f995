// Hosted form behaviour: inside the embed's iframe, tell the page our
// height (so the iframe has no scrollbar), ask it for the tracking
// visitor id (the embed answers only to ecrm's origin, and only once the
// visitor agreed to tracking), and say where to go after a submission
// with a redirect. Loaded as a file: the CSP forbids inline scripts.
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  function send(msg) {
    window.parent.postMessage(msg, "*");
  }
  function report() {
    send({ type: "ecrm-form-height", height: document.documentElement.scrollHeight });
  }
  function ask() {
    send({ type: "ecrm-form-ready" });
  }
  window.addEventListener("message", function (e) {
    var d = e.data;
    if (e.source !== window.parent || !d || d.type !== "ecrm-visitor" || typeof d.id !== "string" || !/^[0-9a-f]{32,64}$/.test(d.id)) {
      return;
    }
    var form = document.querySelector("form.public-form");
    if (!form) {
      return;
    }
    var input = form.querySelector('input[name="vid"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "vid";
      form.appendChild(input);
    }
    input.value = d.id;
  });
  window.addEventListener("load", report);
  window.addEventListener("resize", report);
  document.addEventListener("DOMContentLoaded", function () {
    report();
    ask();
    document.addEventListener("focusin", ask, { once: true });
    var done = document.querySelector("[data-redirect]");
    if (done) {
      send({ type: "ecrm-form-redirect", url: done.getAttribute("data-redirect") });
    }
  });
})();
