/* fcr-auditor {{ version }}: the coaching-report check for a text box on any page.
 *
 *   <script src="https://auditor.example/embed.js" data-auditor-target="#comments"
 *           data-auditor-token="..."></script>
 * or
 *   FcrAuditor.attach(textarea, { token: "...", repLevel: "new" });
 *
 * Self-contained: it talks only to the server it was loaded from, which must list this page's
 * origin (`auditor serve --allow-origin`). The feedback renders in a shadow root, so the host
 * page's styles and ours do not mix. See docs/api.md, "Embedding the check in a CRM form".
 */
(() => {
"use strict";
if (window.FcrAuditor) return;  // loaded twice: keep the first
{% include "feedback.js" %}

const F = FcrFeedback;
const DEBOUNCE_MS = 600;
const MAX_CHARS = {{ max_chars }};
const CSS = {{ css | tojson }} + {{ embed_css | tojson }};
const script = document.currentScript;
const SERVER = new URL(script ? script.src : location.href).origin;

function sheet(root) {
  // A constructed stylesheet is not an inline <style>: the host page's CSP does not block it.
  try {
    const s = new CSSStyleSheet();
    s.replaceSync(CSS);
    root.adoptedStyleSheets = [s];
  } catch (_) {
    root.append(F.el("style", {}, CSS));
  }
}

// The metrics a backdrop must copy from the textarea to lay the text out the same way.
const METRICS = ["font-family", "font-size", "font-weight", "font-style", "line-height",
  "letter-spacing", "word-spacing", "text-indent", "text-transform", "tab-size",
  "padding-top", "padding-right", "padding-bottom", "padding-left",
  "border-top-width", "border-right-width", "border-bottom-width", "border-left-width",
  "box-sizing", "direction"];

function attach(ta, options) {
  if (!(ta instanceof HTMLTextAreaElement)) throw new TypeError("FcrAuditor.attach needs a <textarea>");
  if (ta.fcrAuditor) return ta.fcrAuditor;
  const opts = options || {};
  let info = F.emptyInfo();
  let marks = [], shownText = ta.value, segs = [];

  // Highlights: a box over the textarea (it does not catch the mouse) with the same metrics.
  const overlayHost = F.el("div", { "data-fcr-auditor": "overlay" });
  overlayHost.style.cssText = "position:fixed;left:0;top:0;width:0;height:0;z-index:2147483000;pointer-events:none";
  const overlayRoot = overlayHost.attachShadow({ mode: "open" });
  sheet(overlayRoot);
  const backdrop = F.el("div", { class: "fcr-backdrop", "aria-hidden": "true" });
  const highlights = F.el("div", { class: "fcr-highlights" });
  backdrop.append(highlights);
  overlayRoot.append(backdrop);
  document.body.append(overlayHost);

  // The panel: status, verdict, checklist, the note at the cursor and the cards, under the box.
  const panelHost = F.el("div", { "data-fcr-auditor": "panel" });
  const root = panelHost.attachShadow({ mode: "open" });
  sheet(root);
  const status = F.el("p", { class: "fcr-status", role: "status", "aria-live": "polite" }, "Loading the rubric…");
  const verdict = F.el("span", { class: "badge" }, "not checked");
  const score = F.el("span", { class: "fcr-score" }, "–");
  const checklist = F.el("ul", { class: "checklist" });
  const here = F.el("div", { class: "fcr-here", "aria-live": "polite" });
  const findings = F.el("ol", { class: "findings" });
  root.append(F.el("section", { class: "fcr-panel", "aria-label": "Coaching report check" },
    F.el("div", { class: "verdict" }, F.el("strong", {}, "Report check"), verdict, score, status),
    here,
    F.el("div", { class: "fcr-cols" },
      F.el("div", {}, F.el("h2", {}, "Checklist"), checklist),
      F.el("div", {}, F.el("h2", {}, "To improve"), findings))));
  ta.insertAdjacentElement("afterend", panelHost);

  const setStatus = (text, isError) => { status.textContent = text; status.classList.toggle("error", Boolean(isError)); };

  function place() {
    const r = ta.getBoundingClientRect();
    const cs = getComputedStyle(ta);
    for (const p of METRICS) backdrop.style.setProperty(p, cs.getPropertyValue(p));
    Object.assign(backdrop.style, {
      left: `${r.left}px`, top: `${r.top}px`,
      width: `${r.width}px`, height: `${r.height}px`,
    });
    highlights.style.transform = `translate(${-ta.scrollLeft}px, ${-ta.scrollTop}px)`;
    highlights.style.width = `${ta.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)}px`;
  }
  function showAtCursor() {
    const i = document.activeElement === ta ? F.atCursor(segs, ta.selectionStart) : -1;
    here.replaceChildren(...(i < 0 ? [] : segs[i].findings.map(F.findingNote)));
  }
  function renderHighlights() {
    segs = F.segments(marks);
    highlights.replaceChildren(...F.highlightNodes(ta.value, segs));
    place();
    showAtCursor();
  }
  function show(f, e) {
    const m = marks.find((x) => x.finding === f && x.evidence === e);
    if (!m) return;
    ta.focus();
    ta.setSelectionRange(m.start, m.end);
    showAtCursor();
  }
  function renderPanel(a) {
    verdict.textContent = a.verdict;
    verdict.className = `badge ${a.verdict}`;
    score.textContent = `${a.score}/100`;
    checklist.replaceChildren(...F.checklistNodes(info, a));
    findings.replaceChildren(...F.cardNodes(info, a, show));
  }
  function clear(message) {
    marks = [];
    shownText = ta.value;
    renderHighlights();
    verdict.textContent = "not checked";
    verdict.className = "badge";
    score.textContent = "–";
    checklist.replaceChildren();
    findings.replaceChildren();
    setStatus(message);
  }

  const headers = () => (opts.token ? { Authorization: `Bearer ${opts.token}` } : {});
  const checker = F.checker({
    url: `${SERVER}/api/check`,
    token: () => opts.token || "",
    debounceMs: opts.debounceMs || DEBOUNCE_MS,
    body: (text) => ({ text, metadata: opts.repLevel ? { rep_level: opts.repLevel } : {} }),
    onStart: () => setStatus("Checking…"),
    // A refused origin fails like a network error (the browser hides why): say both.
    onError: (message, status) => setStatus(status ? message
      : "Not checked: the check server refused this page or could not be reached.", true),
    onResult: (body, text, ms) => {
      marks = F.remap(F.marksOf(body.findings), text, ta.value);
      shownText = ta.value;
      renderHighlights();
      renderPanel(body);
      setStatus(`Checked in ${ms} ms`);
    },
  });
  function check() {
    const text = ta.value;
    const chars = [...text].length;
    if (!text.trim()) { checker.cancel(); clear("Start writing to get feedback."); return; }
    if (chars > MAX_CHARS) { setStatus(`Too long to check: ${chars} characters (limit ${MAX_CHARS}).`, true); return; }
    checker.now(text);
  }
  let timer = 0;
  function onInput() {
    marks = F.remap(marks, shownText, ta.value);
    shownText = ta.value;
    renderHighlights();
    clearTimeout(timer);
    timer = setTimeout(check, opts.debounceMs || DEBOUNCE_MS);
  }

  ta.addEventListener("input", onInput);
  ta.addEventListener("scroll", place);
  for (const type of ["keyup", "click", "focus", "select"]) ta.addEventListener(type, showAtCursor);
  window.addEventListener("resize", place);
  window.addEventListener("scroll", place, { passive: true, capture: true });  // any scroller
  if (window.ResizeObserver) new ResizeObserver(place).observe(ta);

  fetch(`${SERVER}/api/rubric`, { headers: headers(), credentials: "omit", referrerPolicy: "no-referrer" })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
    .then((rubric) => {
      info = F.rubricInfo(rubric);
      setStatus("Start writing to get feedback.");
      if (ta.value.trim()) check();
    })
    .catch(() => setStatus("Not checked: the check server refused this page or could not be reached.", true));
  renderHighlights();

  const handle = { check, detach() {
    checker.cancel();
    clearTimeout(timer);
    ta.removeEventListener("input", onInput);
    overlayHost.remove();
    panelHost.remove();
    delete ta.fcrAuditor;
  } };
  ta.fcrAuditor = handle;
  return handle;
}

window.FcrAuditor = { attach };

// <script data-auditor-target="#comments" data-auditor-token="..."> attaches by itself.
if (script && script.dataset.auditorTarget) {
  const go = () => {
    for (const ta of document.querySelectorAll(script.dataset.auditorTarget)) {
      attach(ta, { token: script.dataset.auditorToken, repLevel: script.dataset.auditorRepLevel });
    }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", go);
  else go();
}
})();
