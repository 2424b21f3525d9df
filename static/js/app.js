// Page behaviour without inline handlers (the Content-Security-Policy refuses inline
// scripts). Delegated from the document, so content htmx swaps in behaves the same.
(function () {
  "use strict";

  // <select data-autosubmit>: choosing an option submits its form (language, organization,
  // list filters). Each such form also has a <noscript> button.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
      field.form.submit();
    }
  });

  // <form data-confirm="Question?">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  // <button data-print>: print the page.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (button) {
      window.print();
    }
  });
})();
