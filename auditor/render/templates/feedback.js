// FcrFeedback: the rendering and checking logic shared by the draft page (GET /) and the
// embeddable script (GET /embed.js). Every piece of report or rule text reaches the DOM
// through textContent / createTextNode: a draft containing markup must stay text.
const FcrFeedback = (() => {
  const SEVERITY_RANK = { error: 3, warning: 2, info: 1 };
  const SEVERITY_WORD = { error: "Error", warning: "Warning", info: "Tip" };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    }
    for (const c of children) node.append(typeof c === "string" ? document.createTextNode(c) : c);
    return node;
  }

  // What the rubric (GET /api/rubric) tells a renderer: names, why, checklist, focus range.
  function rubricInfo(rubric) {
    const info = { names: { priorities: {}, competencies: {} }, why: {},
                   checklist: rubric.checklist || [], focusRange: rubric.focus_range || {} };
    for (const p of rubric.priorities) info.names.priorities[p.id] = p.name;
    for (const c of rubric.competencies) info.names.competencies[c.id] = c.name;
    for (const c of rubric.checks) info.why[c.code] = c.why;
    return info;
  }
  const emptyInfo = () => ({ names: { priorities: {}, competencies: {} }, why: {}, checklist: [], focusRange: {} });
  const competencyName = (info, id) => info.names.competencies[id] || id;
  const priorityName = (info, id) => info.names.priorities[id] || id;

  // -- highlights ------------------------------------------------------------------------
  // The marks of an answer: [{start, end, finding, evidence}] in UTF-16 offsets of its text.
  const marksOf = (findings) => findings.flatMap((f) => f.evidence
    .filter((e) => e.end_utf16 > e.start_utf16)
    .map((e) => ({ start: e.start_utf16, end: e.end_utf16, finding: f, evidence: e })));

  // Keep marks on the text while the user types: marks before the edit stay, marks after it
  // shift, marks touching it are dropped until the next check returns.
  function remap(marks, oldText, newText) {
    if (oldText === newText) return marks;
    const max = Math.min(oldText.length, newText.length);
    let p = 0;
    while (p < max && oldText.charCodeAt(p) === newText.charCodeAt(p)) p++;
    let s = 0;
    while (s < max - p &&
           oldText.charCodeAt(oldText.length - 1 - s) === newText.charCodeAt(newText.length - 1 - s)) s++;
    const oldEnd = oldText.length - s;
    const delta = newText.length - oldText.length;
    return marks.flatMap((m) => (m.end <= p ? [m]
      : m.start >= oldEnd ? [{ ...m, start: m.start + delta, end: m.end + delta }] : []));
  }

  // Overlapping evidence becomes disjoint segments, each with every finding covering it.
  function segments(marks) {
    const xs = [...new Set(marks.flatMap((m) => [m.start, m.end]))].sort((a, b) => a - b);
    const out = [];
    for (let i = 0; i < xs.length - 1; i++) {
      const a = xs[i], b = xs[i + 1];
      const fs = [...new Set(marks.filter((m) => m.start <= a && m.end >= b).map((m) => m.finding))];
      if (!fs.length) continue;
      const last = out[out.length - 1];
      if (last && last.end === a && last.findings.length === fs.length &&
          fs.every((f) => last.findings.includes(f))) last.end = b;
      else out.push({ start: a, end: b, findings: fs });
    }
    return out;
  }
  const worst = (fs) => fs.reduce((w, f) => (SEVERITY_RANK[f.severity] > SEVERITY_RANK[w] ? f.severity : w), "info");

  // The backdrop's children: the text with one <mark> per segment.
  function highlightNodes(text, segs) {
    const nodes = [];
    let pos = 0;
    segs.forEach((sg, i) => {
      if (sg.start > pos) nodes.push(document.createTextNode(text.slice(pos, sg.start)));
      const m = el("mark", { class: `hl sev-${worst(sg.findings)}`, "data-seg": String(i),
                             "data-codes": sg.findings.map((f) => f.code).join(" ") });
      m.textContent = text.slice(sg.start, sg.end);
      nodes.push(m);
      pos = sg.end;
    });
    // The trailing space keeps a final empty line as tall in the backdrop as in the textarea.
    nodes.push(document.createTextNode(text.slice(pos) + " "));
    return nodes;
  }

  const atCursor = (segs, pos) => segs.findIndex((sg) => sg.start <= pos && pos <= sg.end && sg.start < sg.end);

  function findingNote(f) {
    return el("div", { class: `note sev-${f.severity}` },
      el("p", {}, el("span", { class: `sev ${f.severity}` }, SEVERITY_WORD[f.severity]),
         f.display_message || f.message,
         " ", el("span", { class: "code" }, f.code)),
      el("p", { class: "suggestion" }, f.suggestion));
  }

  // -- panel -----------------------------------------------------------------------------
  // The checklist comes from the rule pack (GET /api/rubric: checklist, focus_range); each
  // item reads one field of the ReportAudit.
  const facets = (a) => ["specific", "measurable", "time_bound"]
    .map((k) => `${k.replace("_", "-")} ${a.next_objective[k] ? "✓" : "✗"}`).join(" · ");
  const focusSpan = (info, a) =>
    info.focusRange[(a.metadata || {}).rep_level] || info.focusRange.default || { min: 0, max: null };
  function checklistItem(info, item, a) {
    if (item.field === "focus_competencies") {
      const r = focusSpan(info, a), n = a.focus_competencies.length;
      const range = r.max === null ? `${r.min}+` : r.min === r.max ? `${r.min}` : `${r.min}–${r.max}`;
      return { label: `${item.label} ${range}`, ok: r.min <= n && (r.max === null || n <= r.max),
               sub: a.focus_competencies.map((c) => competencyName(info, c)).join(", ") || "none found" };
    }
    const [part, name] = item.field.split(".");
    return { label: item.label, ok: Boolean(a[part] && a[part][name]),
             sub: item.field === "next_objective.smart" ? facets(a) : "" };
  }
  function checklistNodes(info, a) {
    return info.checklist.map((entry) => {
      const item = checklistItem(info, entry, a);
      const ok = item.ok;
      const label = el("span", {}, item.label, el("span", { class: "sr-only" }, ok ? " (done)" : " (missing)"));
      if (item.sub) label.append(el("span", { class: "sub" }, item.sub));
      return el("li", { class: ok ? "ok" : "todo" },
        el("span", { class: "tick", "aria-hidden": "true" }, ok ? "✓" : "✗"), label);
    });
  }

  // One card per check, with every passage it flags: a word found five times is one thing
  // to fix. The card shows the message of the check's first passage in the text; each
  // passage is a button that calls show(finding, evidence).
  function cardNodes(info, a, show) {
    const firstAt = (f) => Math.min(...f.evidence.map((e) => e.start_utf16), Infinity);
    const groups = new Map();
    for (const f of [...a.findings].sort((x, y) => firstAt(x) - firstAt(y))) {
      if (!groups.has(f.code)) groups.set(f.code, []);
      groups.get(f.code).push(f);
    }
    const sorted = [...groups.values()].sort((x, y) =>
      SEVERITY_RANK[y[0].severity] - SEVERITY_RANK[x[0].severity] || firstAt(x[0]) - firstAt(y[0]));
    if (!sorted.length) return [el("li", { class: "empty" }, "Nothing to improve. Well written.")];
    return sorted.map((fs) => {
      const li = el("li", { "data-code": fs[0].code }, findingNote(fs[0]));
      const spots = fs.flatMap((f) => f.evidence.filter((e) => e.end_utf16 > e.start_utf16)
        .map((e) => ({ f, e }))).sort((x, y) => x.e.start_utf16 - y.e.start_utf16);
      if (spots.length) {
        const row = el("div", { class: "spots" }, spots.length > 1 ? `${spots.length} places: ` : "Show in text: ");
        for (const { f, e } of spots) {
          const quote = e.text.slice(0, 40);
          const b = el("button", { type: "button", "aria-label": `Show “${quote}” in the text` }, `“${quote}”`);
          b.addEventListener("click", () => show(f, e));
          row.append(b);
        }
        li.append(row);
      }
      if (info.why[fs[0].code]) li.append(el("details", {}, el("summary", {}, "Why this matters"), el("p", {}, info.why[fs[0].code])));
      return li;
    });
  }
  const cardCount = (a) => new Set(a.findings.map((f) => f.code)).size;

  // -- checking --------------------------------------------------------------------------
  // Debounced checks of one text box: a new check aborts the one in flight (AbortController)
  // and any late answer is ignored, so an old answer never overwrites a newer one.
  // opts: {url, token(), debounceMs, body(), onStart(), onResult(answer, text), onError(msg)}
  function checker(opts) {
    let timer = 0, inFlight = null, seq = 0;
    async function now(text) {
      clearTimeout(timer);
      if (inFlight) inFlight.abort();  // only the latest draft matters
      const controller = new AbortController();
      inFlight = controller;
      const mine = ++seq;
      opts.onStart();
      const headers = { "Content-Type": "application/json" };
      const token = opts.token();
      if (token) headers.Authorization = `Bearer ${token}`;
      const t0 = performance.now();
      try {
        const res = await fetch(opts.url, {
          method: "POST", headers, body: JSON.stringify(opts.body(text)),
          signal: controller.signal, credentials: "omit", referrerPolicy: "no-referrer",
        });
        const body = await res.json();
        if (mine !== seq) return;  // a newer request was started meanwhile
        if (!res.ok) { opts.onError(`Not checked: ${body.message || res.status}`, res.status); return; }
        opts.onResult(body, text, Math.round(performance.now() - t0));
      } catch (err) {
        if (err.name === "AbortError") return;
        if (mine === seq) opts.onError("Could not reach the server; your text is safe here. Retrying when you type.", 0);
      } finally {
        if (inFlight === controller) inFlight = null;
      }
    }
    return {
      now,
      later(text) { clearTimeout(timer); timer = setTimeout(() => now(text()), opts.debounceMs); },
      cancel() { clearTimeout(timer); seq++; if (inFlight) inFlight.abort(); },
    };
  }

  return { SEVERITY_RANK, SEVERITY_WORD, el, rubricInfo, emptyInfo, competencyName, priorityName,
           marksOf, remap, segments, worst, highlightNodes, atCursor, findingNote,
           checklistNodes, cardNodes, cardCount, checker };
})();
