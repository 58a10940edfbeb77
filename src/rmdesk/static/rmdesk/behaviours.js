/* Small page behaviours without inline script or on*= attributes (Content-Security-Policy
   script-src 'self', issue 17). Declared in the markup with data attributes:
   - <script src=".../behaviours.js" data-autoprint>   open the print dialog once the sheet is shown
   - <button data-print>                                print the page
   - <form data-confirm="question?">                    ask before submitting
   - <select data-autosubmit>                           submit its form when the choice changes
   - <input data-select-on-click>                       select the whole value on click (copying a link) */
(function () {
  var me = document.currentScript;
  if (me && me.hasAttribute("data-autoprint") && window.print) {
    window.addEventListener("load", function () { setTimeout(function () { window.print(); }, 300); });
  }
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    if (t.closest("[data-print]")) { e.preventDefault(); window.print(); return; }
    var sel = t.closest("[data-select-on-click]");
    if (sel && sel.select) sel.select();
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm")) {
      if (!window.confirm(form.getAttribute("data-confirm"))) e.preventDefault();
    }
  }, true);
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t instanceof HTMLSelectElement && t.hasAttribute("data-autosubmit") && t.form) {
      if (t.form.requestSubmit) t.form.requestSubmit(); else t.form.submit();
    }
  });
})();
