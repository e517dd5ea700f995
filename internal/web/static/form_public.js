// Hosted form behaviour: inside the embed's iframe, tell the page our
// height (so the iframe has no scrollbar) and where to go after a
// submission with a redirect. Loaded as a file: the CSP forbids inline
// scripts. The parent checks that messages come from ecrm's origin.
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  function report() {
    var h = document.documentElement.scrollHeight;
    window.parent.postMessage({ type: "ecrm-form-height", height: h }, "*");
  }
  window.addEventListener("load", report);
  window.addEventListener("resize", report);
  document.addEventListener("DOMContentLoaded", function () {
    report();
    var done = document.querySelector("[data-redirect]");
    if (done) {
      window.parent.postMessage({ type: "ecrm-form-redirect", url: done.getAttribute("data-redirect") }, "*");
    }
  });
})();
