"""The control page for a tablet: one static HTML file, no secret in it.

It asks for the token once and keeps it in the tab's sessionStorage (never a cookie, never
the URL); every call sends it in the Authorization header with a JSON body carrying the time
and the sender. Thumbnails and screen pictures are fetched the same way and shown as blobs.
"""

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>潍坊城市大脑 · 大屏控制</title>
<style>
body{background:#07152b;color:#e6f1ff;font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;padding:16px}
h1{font-size:22px;margin:0 0 12px}
button{background:#0f2c52;color:#e6f1ff;border:1px solid #27c6f2;border-radius:6px;padding:10px 16px;font-size:16px;margin:4px}
button.current{background:#27c6f2;color:#07152b}
input,select{font-size:16px;padding:8px;border-radius:6px;border:1px solid #27c6f2;background:#0b1f3d;color:#e6f1ff}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#0b1f3d;border:1px solid #1b4a7a;border-radius:8px;padding:8px;width:300px}
.card img{width:100%;aspect-ratio:16/9;background:#0f2c52;display:block}
section{margin:16px 0}#msg{color:#ffd166;min-height:1.4em}#status{white-space:pre-wrap;font-size:13px;color:#9fb3c8}
</style></head><body>
<h1>潍坊城市大脑 · 大屏控制</h1>
<section id="login"><input id="token" type="password" placeholder="控制口令（大屏按 F2 显示二维码）" size="34">
<button id="save">确定</button></section>
<div id="msg"></div>
<section><h2>布局</h2><div class="cards" id="layouts"></div></section>
<section><h2>轮播</h2><button id="car-start">开始轮播</button><button id="car-stop">停止轮播</button>
<span id="car-state"></span></section>
<section><h2>区县下钻</h2><select id="district">
<option value="370702">潍城区</option><option value="370703">寒亭区</option><option value="370704">坊子区</option>
<option value="370705">奎文区</option><option value="370724">临朐县</option><option value="370725">昌乐县</option>
<option value="370781">青州市</option><option value="370782">诸城市</option><option value="370783">寿光市</option>
<option value="370784">安丘市</option><option value="370785">高密市</option><option value="370786">昌邑市</option>
</select><button id="drill">下钻</button></section>
<section><h2>告警</h2><button id="ack">确认告警</button><span id="takeover"></span></section>
<section><h2>运行状态</h2><div id="status"></div>
<button id="shots">查看各屏当前画面</button><div class="cards" id="screens"></div></section>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("cockpit-token") || "";
function say(text){ $("msg").textContent = text; }
async function api(path, opts){
  opts = opts || {};
  const headers = {"Authorization": "Bearer " + token};
  if (opts.body !== undefined){ headers["Content-Type"] = "application/json"; }
  const r = await fetch(path, {method: opts.body !== undefined ? "POST" : "GET", headers,
    body: opts.body !== undefined ? JSON.stringify(Object.assign({ts: Date.now()/1000, sender: "控制页"}, opts.body)) : undefined,
    cache: "no-store", credentials: "omit"});
  if (r.status === 401){ say("口令错误或缺失"); throw new Error("401"); }
  return r;
}
async function post(path, body, done){
  try { const r = await api(path, {body}); const j = await r.json();
        say(r.ok ? done : ("未执行：" + (j.error || r.status))); refresh(); }
  catch(e){ if (e.message !== "401") say("连接失败"); }
}
let cards = null;
// Thumbnails one at a time: fetched all at once they took the browser's six connections to
// the wall, and a switch pressed meanwhile waited behind them until it was stale (> 30 s on a
// busy wall PC).
async function loadThumbs(list){
  for (const [id, img] of list){
    try {
      const r = await api("/api/thumbs/" + id + ".png");
      if (r.ok) img.src = URL.createObjectURL(await r.blob());
    } catch(e){}
  }
}
const thumbs = [];
async function refresh(){
  if (!token) return;
  let s;
  try { s = await (await api("/api/status")).json(); } catch(e){ return; }
  if (!cards){
    cards = {};
    for (const l of s.layouts){
      const card = document.createElement("div"); card.className = "card";
      const img = document.createElement("img"); img.alt = l.name; card.appendChild(img);
      const b = document.createElement("button"); b.textContent = l.name; b.dataset.layout = l.id;
      b.onclick = () => post("/api/switch", {layout: l.id}, "已切换到 " + l.name);
      card.appendChild(b); $("layouts").appendChild(card); cards[l.id] = b;
      thumbs.push([l.id, img]);
    }
    loadThumbs(thumbs);
  }
  for (const id in cards){ cards[id].className = id === s.layout ? "current" : ""; }
  $("car-state").textContent = {stopped:"已停止", running:"轮播中", paused:"手动暂停中", held:"告警接管中"}[s.carousel.state] || "";
  $("takeover").textContent = s.takeover ? ("告警接管：" + s.takeover.title) : "";
  const lines = ["本机" + (s.node ? "（节点 " + s.node + "）" : "") + "：布局 " + s.layout +
    "，运行 " + s.uptime_s + " 秒，内存 " + s.memory_mb + " MB" +
    (s.broker === undefined ? "" : (s.broker ? "，控制总线正常" : "，控制总线断开（重连中）"))];
  for (const f of s.feeds){
    lines.push("数据源 " + f.feed + "：" + (f.age_s === null ? "尚无成功" : f.age_s + " 秒前更新") +
               (f.last_error ? "，错误：" + f.last_error : ""));
  }
  for (const [name, n] of Object.entries(s.nodes || {})){
    const feeds = n.feeds || [];
    const bad = feeds.filter(f => f.last_error || f.age_s === null).map(f => f.feed);
    const state = {online: "在线", offline: "离线", unknown: "状态未知（未收到心跳）"}[n.state] ||
                  (n.online ? "在线" : "离线");
    lines.push("节点 " + name + "：" + state + (n.lead ? "（主控）" : "") +
               "，布局 " + (n.layout || "-") +
               "，运行 " + (n.uptime_s ?? "-") + " 秒，内存 " + (n.memory_mb ?? "-") + " MB" +
               "，数据源 " + (feeds.length - bad.length) + "/" + feeds.length + " 正常" +
               (bad.length ? "（异常：" + bad.join("、") + "）" : ""));
  }
  nodes = s.nodes || {}; here = s.node;
  $("status").textContent = lines.join("\\n");
  screens = s.screens;
}
let screens = 0, nodes = {}, here = null;
async function shot(path, label){
  const r = await api(path);
  if (!r.ok) return;
  const img = document.createElement("img"); img.src = URL.createObjectURL(await r.blob());
  img.alt = label; const card = document.createElement("div"); card.className = "card";
  const cap = document.createElement("div"); cap.textContent = label;
  card.appendChild(img); card.appendChild(cap); $("screens").appendChild(card);
}
$("shots").onclick = async () => {
  $("screens").textContent = "";
  const mine = here ? "节点 " + here + " · " : "";
  for (let i = 0; i < screens; i++){ await shot("/api/screens/" + (i + 1) + ".png", mine + "屏 " + (i + 1)); }
  for (const [name, n] of Object.entries(nodes)){
    if (name === here || n.state !== "online") continue;
    for (let i = 0; i < (n.screens || 0); i++){
      await shot("/api/nodes/" + encodeURIComponent(name) + "/screens/" + (i + 1) + ".png",
                 "节点 " + name + " · 屏 " + (i + 1));
    }
  }
};
$("save").onclick = () => { token = $("token").value.trim(); sessionStorage.setItem("cockpit-token", token); say(""); refresh(); };
$("car-start").onclick = () => post("/api/carousel", {action: "start"}, "轮播已开始");
$("car-stop").onclick = () => post("/api/carousel", {action: "stop"}, "轮播已停止");
$("drill").onclick = () => post("/api/drill", {district: $("district").value}, "已下钻");
$("ack").onclick = () => post("/api/ack", {}, "告警已确认");
refresh(); setInterval(refresh, 3000);
</script></body></html>
"""
