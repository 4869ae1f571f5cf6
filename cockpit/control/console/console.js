// The tablet console of the wall (cockpit/control/console). Served with a strict
// Content-Security-Policy: this file is the page's only script.
//
// Rules kept throughout: the token lives in sessionStorage only and travels only in the
// Authorization header; every text that came from the wall (layout names, alert titles,
// node names, briefing notes) is put in with textContent / createElement, never parsed as
// HTML; strings from the wall are never keys of plain objects (Map instead).
"use strict";

const $ = (id) => document.getElementById(id);
const TZ = "Asia/Shanghai"; // the city's time: what the wall shows and the replay API reads
const CITY = "370700";
const HOUR = 3600 * 1000;
const SEVERITY = new Map([["critical", "紧急"], ["major", "重要"], ["minor", "一般"], ["info", "提示"]]);
const STATE = new Map([["open", "待确认"], ["acked", "已确认"], ["cleared", "已解除"]]);
const CAROUSEL = new Map([["stopped", "已停止"], ["running", "轮播中"], ["paused", "手动暂停"],
                          ["held", "告警接管"], ["none", "未配置"], ["unknown", "状态未知"]]);
const NODE_STATE = new Map([["online", "在线"], ["offline", "离线"], ["unknown", "状态未知"]]);

let token = sessionStorage.getItem("cockpit-token") || "";
let status = null;       // the last GET /api/status
let skew = 0;            // the wall's clock minus ours (ms), from the Date header
let view = "layouts";
let rangeHours = 24;
let speed = 60;
let dragging = null;     // the moment (ms) under the finger while the scrubber is dragged
const cards = new Map(); // layout id -> its card
const districtPaths = new Map(); // district code -> its <path>
const districtNames = new Map();
let alertsOpen = 0;

// -- small helpers ---------------------------------------------------------------------------
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
let msgTimer = 0;
function say(text) {
  $("msg").textContent = text;
  clearTimeout(msgTimer);
  if (text) msgTimer = setTimeout(() => { $("msg").textContent = ""; }, 4000);
}
const parts = new Intl.DateTimeFormat("zh-CN", {timeZone: TZ, year: "numeric", month: "2-digit",
  day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"});
function fields(ms) {
  const out = new Map();
  for (const p of parts.formatToParts(new Date(ms))) out.set(p.type, p.value);
  return out;
}
// "2026-12-02 08:05:00", the city's local time (what the API takes and the status gives)
function local(ms) {
  const f = fields(ms);
  return `${f.get("year")}-${f.get("month")}-${f.get("day")} ${f.get("hour")}:${f.get("minute")}:${f.get("second")}`;
}
function shortTime(ms) {
  const f = fields(ms);
  return `${f.get("month")}-${f.get("day")} ${f.get("hour")}:${f.get("minute")}`;
}
function parseLocal(text) { // the status's local times
  return text ? Date.parse(text.replace(" ", "T") + "+08:00") : NaN;
}
const wallNow = () => Date.now() + skew;

// -- the API ---------------------------------------------------------------------------------
class Unauthorized extends Error {}
async function api(path, body) {
  const headers = {"Authorization": "Bearer " + token};
  const opts = {method: "GET", headers, cache: "no-store", credentials: "omit"};
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    opts.method = "POST";
    opts.body = JSON.stringify(Object.assign({ts: Date.now() / 1000, sender: "控制台"}, body));
  }
  const r = await fetch(path, opts);
  if (r.status === 401) { askToken("口令错误或缺失，请重新输入"); throw new Unauthorized(); }
  return r;
}
async function command(path, body, done) {
  try {
    const r = await api(path, body);
    const j = await r.json();
    say(r.ok ? done : "未执行：" + (j.error || r.status));
    refresh();
    return r.ok ? j : null;
  } catch (e) {
    if (!(e instanceof Unauthorized)) say("连接失败");
    return null;
  }
}
async function picture(path) { // an image URL (a blob: the token cannot ride on an <img src>)
  try {
    const r = await api(path);
    return r.ok ? URL.createObjectURL(await r.blob()) : null;
  } catch (e) { return null; }
}
function setPicture(img, url) {
  if (!url) return;
  const old = img.src;
  img.src = url;
  if (old.startsWith("blob:")) URL.revokeObjectURL(old);
}

// -- the token ---------------------------------------------------------------------------------
function askToken(why) {
  $("login").hidden = false;
  if (why) say(why);
  $("token").focus();
}
$("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  token = $("token").value.trim();
  $("token").value = "";
  if (!token) return;
  sessionStorage.setItem("cockpit-token", token);
  $("login").hidden = true;
  start();
});
$("logout").addEventListener("click", () => {
  sessionStorage.removeItem("cockpit-token");
  token = "";
  askToken("");
});

// -- views -----------------------------------------------------------------------------------------
function show(name) {
  view = name;
  for (const b of document.querySelectorAll(".rail-btn")) {
    if (b.dataset.view === name) b.setAttribute("aria-current", "page"); else b.removeAttribute("aria-current");
  }
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== "view-" + name;
  if (name === "screens") refreshScreens();
  if (name === "alerts") refreshAlerts();
  if (name === "map") loadMap();
}
for (const b of document.querySelectorAll(".rail-btn")) b.addEventListener("click", () => show(b.dataset.view));
const wide = window.matchMedia("(min-width: 1600px)");
const alertsShown = () => view === "alerts" || wide.matches;

// -- status ----------------------------------------------------------------------------------------
async function refresh() {
  if (!token) return;
  let s;
  try {
    const r = await api("/api/status");
    if (!r.ok) return;
    const date = Date.parse(r.headers.get("Date") || "");
    if (!Number.isNaN(date)) skew = Math.abs(date - Date.now()) > 2000 ? date - Date.now() : 0;
    s = await r.json();
  } catch (e) { return; }
  status = s;
  buildLayouts(s);
  for (const [id, card] of cards) card.classList.toggle("current", id === s.layout);
  const current = (s.layouts || []).find((l) => l.id === s.layout);
  $("chip-layout").textContent = "布局 " + (current ? current.name : s.layout);
  const car = s.carousel || {state: "none"};
  $("chip-carousel").textContent = "轮播 " + (CAROUSEL.get(car.state) || car.state);
  $("car-toggle").textContent = car.state === "running" ? "停止轮播" : "开始轮播";
  $("car-toggle").disabled = car.state === "none";
  $("chip-takeover").hidden = !s.takeover;
  $("chip-takeover").textContent = s.takeover ? "告警接管：" + (s.takeover.title || "") : "";
  showReplay(s.replay || {state: "live"});
  showBrief(s.brief);
  if (view === "screens") buildNodes(s);
}

function buildLayouts(s) {
  if (cards.size) return;
  const box = $("layouts");
  const todo = [];
  for (const l of s.layouts || []) {
    const card = el("button", "card");
    card.type = "button";
    card.dataset.layout = l.id;
    const img = el("img");
    img.alt = l.name;
    card.appendChild(img);
    const name = el("div", "name");
    name.appendChild(el("span", "", l.name));
    name.appendChild(el("span", "tag", "大屏显示中"));
    card.appendChild(name);
    card.addEventListener("click", () => command("/api/switch", {layout: l.id}, "已切换到 " + l.name));
    box.appendChild(card);
    cards.set(l.id, card);
    todo.push([l.id, img]);
  }
  loadThumbs(todo);
}
// One at a time: all at once they took the browser's six connections to the wall, and a
// switch pressed meanwhile waited behind them.
async function loadThumbs(todo) {
  for (const [id, img] of todo) {
    if (status && id === status.layout) await liveThumb();
    else {
      const url = await picture("/api/thumbs/" + encodeURIComponent(id) + ".png");
      if (url) setPicture(img, url); else img.closest(".card").classList.add("nothumb");
    }
  }
}
// The layout on the wall shows what the wall shows now (screen 1), the rest their rendering.
async function liveThumb() {
  if (!status || view !== "layouts" || document.hidden) return;
  const card = cards.get(status.layout);
  if (card) setPicture(card.querySelector("img"), await picture("/api/screens/1.png"));
}

$("car-toggle").addEventListener("click", () => {
  const running = status && status.carousel && status.carousel.state === "running";
  command("/api/carousel", {action: running ? "stop" : "start"}, running ? "轮播已停止" : "轮播已开始");
});

// -- the wall's screens, per node ---------------------------------------------------------------
const shots = new Map(); // "node/screen" -> its <img>
function nodeList(s) {
  const here = s.node || "wall";
  const out = [{name: here, state: "online", lead: !!s.lead, screens: s.screens || 0, mine: true}];
  for (const [name, n] of Object.entries(s.nodes || {})) {
    if (name === here) continue;
    out.push({name, state: n.state || (n.online ? "online" : "offline"), lead: !!n.lead, screens: n.screens || 0, mine: false});
  }
  return out;
}
function buildNodes(s) {
  const box = $("nodes");
  const want = nodeList(s);
  const key = JSON.stringify(want.map((n) => [n.name, n.state, n.lead, n.screens]));
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.textContent = "";
  shots.clear();
  for (const n of want) {
    const sec = el("div", "node");
    const h = el("h3", "", (s.node ? "节点 " + n.name : "本机") + (n.lead && s.node ? "（主控）" : ""));
    h.appendChild(el("span", "state " + n.state, NODE_STATE.get(n.state) || n.state));
    sec.appendChild(h);
    const grid = el("div", "shots");
    if (n.state !== "online") grid.appendChild(el("div", "empty", "该节点当前无法取得画面"));
    for (let i = 1; n.state === "online" && i <= n.screens; i++) {
      const fig = el("div", "shot");
      const img = el("img");
      img.alt = "屏 " + i;
      fig.appendChild(img);
      fig.appendChild(el("div", "cap", "屏 " + i));
      grid.appendChild(fig);
      shots.set(n.name + "/" + i, {img, path: n.mine ? "/api/screens/" + i + ".png"
        : "/api/nodes/" + encodeURIComponent(n.name) + "/screens/" + i + ".png"});
    }
    sec.appendChild(grid);
    box.appendChild(sec);
  }
}
let shooting = false;
async function refreshScreens() {
  if (!status || view !== "screens" || document.hidden || shooting) return;
  buildNodes(status);
  shooting = true;
  try {
    for (const {img, path} of [...shots.values()]) setPicture(img, await picture(path));
  } finally { shooting = false; }
}

// -- alerts --------------------------------------------------------------------------------------------
async function refreshAlerts() {
  if (!token) return;
  let j;
  try {
    const r = await api("/api/alerts?limit=100");
    if (!r.ok) return;
    j = await r.json();
  } catch (e) { return; }
  const list = j.alerts || [];
  alertsOpen = list.filter((a) => a.state === "open").length;
  $("alert-badge").hidden = alertsOpen === 0;
  $("alert-badge").textContent = String(alertsOpen);
  $("alerts-note").textContent = `待确认 ${alertsOpen} 条 · 共 ${list.length} 条${j.truncated ? "（仅显示最新）" : ""}`;
  $("ack-all").disabled = alertsOpen === 0;
  const key = JSON.stringify(list);
  if (!alertsShown() || $("alerts").dataset.key === key) return;
  const box = $("alerts");
  box.dataset.key = key;
  box.textContent = "";
  if (!list.length) box.appendChild(el("li", "empty", "暂无待处理告警"));
  for (const a of list) {
    const sev = SEVERITY.has(a.severity) ? a.severity : "info";
    const li = el("li", "alert " + sev + (a.state === "acked" ? " acked" : ""));
    li.dataset.id = a.id;
    li.appendChild(el("div", "sev"));
    const body = el("div");
    body.appendChild(el("div", "title", a.title));
    const meta = el("div", "meta");
    meta.appendChild(el("span", "lvl", SEVERITY.get(sev)));
    meta.appendChild(document.createTextNode(
      [shortTime(a.ts * 1000), districtNames.get(a.district) || a.district || "", STATE.get(a.state) || a.state]
        .filter(Boolean).join(" · ")));
    body.appendChild(meta);
    li.appendChild(body);
    if (a.state === "open") {
      const b = el("button", "btn warn ack", "确认");
      b.type = "button";
      b.addEventListener("click", async () => {
        b.disabled = true;
        await command("/api/ack", {alert_ids: [a.id]}, "告警已确认");
        refreshAlerts();
      });
      li.appendChild(b);
    } else {
      li.appendChild(el("span", "done", "✓ 已确认"));
    }
    box.appendChild(li);
  }
}
$("ack-all").addEventListener("click", async () => {
  const ids = [...document.querySelectorAll("#alerts li.alert")]
    .filter((li) => li.querySelector("button.ack")).map((li) => li.dataset.id).slice(0, 100);
  if (!ids.length) return;
  await command("/api/ack", {alert_ids: ids}, `已确认 ${ids.length} 条告警`);
  refreshAlerts();
});

// -- the district map -------------------------------------------------------------------------------
const SVG = "http://www.w3.org/2000/svg";
let mapLoading = null; // one load at a time (the start and the map view both ask)
function loadMap() {
  if (!token) return Promise.resolve();
  if (!mapLoading) mapLoading = drawMap().then((ok) => { if (!ok) mapLoading = null; });
  return mapLoading;
}
async function drawMap() {
  let j;
  try {
    const r = await api("/api/districts");
    if (!r.ok) return false;
    j = await r.json();
  } catch (e) { return false; }
  const svg = $("map");
  svg.setAttribute("viewBox", `0 0 ${Number(j.width)} ${Number(j.height)}`);
  const labels = [];
  for (const d of j.districts) {
    districtNames.set(d.code, d.name);
    const p = document.createElementNS(SVG, "path");
    p.setAttribute("d", d.path);
    p.dataset.code = d.code;
    const title = document.createElementNS(SVG, "title");
    title.textContent = d.name;
    p.appendChild(title);
    p.addEventListener("click", () => drill(d.code, d.name));
    svg.appendChild(p);
    districtPaths.set(d.code, p);
    const t = document.createElementNS(SVG, "text");
    t.setAttribute("x", String(Number(d.label[0])));
    t.setAttribute("y", String(Number(d.label[1])));
    t.textContent = d.name;
    labels.push(t);
  }
  for (const t of labels) svg.appendChild(t); // above every outline
  return true;
}
function drill(code, name) {
  for (const [c, p] of districtPaths) p.classList.toggle("on", c === code);
  command("/api/drill", {district: code}, code === CITY ? "大屏已返回全市" : "大屏已进入 " + name);
}
$("city").addEventListener("click", () => drill(CITY, "全市"));

// -- the briefing -------------------------------------------------------------------------------------
function showBrief(b) {
  $("brief-title").textContent = b ? b.title : "未载入简报";
  $("brief-step").textContent = b ? `第 ${b.step}/${b.steps} 步` : "用命令 cockpit brief run 文件 或下方按钮载入";
  $("brief-note").textContent = b && b.note ? b.note : "";
  const shows = b && b.shows ? b.shows : null;
  const bits = [];
  if (shows) {
    const layout = status && (status.layouts || []).find((l) => l.id === shows.layout);
    if (shows.layout) bits.push("布局 " + (layout ? layout.name : shows.layout));
    if (shows.district) bits.push("区县 " + (districtNames.get(shows.district) || shows.district));
    if (shows.replay) bits.push("回放 " + [shows.replay.from, shows.replay.to].filter(Boolean).join(" 至 "));
  }
  $("brief-shows").textContent = bits.join(" · ");
  for (const id of ["brief-prev", "brief-next", "brief-end"]) $(id).disabled = !b;
}
$("brief-prev").addEventListener("click", () => command("/api/brief", {op: "prev"}, "上一步"));
$("brief-next").addEventListener("click", () => command("/api/brief", {op: "next"}, "下一步"));
$("brief-end").addEventListener("click", () => command("/api/brief", {op: "end"}, "简报已结束"));
$("brief-file").addEventListener("change", async (ev) => {
  const file = ev.target.files && ev.target.files[0];
  ev.target.value = "";
  if (!file) return;
  if (file.size > 14000) { say("简报文件过大（控制接口上限 16 KB）"); return; }
  command("/api/brief", {op: "load", name: file.name, text: await file.text()}, "简报已载入");
});

// -- the replay scrubber ---------------------------------------------------------------------------
function range() { // the scrubber's span, ms: the last rangeHours up to the wall's now
  const end = wallNow();
  return [end - rangeHours * HOUR, end];
}
const at = (ms) => { const [a, b] = range(); return Math.min(1, Math.max(0, (ms - a) / (b - a))); };
function momentAt(clientX) {
  const r = $("track-inner").getBoundingClientRect();
  const [a, b] = range();
  return a + Math.min(1, Math.max(0, (clientX - r.left) / r.width)) * (b - a);
}
function placeThumb(ms, replaying) {
  const thumb = $("thumb");
  thumb.style.left = (at(ms) * 100) + "%";
  thumb.classList.toggle("replay", replaying);
  $("track").setAttribute("aria-valuetext", replaying ? "回放 " + local(ms) : "实时");
}
let replay = {state: "live"};
function showReplay(r) {
  replay = r;
  const live = r.state === "live";
  const moment = parseLocal(r.moment);
  $("chip-time").textContent = live ? "实时" : `回放 ${r.moment}（${r.state === "paused" ? "已暂停" : r.speed + "×"}）`;
  $("chip-time").classList.toggle("replay", !live);
  $("moment").textContent = live ? "实时 · 拖动时间轴开始回放" : `回放 ${r.moment}  ${r.state === "paused" ? "已暂停" : r.speed + "×"}`;
  $("moment").classList.toggle("replay", !live);
  $("play").textContent = r.state === "playing" ? "❚❚ 暂停" : "▶ 播放";
  for (const id of ["play", "step-back", "step-fwd", "live"]) $(id).disabled = live;
  if (!live && rangeHours < 168 && parseLocal(r.from) < range()[0]) setRange(168); // keep it in sight
  const span = $("span");
  span.hidden = live;
  if (!live) {
    const a = at(parseLocal(r.from)), b = at(parseLocal(r.to));
    span.style.left = (a * 100) + "%";
    span.style.width = (Math.max(0, b - a) * 100) + "%";
  }
  if (dragging === null) placeThumb(live ? wallNow() : moment, !live);
  if (!live && r.speed) markOn("#speeds", "speed", String(r.speed));
}
function markOn(group, attr, value) {
  for (const b of document.querySelectorAll(group + " .seg-btn")) b.classList.toggle("on", b.dataset[attr] === value);
}
function drawTicks() {
  const box = $("ticks");
  box.textContent = "";
  const [a, b] = range();
  const n = 6;
  for (let i = 0; i <= n; i++) {
    const ms = a + (b - a) * i / n;
    const t = el("span", "tick", i === n ? "现在" : shortTime(ms));
    t.style.left = (i / n * 100) + "%";
    if (i === 0) t.style.transform = "none";
    if (i === n) t.style.transform = "translateX(-100%)";
    box.appendChild(t);
  }
}
async function refreshMarks() {
  if (!token) return;
  drawTicks();
  const [a, b] = range();
  let j;
  try {
    const r = await api(`/api/alerts?from=${Math.floor(a / 1000)}&to=${Math.ceil(b / 1000)}&limit=500`);
    if (!r.ok) return;
    j = await r.json();
  } catch (e) { return; }
  const box = $("marks");
  box.textContent = "";
  for (const m of j.alerts || []) {
    const sev = SEVERITY.has(m.severity) ? m.severity : "info";
    const d = el("div", "mark " + sev);
    d.style.left = (at(m.ts * 1000) * 100) + "%";
    d.title = shortTime(m.ts * 1000) + " " + (m.title || "");
    box.appendChild(d);
  }
  box.dataset.count = String((j.alerts || []).length);
}
function replayTo(ms) {
  const now = wallNow();
  const from = Math.min(ms, now - 60 * 1000); // a replay needs a span before now
  const inSpan = replay.state !== "live" && from >= parseLocal(replay.from) && from <= parseLocal(replay.to);
  $("track").dataset.moment = String(Math.round(from));
  if (inSpan) return command("/api/replay", {op: "seek", at: local(from)}, "回放跳转到 " + local(from));
  return command("/api/replay", {op: "start", from: local(from), to: local(now), speed},
                 "大屏回放 " + local(from) + " 起");
}
const track = $("track");
track.addEventListener("pointerdown", (ev) => {
  track.setPointerCapture(ev.pointerId);
  dragging = momentAt(ev.clientX);
  $("thumb").classList.add("dragging");
  drag(ev);
});
function drag(ev) {
  if (dragging === null) return;
  dragging = momentAt(ev.clientX);
  placeThumb(dragging, true);
  $("thumb-label").textContent = local(dragging);
}
track.addEventListener("pointermove", drag);
function release(ev, commit) {
  if (dragging === null) return;
  const ms = momentAt(ev.clientX);
  dragging = null;
  $("thumb").classList.remove("dragging");
  if (commit) replayTo(ms); else showReplay(replay);
}
track.addEventListener("pointerup", (ev) => release(ev, true));
track.addEventListener("pointercancel", (ev) => release(ev, false));
track.addEventListener("keydown", (ev) => { // a keyboard can scrub too: arrows move 1/100
  const step = (ev.key === "ArrowLeft" ? -1 : ev.key === "ArrowRight" ? 1 : 0) * rangeHours * HOUR / 100;
  if (!step) return;
  ev.preventDefault();
  const base = replay.state === "live" ? wallNow() : parseLocal(replay.moment);
  replayTo(base + step);
});
function setRange(hours) {
  rangeHours = hours;
  markOn("#ranges", "range", String(hours));
  refreshMarks();
}
for (const b of document.querySelectorAll("#ranges .seg-btn")) {
  b.addEventListener("click", () => { setRange(Number(b.dataset.range)); showReplay(replay); });
}
for (const b of document.querySelectorAll("#speeds .seg-btn")) {
  b.addEventListener("click", () => {
    speed = Number(b.dataset.speed);
    markOn("#speeds", "speed", b.dataset.speed);
    if (replay.state !== "live") command("/api/replay", {op: "speed", speed}, `回放速度 ${speed}×`);
  });
}
$("play").addEventListener("click", () => {
  if (replay.state === "playing") command("/api/replay", {op: "pause"}, "回放已暂停");
  else if (replay.state === "paused") command("/api/replay", {op: "resume"}, "回放继续");
});
$("step-back").addEventListener("click", () => command("/api/replay", {op: "step", seconds: -300}, "后退 5 分钟"));
$("step-fwd").addEventListener("click", () => command("/api/replay", {op: "step", seconds: 300}, "前进 5 分钟"));
$("live").addEventListener("click", () => command("/api/replay", {op: "live"}, "大屏已返回实时"));

// -- running -------------------------------------------------------------------------------------------
let timers = [];
function start() {
  for (const t of timers) clearInterval(t);
  timers = [
    setInterval(refresh, 3000),
    setInterval(() => { if (!document.hidden) refreshAlerts(); }, 5000),
    setInterval(refreshScreens, 8000),
    setInterval(liveThumb, 10000),
    setInterval(refreshMarks, 20000),
  ];
  refresh().then(() => { loadMap(); refreshAlerts(); refreshMarks(); });
}
document.addEventListener("visibilitychange", () => { if (!document.hidden) { refresh(); refreshScreens(); } });
markOn("#ranges", "range", String(rangeHours));
markOn("#speeds", "speed", String(speed));
drawTicks();
if (token) start(); else askToken("");
