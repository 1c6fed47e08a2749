/* The recording screen: never lose text on a bad connection.
 *
 * Every field marked data-autosave is saved by htmx as you type. Until the server confirms a
 * value, it is kept in localStorage (key: meeting + element id); it is sent again when the
 * phone is back online, every 20 seconds while something is waiting, and when the page is
 * opened again. Fields marked data-draft (a new speech, a new task) are kept locally until
 * their form is sent. Leaving the page with unsaved text asks first.
 * A 409 answer shows both versions; the buttons in it choose one.
 */
(function () {
  "use strict";

  const root = document.getElementById("minutes");
  if (!root || typeof htmx === "undefined") return;
  const msg = root.dataset;
  const PREFIX = "chibo:minutes:" + root.dataset.meeting + ":";

  // Swap the answers that carry a message for the user: 409 (conflict) and 422 (refused).
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "409", swap: true, error: false },
    { code: "422", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
    { code: "...", swap: false },
  ];

  const pending = new Set(); // ids of fields whose value the server has not confirmed
  const waiting = new Set(); // of those, ids that failed to reach the server
  const blocked = new Set(); // ids shown in conflict or refused: wait for the user
  const sent = new WeakMap(); // request source element → {id: value sent}

  // --- local copy --------------------------------------------------------------------------
  function key(el) { return PREFIX + el.id; }
  function keep(el) {
    try { localStorage.setItem(key(el), JSON.stringify({ v: el.value, t: Date.now() })); } catch (e) { /* full or private mode */ }
  }
  function kept(el) {
    try { const raw = localStorage.getItem(key(el)); return raw ? JSON.parse(raw) : null; } catch (e) { return null; }
  }
  function forget(el) {
    try { localStorage.removeItem(key(el)); } catch (e) { /* ignore */ }
  }

  function source(el) { return el.closest("[hx-post]"); }
  function stateOf(el) {
    const wrap = el.closest(".autosave, .att-row");
    return wrap ? wrap.querySelector(".save-state") : null;
  }
  function say(el, text, cls) {
    const state = stateOf(el);
    if (!state) return;
    // Keep the hidden version/base inputs and any conflict box; replace the visible message.
    state.querySelectorAll(":scope > span:not(.js-note)").forEach((n) => n.remove());
    let note = state.querySelector(":scope > .js-note");
    if (!note) {
      note = document.createElement("span");
      state.appendChild(note);
    }
    note.className = "js-note " + (cls || "text-muted");
    note.textContent = text;
  }

  function fieldsOf(elt) {
    const found = Array.from(elt.querySelectorAll("[data-autosave]"));
    if (elt.matches("[data-autosave]")) found.push(elt);
    return found.filter((el) => el.id);
  }

  // --- typing -------------------------------------------------------------------------------
  document.addEventListener("input", (ev) => {
    const el = ev.target;
    if (!el.id) return;
    if (el.matches("[data-draft]")) { keep(el); return; }
    if (!el.matches("[data-autosave]")) return;
    keep(el);
    pending.add(el.id);
    blocked.delete(el.id);
    say(el, msg.msgPending);
  });

  document.addEventListener("change", (ev) => {
    const el = ev.target;
    const row = el.closest(".att-row");
    if (row && el.name === "presence") row.dataset.presence = el.value;
    if (el.matches("select[data-autosave], input[type=time][data-autosave]")) {
      keep(el);
      pending.add(el.id);
      blocked.delete(el.id);
    }
  });

  // --- requests -----------------------------------------------------------------------------
  document.body.addEventListener("htmx:beforeRequest", (ev) => {
    const elt = ev.detail.elt;
    const values = {};
    fieldsOf(elt).forEach((el) => {
      values[el.id] = el.value;
      say(el, msg.msgSaving);
    });
    sent.set(elt, values);
  });

  document.body.addEventListener("htmx:afterRequest", (ev) => {
    const elt = ev.detail.elt;
    const xhr = ev.detail.xhr;
    const status = xhr ? xhr.status : 0;
    const values = sent.get(elt) || {};
    Object.keys(values).forEach((id) => {
      const el = document.getElementById(id);
      if (!el) { pending.delete(id); return; }
      if (status >= 200 && status < 300) {
        waiting.delete(id);
        if (el.value === values[id]) { pending.delete(id); forget(el); }
      } else if (status === 409 && el.closest(".att-row")) {
        // The line now shows what was stored, and the message says what this user had chosen.
        waiting.delete(id);
        pending.delete(id);
        forget(el);
      } else if (status === 409 || status === 422) {
        waiting.delete(id);
        blocked.add(id); // the user decides; the local copy stays
      } else if (status === 401 || (status === 403 && xhr.getResponseHeader("X-Chibo-Notice"))) {
        // Logged out, or the page is out of date: kept here until the page is opened again.
        waiting.add(id);
        say(el, msg.msgExpired, "text-danger");
      } else if (status === 503) {
        waiting.add(id); // the server is busy: sent again by itself
        say(el, msg.msgBusy, "text-danger");
      } else {
        waiting.add(id);
        say(el, msg.msgOffline, "text-danger");
      }
    });
    if (elt.matches("form[data-reset-on-success]") && status >= 200 && status < 300) {
      elt.querySelectorAll("textarea, input[type=text], input[type=date]").forEach((el) => {
        el.value = "";
        if (el.matches("[data-draft]")) forget(el);
      });
      elt.querySelectorAll("input[type=checkbox]").forEach((el) => { el.checked = false; });
      elt.querySelectorAll("select").forEach((el) => {
        Array.from(el.options).forEach((o) => { o.selected = false; });
        if (!el.multiple) el.selectedIndex = 0;
      });
    }
  });

  function resend() {
    if (!navigator.onLine) return;
    const sources = new Set();
    pending.forEach((id) => {
      const el = document.getElementById(id);
      if (!el) { pending.delete(id); return; }
      if (blocked.has(id)) return;
      const src = source(el);
      if (src && !src.classList.contains("htmx-request")) sources.add(src);
    });
    sources.forEach((src) => htmx.trigger(src, "chibo:resend"));
  }
  window.addEventListener("online", resend);
  setInterval(() => { if (waiting.size) resend(); }, 20000);

  // --- conflicts -----------------------------------------------------------------------------
  document.addEventListener("click", (ev) => {
    const button = ev.target.closest("[data-conflict-action]");
    if (!button) return;
    const box = button.closest(".conflict");
    const wrap = box.closest(".autosave");
    const el = wrap && wrap.querySelector("[data-autosave]");
    if (!el) return;
    const theirs = box.dataset.theirs;
    wrap.querySelector(".save-state input[name=version]").value = box.dataset.version;
    const base = wrap.querySelector(".save-state input[name=base]");
    if (base) base.value = theirs;
    blocked.delete(el.id);
    box.remove();
    if (button.dataset.conflictAction === "theirs") {
      el.value = theirs;
      pending.delete(el.id);
      forget(el);
      say(el, "");
    } else {
      pending.add(el.id);
      htmx.trigger(source(el), "chibo:resend");
    }
  });

  // "Start from the draft": copy a text into a field, as if typed.
  document.addEventListener("click", (ev) => {
    const button = ev.target.closest("[data-copy-from]");
    if (!button) return;
    const from = document.getElementById(button.dataset.copyFrom);
    const to = document.getElementById(button.dataset.copyTo);
    if (!from || !to) return;
    const text = from.content ? from.content.textContent : from.textContent;
    to.value = to.value.trim() ? to.value + "\n" + text.trim() : text.trim();
    to.dispatchEvent(new Event("input", { bubbles: true }));
    to.focus();
  });

  // --- leaving ---------------------------------------------------------------------------------
  window.addEventListener("beforeunload", (ev) => {
    const drafts = Array.from(document.querySelectorAll("[data-draft]")).some((el) => el.value.trim());
    if (pending.size || drafts) {
      ev.preventDefault();
      ev.returnValue = msg.msgLeave;
      return msg.msgLeave;
    }
    return undefined;
  });

  // --- opening the page again ------------------------------------------------------------------
  function restore() {
    document.querySelectorAll("[data-autosave], [data-draft]").forEach((el) => {
      if (!el.id) return;
      const copy = kept(el);
      if (!copy) return;
      if (copy.v === el.value) { forget(el); return; }
      el.value = copy.v;
      if (el.matches("[data-autosave]")) {
        pending.add(el.id);
        say(el, msg.msgRestored, "text-warning");
      }
    });
    resend();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => setTimeout(restore, 0));
  } else {
    setTimeout(restore, 0);
  }
})();
