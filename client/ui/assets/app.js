// The field app's pages. Everything comes from the local fieldsync (this
// page's own origin): the forms from the protocol's kind table
// (/api/schema), the words from the translation catalogs (po/, converted
// at build time to /i18n/LANG.json), records and sync from libfieldsync.
// No library and nothing from another host.
"use strict";

const LANGS = ["vi", "lo", "en"];
let lang = "vi";
let dict = {};
let schema = [];
let csrf = "";
let state = null;

// ---- words ---------------------------------------------------------------

// The sentence in the chosen language; English (the catalogs' source) when
// the catalog has none. {name} placeholders are filled from args.
function _(msgid, args) {
  let s = dict[msgid] || msgid;
  if (args)
    s = s.replace(/\{(\w+)\}/g, (m, k) => (k in args ? String(args[k]) : m));
  return s;
}

function chooseLang() {
  const saved = localStorage.getItem("fieldsync.lang");
  if (LANGS.includes(saved)) return saved;
  for (const l of navigator.languages || [navigator.language || ""]) {
    const base = String(l).toLowerCase().split("-")[0];
    if (LANGS.includes(base)) return base;
  }
  return "vi"; // the default for a store
}

async function loadLang(l) {
  lang = l;
  document.documentElement.lang = l;
  document.getElementById("lang").value = l;
  try {
    const r = await fetch(`/i18n/${l}.json`, { credentials: "same-origin" });
    dict = r.ok ? await r.json() : {};
  } catch (e) {
    dict = {};
  }
  schema = await api("GET", `/api/schema?lang=${l}`);
  document.getElementById("lang-label").textContent = _("Language");
}

// ---- requests ------------------------------------------------------------

async function api(method, url, body) {
  const opt = { method, credentials: "same-origin",
                headers: { "X-Lang": lang } };
  if (body !== undefined) {
    opt.headers["Content-Type"] = "application/json";
    opt.headers["X-CSRF-Token"] = csrf;
    opt.body = JSON.stringify(body);
  }
  const r = await fetch(url, opt);
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (!r.ok) {
    const err = new Error((data && data.message) || `HTTP ${r.status}`);
    err.status = r.status;
    err.data = data;
    throw err;
  }
  return data;
}

// ---- small DOM helpers -----------------------------------------------------

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

function show(...nodes) {
  const m = document.getElementById("main");
  m.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false));
  m.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

// A yes/no question; with reason (its label), a reason must be typed and
// the answer is that text (false on no).
function confirmBox(text, yes, no, reason) {
  return new Promise((resolve) => {
    const d = document.getElementById("dialog");
    document.getElementById("dialog-text").textContent = text;
    const by = document.getElementById("dialog-yes");
    const bn = document.getElementById("dialog-no");
    const rl = document.getElementById("dialog-reason-label");
    const ri = document.getElementById("dialog-reason");
    rl.hidden = !reason;
    ri.value = "";
    if (reason) document.getElementById("dialog-reason-text").textContent = reason;
    by.textContent = yes;
    bn.textContent = no;
    by.disabled = !!reason;
    ri.oninput = () => { by.disabled = !ri.value.trim(); };
    const done = (v) => { d.hidden = true; by.onclick = bn.onclick = ri.oninput = null; by.disabled = false; resolve(v); };
    by.onclick = () => done(reason ? ri.value.trim() : true);
    bn.onclick = () => done(false);
    d.hidden = false;
    (reason ? ri : bn).focus();
  });
}

// ---- the kind table ------------------------------------------------------

function kindDef(kind) {
  return schema.find((k) => k.kind === kind || k.plural === kind);
}
function kindName(k, many) {
  const def = typeof k === "string" ? kindDef(k) : k;
  if (!def) return k;
  if (many) return def.label_plural || _(cap(def.plural));
  return def.label || _(cap(def.kind));
}
function cap(s) { return s.charAt(0).toUpperCase() + s.slice(1); }
function fieldLabel(f) {
  return f.label || _(cap(f.name.replace(/_/g, " ")));
}
// Kinds whose id field points to kind (a model's progress).
function childKinds(kind) {
  return schema.filter((k) => k.fields.some((f) => f.type === "id" && f.ref === kind));
}
function refField(child, parent) {
  return child.fields.find((f) => f.type === "id" && f.ref === parent);
}
function choices(f) {
  if (f.choices) return f.choices;
  return (f.allowed || []).map((v) => ({ value: v, label: v }));
}
function choiceLabel(f, v) {
  const c = choices(f).find((c) => c.value === v);
  return c ? c.label : v;
}
function fmt(f, v) {
  if (v === undefined || v === null) return "";
  if (f && f.type === "enum") return choiceLabel(f, v);
  if (f && f.type === "decimal") return Number(v).toLocaleString(lang, { maximumFractionDigits: 2 });
  if (f && f.type === "int") return Number(v).toLocaleString(lang);
  if (f && f.type === "date") return fmtDate(v);
  return String(v);
}
function fmtDate(v) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v || "");
  return m ? `${m[3]}/${m[2]}/${m[1]}` : v || "";
}
// A text limit in characters: the wire counts UTF-8 bytes, and no
// Vietnamese or Lao letter (NFC) takes more than 3, so this many always fit.
function maxChars(f) { return Math.floor(f.max_bytes / 3); }

function title(rec) {
  if (rec.title) return rec.title;
  const def = kindDef(rec.kind);
  return (def.title || []).map((n) => rec.fields[n]).filter(Boolean).join(" — ");
}

// ---- navigation ------------------------------------------------------------

function nav() {
  const here = location.hash || "#/";
  const links = [["#/", _("Home")]];
  for (const k of schema) if (!k.append_only) links.push([`#/list/${k.kind}`, kindName(k, true)]);
  links.push(["#/sync", _("Sync")]);
  document.getElementById("nav").replaceChildren(...links.map(([h, txt]) =>
    el("a", { href: h, class: here === h || (h !== "#/" && here.startsWith(h)) ? "here" : null }, txt)));
}

async function route() {
  try {
    state = await api("GET", "/api/state");
    csrf = state.csrf;
    nav();
    if (!state.initialised) return pageSetup();
    const [path, qs] = (location.hash.slice(1) || "/").split("?");
    const args = new URLSearchParams(qs || "");
    const p = path.split("/").filter(Boolean);
    if (p.length === 0) return pageHome();
    if (p[0] === "list" && p[1]) return pageList(p[1], args);
    if (p[0] === "new" && p[1]) return pageForm(p[1], null, args);
    if (p[0] === "edit" && p[1]) return pageForm(null, p[1], args);
    if (p[0] === "record" && p[1]) return pageRecord(p[1]);
    if (p[0] === "sync") return pageSync();
    if (p[0] === "enroll") return pageEnroll();
    return pageHome();
  } catch (e) {
    show(el("h1", {}, _("Something went wrong")), el("p", { class: "notice err" }, e.message));
  }
}

// ---- pages -----------------------------------------------------------------

function pageSetup() {
  const name = el("input", { id: "setup-name", name: "name", autocomplete: "name", required: true });
  const msg = el("div");
  show(
    el("h1", {}, _("Set up this device")),
    el("p", {}, _("Your entries are kept on this device and sent to HQ when there is a connection.")),
    el("form", { class: "fields", onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        await api("POST", "/api/init", { name: name.value });
        location.hash = "#/enroll";
        route();
      } catch (e) { msg.replaceChildren(el("p", { class: "notice err" }, e.message)); }
    } },
    el("div", { class: "field wide" }, el("label", { for: "setup-name" }, _("Your name")), name),
    el("div", { class: "actions" }, el("button", { type: "submit" }, _("Set up")))),
    msg);
}

function lastSyncText(sy) {
  if (!sy || !sy.last_sync_ms) return _("Never synced");
  return new Date(sy.last_sync_ms).toLocaleString(lang);
}

function holdsText(sy) {
  if (!sy || !sy.enrolled) return _("Not enrolled with HQ yet");
  const holds = sy.holds || 0, seq = sy.local_seq || 0;
  if (seq === 0) return _("Nothing sent to HQ yet");
  if (holds === 0) return _("HQ holds none of the {n} change sets yet", { n: seq });
  return _("HQ holds {from}–{to} of {n}", { from: 1, to: holds, n: seq });
}

function pageHome() {
  const st = state.status || {}, sy = state.sync || {};
  const cards = schema.filter((k) => !k.append_only).map((k) =>
    el("a", { class: "card", href: `#/list/${k.kind}` },
      el("div", { class: "big" }, String((st.records || {})[k.kind] || 0)),
      el("div", {}, kindName(k, true))));
  const obs = schema.filter((k) => k.append_only).map((k) =>
    el("div", { class: "card" },
      el("div", { class: "big" }, String((st.records || {})[k.kind] || 0)),
      el("div", {}, kindName(k, true))));
  const err = sy.last_error ? el("p", { class: "notice err" },
    _("Last sync problem:"), " ", sy.last_error.message || sy.last_error) : null;
  const news = schema.filter((k) => !k.append_only).map((k) =>
    el("a", { class: "button secondary", href: `#/new/${k.kind}` }, _("New {kind}", { kind: kindName(k).toLowerCase() })));
  show(
    el("h1", {}, _("Hello, {name}", { name: st.name || "" })),
    el("div", { class: "cards" }, ...cards, ...obs,
      el("a", { class: "card", href: "#/sync", id: "home-sync" },
        el("div", { class: "big" }, String(st.pending || 0)),
        el("div", {}, _("changes waiting to be sent")),
        el("div", { class: "muted" }, _("Last sync:"), " ", lastSyncText(sy)),
        el("div", { class: "muted", id: "home-holds" }, holdsText(sy)))),
    err,
    noticesBox(state.notices || []),
    el("div", { class: "actions" }, ...news,
      sy.enrolled ? null : el("a", { class: "button", href: "#/enroll" }, _("Enroll with HQ"))));
}

// News a sync brought about this device's own records (HQ corrected one,
// deleted or restored it, resolved a conflict on it): shown here until
// marked read. The sentences come from libfieldsync in the page's language.
function noticesBox(list) {
  if (!list.length) return null;
  const markRead = async (n) => {
    try { state = await api("POST", "/api/notices/read", { n }); pageHome(); }
    catch (e) { alert(e.message); }
  };
  return el("section", { class: "notices", id: "notices" },
    el("h2", {}, _("News about your records")),
    el("ul", { class: "list" }, ...list.map((n) =>
      el("li", { class: "notice", "data-n": String(n.n) },
        el("a", { href: `#/record/${n.record}` }, n.text), " ",
        el("button", { type: "button", class: "secondary small", onclick: () => markRead(n.n) }, _("Mark read"))))),
    list.length > 1 ? el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", id: "notices-read-all", onclick: () => markRead(0) }, _("Mark all read"))) : null);
}

// Every change of a record, oldest first: when, who, what, from what to what.
function historyBox(h, def) {
  const label = (name) => {
    if (name === "_owner") return _("Owner");
    if (name === "_deleted") return _("Deleted");
    if (name === "_retracted") return _("Retracted");
    const f = def.fields.find((x) => x.name === name);
    return f ? fieldLabel(f) : name;
  };
  const val = (v) => v === null || v === undefined ? "–" : v === true ? _("yes") : v === false ? _("no") : String(v);
  const ops = { create: _("recorded"), update: _("changed"), delete: _("deleted"),
    restore: _("restored"), retract: _("retracted"), handover: _("handed over") };
  const who = (e) => {
    const name = e.name || e.device.slice(0, 8);
    return e.hq && name !== "HQ" ? _("HQ") + ": " + name : name;
  };
  return [el("h2", {}, _("History")),
    el("ol", { class: "history", id: "history" }, ...h.entries.map((e) =>
      el("li", {},
        el("div", {}, el("strong", {}, new Date(e.ms).toISOString().slice(0, 16).replace("T", " ")), " · ",
          who(e), " · ", ops[e.op] || e.op,
          e.hq && e.op !== "create" ? el("span", { class: "badge" }, _("correction by HQ")) : null,
          " ", el("span", { class: "muted" }, e.verified ? _("signature and chain verified") : _("written on this device"))),
        el("ul", {}, ...e.fields.map((f) => el("li", {}, label(f.field), ": ", val(f.from), " → ",
          f.field === "_owner" ? (f.to_name || String(f.to).slice(0, 8)) : val(f.to),
          f.won ? null : el("span", { class: "muted" }, " ", _("(did not take: a later value stands)"))))),
        e.reason ? el("div", { class: "muted" }, _("Reason"), ": ", e.reason) : null)))];
}

async function pageList(kind, args) {
  const def = kindDef(kind);
  if (!def) return pageHome();
  const prov = def.fields.find((f) => f.name === "province");
  const sect = def.fields.find((f) => f.name === "sector");
  const q = el("input", { id: "search-q", type: "search", value: args.get("q") || "", placeholder: _("Search") });
  const selectOf = (id, f, v) => el("select", { id },
    el("option", { value: "" }, _("All")),
    ...(f ? choices(f) : []).map((c) => el("option", { value: c.value, selected: c.value === v }, c.label)));
  const ps = selectOf("search-province", prov, args.get("province"));
  const ss = selectOf("search-sector", sect, args.get("sector"));
  const from = el("input", { id: "search-from", type: "date", value: args.get("from") || "" });
  const to = el("input", { id: "search-to", type: "date", value: args.get("to") || "" });
  const results = el("div", { id: "results" }, el("p", { class: "muted" }, "…"));
  const go = (ev) => {
    if (ev) ev.preventDefault();
    const p = new URLSearchParams();
    if (q.value) p.set("q", q.value);
    if (ps.value) p.set("province", ps.value);
    if (ss.value) p.set("sector", ss.value);
    if (from.value) p.set("from", from.value);
    if (to.value) p.set("to", to.value);
    location.hash = `#/list/${def.kind}?${p}`;
  };
  const fld = (lbl, input) => el("div", { class: "field" }, el("label", { for: input.id }, lbl), input);
  show(
    el("h1", {}, kindName(def, true)),
    el("form", { class: "search", onsubmit: go },
      fld(_("Search"), q), prov ? fld(fieldLabel(prov), ps) : el("span"),
      sect ? fld(fieldLabel(sect), ss) : el("span"),
      fld(_("From"), from), fld(_("To"), to),
      el("button", { type: "submit", id: "search-go" }, _("Search"))),
    el("div", { class: "actions" }, el("a", { class: "button", href: `#/new/${def.kind}` },
      _("New {kind}", { kind: kindName(def).toLowerCase() }))),
    results);
  const p = new URLSearchParams(args);
  p.set("kind", def.kind);
  try {
    const recs = await api("GET", `/api/records?${p}`);
    results.setAttribute("data-loaded", location.hash);
    if (recs.length === 0)
      return results.replaceChildren(el("p", { class: "muted" }, _("Nothing found.")));
    results.replaceChildren(el("p", { class: "muted" }, _("{n} found", { n: recs.length })),
      el("ul", { class: "list" }, ...recs.map((r) => el("li", {},
      el("a", { class: "card", href: `#/record/${r.id}` },
        el("div", { class: "title" }, title(r)),
        el("div", { class: "muted" }, summary(def, r)),
        r.pending ? el("span", { class: "badge" }, _("not sent yet")) : null)))));
  } catch (e) {
    results.replaceChildren(el("p", { class: "notice err" }, e.message));
  }
}

// A line of the fields that are not in the title.
function summary(def, r) {
  const parts = [];
  for (const f of def.fields) {
    if ((def.title || []).includes(f.name) || f.type === "id") continue;
    const v = r.fields[f.name];
    if (v === undefined || f.type === "text") continue;
    parts.push(`${fieldLabel(f)}: ${fmt(f, v)}${f.unit ? " " + unitText(f) : ""}`);
    if (parts.length === 4) break;
  }
  for (const c of childKinds(def.kind)) {
    const s = r[c.kind];
    if (s) parts.push(`${kindName(c, true)}: ${s.count}`);
  }
  return parts.join(" · ");
}
function unitText(f) { return f.unit_label || _(f.unit); }

async function pageRecord(id) {
  let rec;
  try { rec = await api("GET", `/api/record?id=${encodeURIComponent(id)}`); }
  catch (e) { return show(el("h1", {}, _("Record not found")), el("p", { class: "notice err" }, e.message)); }
  const def = kindDef(rec.kind);
  const rows = def.fields.filter((f) => rec.fields[f.name] !== undefined).map((f) =>
    el("tr", {}, el("th", {}, fieldLabel(f)),
      el("td", {}, fmt(f, rec.fields[f.name]), f.unit ? " " + unitText(f) : "")));
  const parts = [
    el("h1", {}, title(rec)),
    el("p", { class: "muted" }, kindName(def), rec.pending ? " · " : "",
      rec.pending ? el("span", { class: "badge" }, _("not sent yet")) : null),
    el("table", { class: "kv" }, ...rows),
    // Others' records are read-only here (SPEC 9.6): only the owner or HQ
    // may change them.
    rec.mine ? null : el("p", { class: "notice", id: "not-mine" },
      _("This record belongs to {owner}: only its owner or HQ may change it.",
        { owner: rec.owner_name || (rec.owner || "?").slice(0, 8) })),
    rec.deleted ? el("p", { class: "notice err", id: "deleted-mark" }, _("Deleted")) : null,
    rec.retracted ? el("p", { class: "notice err", id: "retracted-mark" }, _("Retracted")) : null,
    el("div", { class: "actions" },
      !rec.mine || def.append_only || rec.deleted ? null : el("a", { class: "button secondary", href: `#/edit/${rec.id}`, id: "edit" }, _("Edit")),
      !rec.mine || def.append_only || rec.deleted ? null : el("button", { type: "button", class: "danger", id: "delete", onclick: async () => {
        const why = await confirmBox(_("Delete “{title}”? It disappears from every list, here and at HQ after the next sync.", { title: title(rec) }), _("Delete"), _("Cancel"), _("Reason"));
        if (!why) return;
        try { await api("POST", "/api/delete", { id: rec.id, reason: why }); location.hash = `#/list/${def.kind}`; }
        catch (e) { alert(e.message); }
      } }, _("Delete")),
      rec.mine && rec.deleted ? el("button", { type: "button", class: "secondary", id: "undelete", onclick: async () => {
        try { await api("POST", "/api/undelete", { id: rec.id }); route(); }
        catch (e) { alert(e.message); }
      } }, _("Restore")) : null,
      rec.mine && def.append_only && !rec.retracted ? el("button", { type: "button", class: "danger", id: "retract", onclick: async () => {
        const why = await confirmBox(_("Retract this observation? It no longer counts anywhere, but stays in the history."), _("Retract"), _("Cancel"), _("Reason"));
        if (!why) return;
        try { await api("POST", "/api/retract", { id: rec.id, reason: why }); route(); }
        catch (e) { alert(e.message); }
      } }, _("Retract")) : null),
  ];
  for (const c of childKinds(def.kind)) parts.push(...observations(rec, c));
  try { parts.push(...historyBox(await api("GET", `/api/history?id=${encodeURIComponent(rec.id)}`), def)); }
  catch (e) { parts.push(el("p", { class: "notice err" }, e.message)); }
  show(...parts);
}

// A parent's observations (a model's progress): table, chart, add button.
function observations(rec, child) {
  const s = rec[child.kind] || { items: [] };
  const items = (s.items || []).slice().sort((a, b) => dateOf(child, a).localeCompare(dateOf(child, b)));
  const cols = child.fields.filter((f) => f.type !== "id");
  const ref = refField(child, rec.kind);
  const out = [el("h2", {}, kindName(child, true))];
  if (items.length === 0) out.push(el("p", { class: "muted" }, _("No observations yet.")));
  else {
    out.push(el("div", { class: "table-wrap" }, el("table", { id: "observations" },
      el("tr", {}, ...cols.map((f) => el("th", { class: isNum(f) ? "num" : null }, fieldLabel(f), f.unit ? ` (${unitText(f)})` : ""))),
      ...items.map((it) => el("tr", {}, ...cols.map((f) =>
        el("td", { class: isNum(f) ? "num" : null }, fmt(f, it.fields[f.name]))))))));
    out.push(chart(child, items, rec));
  }
  out.push(el("div", { class: "actions" }, el("a", { class: "button", id: "add-observation",
    href: `#/new/${child.kind}?${ref.name}=${rec.id}` }, _("Add an observation"))));
  return out;
}
function isNum(f) { return f.type === "int" || f.type === "decimal"; }
function dateOf(def, it) {
  const f = def.fields.find((f) => f.type === "date");
  return (f && it.fields[f.name]) || "";
}

// Line chart of every numeric field over the date, one line each, each
// scaled to its own maximum (hectares and households differ in size).
function chart(def, items, parent) {
  const NS = "http://www.w3.org/2000/svg";
  const W = 640, H = 240, L = 44, R = 44, T = 16, B = 34;
  const df = def.fields.find((f) => f.type === "date");
  const nums = def.fields.filter(isNum);
  const colors = ["#1f6f43", "#b35c00", "#2a5db0", "#7b3fa0"];
  const days = items.map((it) => Date.parse(it.fields[df.name]));
  const d0 = Math.min(...days), d1 = Math.max(...days);
  const x = (d) => L + (d1 === d0 ? (W - L - R) / 2 : ((d - d0) / (d1 - d0)) * (W - L - R));
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("id", "chart");
  const add = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  add("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#999" });
  const legend = el("div", { class: "legend" });
  nums.forEach((f, i) => {
    const planned = parent && parent.fields ? plannedFor(f, parent) : undefined;
    const vals = items.map((it) => Number(it.fields[f.name] || 0));
    const max = Math.max(...vals, planned || 0, 1);
    const y = (v) => H - B - (v / max) * (H - T - B);
    const pts = items.map((it, j) => `${x(days[j]).toFixed(1)},${y(vals[j]).toFixed(1)}`);
    const c = colors[i % colors.length];
    add("polyline", { points: pts.join(" "), fill: "none", stroke: c, "stroke-width": 2.5 });
    items.forEach((it, j) => add("circle", { cx: x(days[j]), cy: y(vals[j]), r: 3.5, fill: c }));
    if (planned) add("line", { x1: L, x2: W - R, y1: y(planned), y2: y(planned), stroke: c, "stroke-dasharray": "4 4" });
    add("text", { x: i % 2 ? W - R + 4 : 4, y: T + 10 + 14 * Math.floor(i / 2), fill: c }, fmt(f, max));
    const sp = el("span", {}, `${fieldLabel(f)}${f.unit ? ` (${unitText(f)})` : ""}`);
    sp.style.setProperty("--c", c);
    legend.append(sp);
  });
  add("text", { x: L, y: H - 10 }, fmtDate(items[0].fields[df.name]));
  if (items.length > 1) add("text", { x: W - R, y: H - 10, "text-anchor": "end" }, fmtDate(items[items.length - 1].fields[df.name]));
  const wrap = el("div", {}, legend);
  wrap.append(svg);
  return wrap;
}
// The parent's planned value for a child's numeric field (sown_ha -> planned_ha).
function plannedFor(f, parent) {
  for (const [k, v] of Object.entries(parent.fields))
    if (k === `planned_${f.name.replace(/^sown_/, "")}`) return Number(v);
  return undefined;
}

async function pageForm(kind, id, args) {
  let rec = null, def;
  if (id) {
    try { rec = await api("GET", `/api/record?id=${encodeURIComponent(id)}`); }
    catch (e) { return show(el("h1", {}, _("Record not found")), el("p", { class: "notice err" }, e.message)); }
    def = kindDef(rec.kind);
  } else def = kindDef(kind);
  if (!def) return pageHome();
  const inputs = {};
  const errs = {};
  const form = el("form", { class: "fields", novalidate: true, id: "record-form" });
  const top = el("div", { id: "form-notice" });
  for (const f of def.fields) {
    const fid = `f-${f.name}`;
    let input;
    const cur = rec ? rec.fields[f.name] : args.get(f.name) || undefined;
    if (f.type === "enum") {
      input = el("select", { id: fid, name: f.name },
        el("option", { value: "" }, "—"),
        ...choices(f).map((c) => el("option", { value: c.value, selected: c.value === cur }, c.label)));
    } else if (f.type === "id") {
      input = el("select", { id: fid, name: f.name }, el("option", { value: "" }, "—"));
      api("GET", `/api/records?kind=${f.ref}`).then((list) => {
        for (const r of list) input.append(el("option", { value: r.id, selected: r.id === cur }, title(r)));
        if (cur) input.value = cur;
      });
    } else if (f.type === "date") {
      input = el("input", { id: fid, name: f.name, type: "date", value: cur || "" });
    } else if (isNum(f)) {
      input = el("input", { id: fid, name: f.name, type: "text",
        inputmode: f.type === "int" ? "numeric" : "decimal",
        value: cur === undefined ? "" : String(cur).replace(".", lang === "en" ? "." : ",") });
    } else if (f.max_bytes > 300) {
      input = el("textarea", { id: fid, name: f.name, maxlength: maxChars(f) });
      input.value = cur || "";
    } else {
      input = el("input", { id: fid, name: f.name, type: "text", maxlength: maxChars(f), value: cur || "" });
    }
    inputs[f.name] = input;
    errs[f.name] = el("div", { class: "error", id: `${fid}-error`, role: "alert" });
    const hints = [];
    if (f.help) hints.push(f.help);
    if (f.type === "text") hints.push(_("up to {n} characters", { n: maxChars(f) }));
    if (isNum(f) && f.min !== undefined) hints.push(_("from {min} to {max}", { min: fmt(f, f.min), max: fmt(f, f.max) }));
    form.append(el("div", { class: `field${f.max_bytes > 300 ? " wide" : ""}`, id: `${fid}-wrap` },
      el("label", { for: fid }, fieldLabel(f), f.required ? el("span", { class: "req", title: _("required") }, " *") : null),
      input,
      f.unit ? el("span", { class: "unit" }, unitText(f)) : null,
      el("span", { class: "help" }, hints.join(" · ")),
      errs[f.name]));
  }
  const save = el("button", { type: "submit", id: "save" }, _("Save"));
  form.append(el("div", { class: "actions" }, save,
    el("a", { class: "button secondary", href: rec ? `#/record/${rec.id}` : `#/list/${def.kind}` }, _("Cancel"))));
  const submit = async (confirm) => {
    const fields = {};
    for (const f of def.fields) {
      const v = inputs[f.name].value.trim();
      if (rec) {
        const old = rec.fields[f.name] === undefined ? "" : String(rec.fields[f.name]);
        if (v === old || (isNum(f) && v.replace(",", ".") === old)) continue;
        if (v === "" && old === "") continue;
      } else if (v === "") continue;
      fields[f.name] = v;
    }
    for (const f of def.fields) {
      errs[f.name].textContent = "";
      document.getElementById(`f-${f.name}-wrap`).classList.remove("bad");
    }
    top.replaceChildren();
    save.disabled = true;
    try {
      const body = rec ? { id: rec.id, fields, confirm } : { kind: def.kind, fields, confirm };
      const r = await api("POST", "/api/save", body);
      const idf = def.fields.find((f) => f.type === "id");
      const back = def.append_only && idf ? inputs[idf.name].value : r.id;
      location.hash = `#/record/${back || r.id}`;
    } catch (e) {
      save.disabled = false;
      const d = e.data || {};
      if (e.status === 422 && d.errors) {
        for (const x of d.errors) {
          if (x.field && errs[x.field]) {
            errs[x.field].textContent = x.message;
            document.getElementById(`f-${x.field}-wrap`).classList.add("bad");
          } else top.append(el("p", { class: "notice err" }, x.message));
        }
        top.prepend(el("p", { class: "notice err", id: "form-errors" },
          _("Please correct the {n} marked fields. Nothing was saved.", { n: d.errors.length })));
        const first = d.errors.find((x) => x.field && inputs[x.field]);
        if (first) inputs[first.field].focus();
      } else if (e.status === 409 && d.warnings) {
        const again = el("button", { type: "button", id: "confirm-save", onclick: () => submit(true) }, _("Save anyway"));
        top.append(el("div", { class: "notice warn", id: "form-warnings" },
          el("p", {}, _("Please check before saving:")),
          el("ul", {}, ...d.warnings.map((w) => el("li", {}, `${fieldLabel(def.fields.find((f) => f.name === w.field) || { name: w.field })}: ${w.message}`))),
          el("div", { class: "actions" }, again)));
      } else {
        top.append(el("p", { class: "notice err" }, e.message));
      }
      top.scrollIntoView();
    }
  };
  form.addEventListener("submit", (ev) => { ev.preventDefault(); submit(false); });
  show(el("h1", {}, rec ? _("Edit: {title}", { title: title(rec) }) : _("New {kind}", { kind: kindName(def).toLowerCase() })),
    top, form);
}

function bytesText(n) {
  if (n < 1024) return _("{n} bytes", { n });
  if (n < 1048576) return _("{n} KB", { n: (n / 1024).toLocaleString(lang, { maximumFractionDigits: 1 }) });
  return _("{n} MB", { n: (n / 1048576).toLocaleString(lang, { maximumFractionDigits: 1 }) });
}

function outcomeText(r) {
  switch (r.outcome) {
  case "synced": return _("Synced: {up} sent, {down} received.", { up: r.pushed, down: r.pulled });
  case "unreachable": return _("No connection to HQ. Nothing is lost: your entries stay here and are sent at the next sync.");
  case "refused": return _("HQ refused: {why}", { why: r.message });
  case "not_enrolled": return _("This device is not enrolled with HQ yet.");
  default: return _("Sync failed: {why}", { why: r.message });
  }
}

async function pageSync() {
  const sy = state.sync || {};
  const bar = el("div", { id: "sync-bar" });
  const line = el("p", { id: "sync-line", class: "muted" }, "");
  const result = el("div", { id: "sync-result" });
  const btn = el("button", { type: "button", id: "sync-now" }, _("Sync now"));
  const paint = (s) => {
    const p = s.progress || {};
    const total = Math.max(p.to_push || 0, 1);
    const frac = s.running ? Math.min(1, (p.pushed || 0) / total) : (s.result && s.result.outcome === "synced" ? 1 : 0);
    bar.style.width = `${Math.round(frac * 100)}%`;
    line.textContent = _("Sent {pushed} of {to_push} entries · received {pulled} · {up} up, {down} down", {
      pushed: p.pushed || 0, to_push: p.to_push || 0, pulled: p.pulled || 0,
      up: bytesText(p.bytes_up || 0), down: bytesText(p.bytes_down || 0) });
    btn.disabled = !!s.running;
    if (s.result && !s.running)
      result.replaceChildren(el("p", { class: `notice ${s.result.outcome === "synced" ? "ok" : s.result.outcome === "unreachable" ? "warn" : "err"}`, id: "sync-outcome", "data-outcome": s.result.outcome },
        outcomeText(s.result), s.result.warning ? el("br") : null, s.result.warning || ""));
  };
  const poll = async () => {
    const s = await api("GET", "/api/sync");
    paint(s);
    if (s.running && location.hash.startsWith("#/sync")) setTimeout(poll, 250);
    else if (!s.running) { state = await api("GET", "/api/state"); holds.textContent = holdsText(state.sync); }
  };
  btn.addEventListener("click", async () => {
    result.replaceChildren();
    btn.disabled = true;
    try { paint(await api("POST", "/api/sync", {})); } catch (e) { result.replaceChildren(el("p", { class: "notice err" }, e.message)); }
    poll();
  });
  const holds = el("p", { id: "sync-holds" }, holdsText(sy));
  show(el("h1", {}, _("Sync")),
    el("p", {}, _("{n} changes waiting to be sent.", { n: (state.status || {}).pending || 0 })),
    holds,
    el("div", { class: "progress", role: "progressbar" }, bar), line,
    el("div", { class: "actions" }, btn, sy.enrolled ? null : el("a", { class: "button secondary", href: "#/enroll" }, _("Enroll with HQ"))),
    result);
  const s = await api("GET", "/api/sync");
  paint(s);
  if (s.running) poll();
}

function pageEnroll() {
  const link = el("textarea", { id: "enroll-link", placeholder: "fieldsync://enroll?…" });
  const file = el("input", { id: "enroll-file", type: "file", accept: ".txt,text/plain" });
  const msg = el("div", { id: "enroll-result" });
  file.addEventListener("change", async () => {
    if (file.files[0]) link.value = (await file.files[0].text()).trim();
  });
  const sy = state.sync || {};
  show(el("h1", {}, _("Enroll with HQ")),
    sy.enrolled ? el("p", { class: "notice ok" }, _("This device is enrolled with {server}.", { server: sy.server || "" })) : null,
    el("p", {}, _("Paste the enrollment link HQ gave you, or choose the file that holds it.")),
    el("form", { class: "fields", onsubmit: async (ev) => {
      ev.preventDefault();
      msg.replaceChildren(el("p", { class: "muted" }, _("Contacting HQ…")));
      try {
        state = await api("POST", "/api/enroll", { link: link.value.trim() });
        msg.replaceChildren(el("p", { class: "notice ok", id: "enroll-ok" }, _("Enrolled. You can sync now.")),
          el("a", { class: "button", href: "#/sync" }, _("Sync now")));
      } catch (e) { msg.replaceChildren(el("p", { class: "notice err", id: "enroll-error" }, e.message)); }
    } },
    el("div", { class: "field wide" }, el("label", { for: "enroll-link" }, _("Enrollment link")), link),
    el("div", { class: "field wide" }, el("label", { for: "enroll-file" }, _("or a file")), file),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "enroll-go" }, _("Enroll")))),
    msg);
}

// ---- start ---------------------------------------------------------------

document.getElementById("lang").addEventListener("change", async (ev) => {
  localStorage.setItem("fieldsync.lang", ev.target.value);
  await loadLang(ev.target.value);
  route();
});
window.addEventListener("hashchange", route);
(async () => {
  await loadLang(chooseLang());
  route();
})();
