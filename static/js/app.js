// Progressive enhancements for server-rendered pages. Every page works
// without this script.
(function () {
  "use strict";

  // The base layout loads this script on every page, and the admin layout
  // loads it again. The second run returns here, so no handler fires twice.
  if (window.portcullisEnhanced) return;
  window.portcullisEnhanced = true;

  // Copy buttons: <button data-copy="#element-id">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    navigator.clipboard.writeText(text.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // Confirmation for destructive forms: <form data-confirm="Delete this user?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Auto-submitting hand-over forms: <form data-autosubmit>.
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.submit();
  });

  // "Is OAuth confidential client" also ticks "Is Service User" and
  // "Password never expires", as the server enforces on save.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-implies]")) return;
    if (!box.checked) return;
    box.getAttribute("data-implies").split(" ").forEach(function (id) {
      var other = document.getElementById(id);
      if (other) other.checked = true;
    });
  });
})();
