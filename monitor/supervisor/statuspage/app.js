// The status page: polls /status every second and redraws. Every value
// from the server goes into the DOM as text (textContent), never as HTML.
"use strict";

const PHASES = ["sdown", "odown", "elected", "promoted", "switched", "reconfigured"];
const POLL_MS = 1000;
const SVGNS = "http://www.w3.org/2000/svg";
let previous = null;
let renders = 0;
let lastPoll = 0;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function age(ms) {
  if (ms === undefined || ms === null || ms < 0) return "never";
  if (ms < 1000) return ms + " ms";
  if (ms < 120000) return (ms / 1000).toFixed(1) + " s";
  return Math.round(ms / 60000) + " min";
}

function dur(ms) { return ms < 1000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(2) + " s"; }
function time(iso) { return iso ? new Date(iso).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : ""; }

function table(headers, rows) {
  return el("table", {}, el("thead", {}, el("tr", {}, headers.map(h => el("th", {}, h)))), el("tbody", {}, rows));
}

function link(up) { return el("span", { class: up ? "up" : "down" }, up ? "up" : "down"); }

function replicaRows(m) {
  return m.replicas.map(r => el("tr", { class: "replica", "data-address": r.address },
    el("td", {}, r.address), el("td", {}, r.role || ""), el("td", {}, r.flags), el("td", {}, link(r.link_up)),
    el("td", {}, age(r.last_ok_ping_ms)), el("td", {}, age(r.info_refresh_ms)), el("td", {}, r.priority),
    el("td", {}, r.repl_offset), el("td", {}, r.master_link_up ? "up" : "down" + (r.master_link_down_s ? " " + r.master_link_down_s + " s" : "")),
    el("td", { class: "reason " + (r.promotable ? "good" : "bad") }, r.promotable ? "promotable" : r.reason)));
}

function sentinelRows(m) {
  return m.sentinels.map(s => el("tr", { class: "sentinel" },
    el("td", {}, s.address), el("td", { title: s.runid }, (s.runid || "").slice(0, 8)), el("td", {}, s.flags),
    el("td", {}, link(s.link_up)), el("td", {}, age(s.last_ok_ping_ms)), el("td", {}, age(s.last_hello_ms)),
    el("td", {}, s.voted_leader ? s.voted_leader.slice(0, 8) + " @" + s.voted_leader_epoch : "")));
}

// timelineBar draws one failover: a segment per phase, from when it was
// reached to the next phase, on a scale from the record's start to its end.
function timelineBar(r) {
  const W = 420, H = 34;
  const start = Date.parse(r.start);
  const phases = (r.phases || []).filter(p => PHASES.includes(p.name))
    .map(p => ({ name: p.name, t: Date.parse(p.at) })).sort((a, b) => a.t - b.t);
  let end = r.end ? Date.parse(r.end) : Date.now();
  if (phases.length) end = Math.max(end, phases[phases.length - 1].t);
  const span = Math.max(end - start, 1);
  const x = t => 4 + (W - 8) * (t - start) / span;
  const s = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "failover timeline" });
  s.append(svg("rect", { x: 4, y: 4, width: W - 8, height: 14, fill: "#eaeef2", rx: 3 }));
  let lastLabel = -100;
  phases.forEach((p, i) => {
    const next = i + 1 < phases.length ? phases[i + 1].t : end;
    const w = Math.max(x(next) - x(p.t), 2);
    const seg = svg("rect", { x: x(p.t), y: 4, width: w, height: 14, style: `fill: var(--${p.name}, #888)`, class: "phase", "data-phase": p.name });
    seg.append(svg("title", {}, `${p.name} at +${dur(p.t - start)} (${dur(next - p.t)} until the next)`));
    s.append(seg);
    // A label under each phase start that has room for one.
    const lx = Math.min(x(p.t), W - 40);
    if (lx - lastLabel >= 34) {
      s.append(svg("text", { x: lx, y: 30, "font-size": 9, fill: "#57606a" }, p.name.slice(0, 6)));
      lastLabel = lx;
    }
  });
  return s;
}

function historyRows(m) {
  const rs = (m.history || []).slice().reverse();
  return rs.map(r => {
    const start = Date.parse(r.start);
    const end = r.end ? Date.parse(r.end) : null;
    const phases = (r.phases || []).map(p => `${p.name} +${dur(Date.parse(p.at) - start)}`).join(" · ");
    return el("tr", { class: "failover", "data-master": m.name, "data-result": r.result },
      el("td", {}, time(r.start)),
      el("td", {}, r.result + (r.last_abort ? " (" + r.last_abort + ")" : ""),
        el("div", { class: "meta" }, (r.leader ? "leader " + r.leader.slice(0, 8) : "leader ?") +
          (r.epoch ? " · epoch " + r.epoch : "") + (r.attempts ? " · " + r.attempts + " attempt(s) here" : ""))),
      el("td", {}, (r.from || "?") + " → " + (r.to || "?")),
      el("td", {}, end ? dur(end - start) : "…"),
      el("td", { class: "bar" }, timelineBar(r), el("div", { class: "phases" }, phases)));
  });
}

function blockers(m) {
  if (!m.blockers.length) {
    return el("div", { class: "blockers none" }, "A failover could start now if the master went down.");
  }
  const title = m.status === "ok" ? "A failover could not happen now:" : "Why this master is not failing over:";
  return el("div", { class: "blockers some" }, title, el("ul", {}, m.blockers.map(b => el("li", {}, b))));
}

function masterCard(m) {
  const rd = m.readiness;
  return el("section", { class: "master", id: "master-" + m.name, "data-status": m.status },
    el("h2", {}, m.name, el("span", { class: "badge " + m.status }, m.status),
      m.failover_state !== "none" ? el("span", { class: "badge neutral" }, "failover: " + m.failover_state + " " + age(m.failover_state_age_ms)) : null,
      m.paused_until ? el("span", { class: "badge sdown paused", title: "SENTINEL PAUSE" }, "paused until " + time(m.paused_until)) : null),
    el("div", { class: "facts" },
      el("span", {}, "master ", el("b", { class: "current-address" }, m.current_address)),
      el("span", {}, "flags ", el("b", {}, m.flags)),
      el("span", {}, "link ", link(m.link_up), " ok ping ", el("b", {}, age(m.last_ok_ping_ms))),
      el("span", {}, "config epoch ", el("b", {}, m.config_epoch)),
      el("span", {}, "voted ", el("b", {}, m.leader ? m.leader.slice(0, 8) + " @" + m.leader_epoch : "none")),
      el("span", {}, "quorum ", el("b", {}, m.quorum)),
      el("span", {}, "sentinels reachable ", el("b", {}, rd.reachable_sentinels + "/" + rd.voters)),
      el("span", {}, "promotable replicas ", el("b", {}, rd.promotable_replicas)),
      el("span", {}, "down-after ", el("b", {}, dur(m.down_after_ms))),
      el("span", {}, "failover-timeout ", el("b", {}, dur(m.failover_timeout_ms)))),
    blockers(m),
    el("h3", {}, "Replicas"),
    table(["address", "role", "flags", "link", "last ok ping", "INFO age", "priority", "offset", "master link", "promotion"], replicaRows(m)),
    el("h3", {}, "Sentinels"),
    table(["address", "run id", "flags", "link", "last ok ping", "last hello", "voted for"], sentinelRows(m)),
    el("h3", {}, "Failovers"),
    el("div", { class: "legend" }, PHASES.map(p => el("span", { style: `--c: var(--${p})` }, p))),
    el("table", { class: "timeline" },
      el("thead", {}, el("tr", {}, ["started", "result", "from → to", "took", "timeline"].map(h => el("th", {}, h)))),
      el("tbody", {}, historyRows(m))));
}

function note(text) {
  const li = el("li", {}, time(new Date().toISOString()) + "  " + text);
  document.getElementById("activity").prepend(li);
}

// observe notes what changed since the previous poll.
function observe(prev, cur) {
  if (!prev) return;
  if (prev.tilt !== cur.tilt) note(cur.tilt ? "entered TILT" : "left TILT");
  const before = new Map(prev.masters.map(m => [m.name, m]));
  for (const m of cur.masters) {
    const p = before.get(m.name);
    if (!p) { note(`${m.name}: now monitored`); continue; }
    if (p.status !== m.status) note(`${m.name}: ${p.status} → ${m.status}`);
    if (p.failover_state !== m.failover_state) note(`${m.name}: failover state ${m.failover_state}`);
    if (p.current_address !== m.current_address) note(`${m.name}: master is now ${m.current_address}`);
    const ph = (p.history || []).length, h = (m.history || []).length;
    const last = h ? m.history[h - 1] : null, plast = ph ? p.history[ph - 1] : null;
    if (last && (!plast || plast.start !== last.start || plast.result !== last.result)) {
      note(`${m.name}: failover ${last.result}${last.to ? " to " + last.to : ""}`);
    }
  }
}

function render(st) {
  const body = document.body;
  renders++;
  if (renders === 1) {
    body.dataset.firstFailovers = st.masters.reduce((n, m) => n + (m.history || []).length, 0);
    body.dataset.firstStatus = st.masters.map(m => m.status).join(",");
  }
  body.dataset.renders = renders;
  body.dataset.lastUpdate = st.at;
  const sum = document.getElementById("summary");
  sum.replaceChildren(
    "myid ", el("code", {}, (st.myid || "").slice(0, 12)), "  ·  epoch ", String(st.current_epoch),
    "  ·  ", String(st.masters.length), " master(s)  ·  ", st.version || "",
    st.tilt ? el("span", { class: "badge tilt", title: "since " + time(st.tilt_since) + ": " + (st.tilt_cause || "") }, " TILT ") : "",
    st.tilt ? el("span", { class: "tilt-cause" }, " " + (st.tilt_cause || "")) : "");
  document.getElementById("masters").replaceChildren(...st.masters.map(masterCard));
  observe(previous, st);
  previous = st;
}

async function poll() {
  const live = document.getElementById("live");
  try {
    // A hidden tab polls every 10 s only.
    if (document.hidden && Date.now() - lastPoll < 10 * POLL_MS) { setTimeout(poll, POLL_MS); return; }
    lastPoll = Date.now();
    const r = await fetch("status?events=0", { cache: "no-store" });
    if (!r.ok) throw new Error(r.status);
    render(await r.json());
    live.classList.remove("stale");
    live.title = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    live.classList.add("stale");
    live.title = "cannot read /status: " + e;
  }
  setTimeout(poll, POLL_MS);
}

poll();
