/* Behaviour shared by every page, as data attributes, so that the pages need no inline script
 * and the Content-Security-Policy can forbid them (script-src 'self'; style-src 'self').
 *
 *   data-confirm="question"   on a form (asked on submit) or a button (asked on click)
 *   data-autosubmit           on a select: submits its form when changed
 *   data-navigate             on a select: its value is the new query string
 *   data-copy="element-id"    on a button: copies that field's value; data-done is the new label
 *   data-width="42"           sets the element's width in percent (bars of computed width)
 *   data-show-refusals        on a container: htmx swaps its 422 answers, which carry a message
 *
 * An htmx answer marked X-Chibo-Notice (the session ended, or the page is out of date) is not
 * swapped where it was asked for: its notice, with the link to log in or reload, goes to the
 * top of the page.
 */
(function () {
  "use strict";

  function applyWidths(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) {
      const value = parseFloat(el.dataset.width);
      if (!isNaN(value)) el.style.width = Math.max(0, Math.min(100, value)) + "%";
    });
  }

  document.addEventListener("submit", function (e) {
    const form = e.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
    }
  });

  document.addEventListener("click", function (e) {
    const button = e.target.closest("button[data-confirm], a[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) {
      e.preventDefault();
      return;
    }
    const copy = e.target.closest("button[data-copy]");
    if (copy) {
      const field = document.getElementById(copy.dataset.copy);
      if (field && navigator.clipboard) navigator.clipboard.writeText(field.value);
      if (copy.dataset.done) copy.textContent = copy.dataset.done;
    }
  });

  document.addEventListener("change", function (e) {
    const el = e.target;
    if (el.matches("select[data-autosubmit]") && el.form) el.form.submit();
    if (el.matches("select[data-navigate]")) window.location.search = el.value;
  });

  function showNotice(html) {
    const main = document.querySelector("main") || document.body;
    const notice = new DOMParser().parseFromString(html, "text/html").getElementById("chibo-notice");
    if (!notice) return;
    const old = document.getElementById("chibo-notice");
    if (old) old.remove();
    main.prepend(document.adoptNode(notice));
    notice.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.xhr.getResponseHeader("X-Chibo-Notice")) {
      e.detail.shouldSwap = false;
      showNotice(e.detail.xhr.responseText);
      return;
    }
    if (e.detail.xhr.status === 422 && e.detail.elt.closest("[data-show-refusals]")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", function (e) { applyWidths(e.detail.elt); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { applyWidths(document); });
  } else {
    applyWidths(document);
  }
})();
