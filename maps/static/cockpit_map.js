// The map page's side of the bridge. Layers are created once and updated in place from the
// payloads Python pushes as JSON text over the web channel (bridge.payload_pushed, applied by
// cockpit.apply); the page is never reloaded to show new data.
// Every text in a payload was escaped by maps.escape.safe_text (HTML and template literals):
// it is set as HTML only so that its entities show as the characters they stand for.
// Every store keyed by an id or a code is a Map, never a plain object: a feed's id may be
// any text ("constructor", "__proto__", "toString"), and as a plain object's key it would
// collide with the object's built-in properties (issue 16, finding 2).
"use strict";
var cockpit = (function () {
  var map = null, districts = null, bridge = null, meta = new Map(), colors = {};
  var byCode = new Map(), labels = new Map(), selected = null;
  var devices = new Map(), alerts = new Map(), heat = new Map();
  var deviceLayer = null, alertLayer = null, heatLayer = null, legend = null, fills = new Map();
  var boundsOf = null, applied = 0;

  function init(config) {
    map = window[config.map];
    districts = window[config.districts];
    colors = config.colors;
    config.meta.forEach(function (m) { meta.set(m.code, m); });
    heatLayer = L.layerGroup().addTo(map);
    deviceLayer = L.layerGroup().addTo(map);
    alertLayer = L.layerGroup().addTo(map);
    districts.eachLayer(function (layer) {
      var code = layer.feature.properties.adcode;
      byCode.set(code, layer);
      layer.on("click", function () { if (bridge) bridge.district_clicked(code); });
      var m = meta.get(code);
      labels.set(code, L.tooltip({permanent: true, direction: "center", className: "district-label",
                                interactive: false})
        .setLatLng(m.label).setContent(m.name).addTo(map));
    });
    boundsOf = districts.getBounds();
    fit();
    // no animation on a resize: a zoom animation left half-done (the page hidden behind another
    // layout, or laid out again before a frame ran) left the points where the old zoom put them
    window.addEventListener("resize", function () { map.invalidateSize({animate: false}); fit(); });
    if (typeof qt !== "undefined" && qt.webChannelTransport) {
      new QWebChannel(qt.webChannelTransport, function (channel) {
        bridge = channel.objects.bridge;
        var received = 0;
        bridge.payload_pushed.connect(function (text) {
          received += 1;
          try { apply(JSON.parse(text)); }
          finally { bridge.applied(received); }
        });
        bridge.page_ready();
      });
    }
    document.title = "map-ready";
  }

  // Not while the page has no area (its window parked while a screen is unplugged, a tile
  // squeezed to nothing): a zoom fitted into 0 px is NaN, and Leaflet's map then stayed broken
  // (no zoom, every later fit and push throwing) after the page had its size back.
  function fit() {
    var size = map.getSize();
    if (boundsOf && size.x > 16 && size.y > 16) {
      map.fitBounds(boundsOf, {padding: [8, 8], animate: false});
      declutter();
    }
  }

  // District names that would overlap (潍城区 and 奎文区 lie side by side in the city centre,
  // and at a wall's zoom their names ran into one, "潍城奎文区") are pushed apart sideways, each
  // by half of what they share plus a gap, a few passes over every pair; run after each fit.
  function labelBoxes() {
    var out = [];
    labels.forEach(function (tip) {
      var el = tip.getElement();
      if (el) out.push({el: el, box: el.getBoundingClientRect(), shift: 0});
    });
    return out;
  }

  function declutter() {
    var gap = 4;
    labels.forEach(function (tip) {  // measured where the fit put them, unshifted
      var el = tip.getElement();
      if (el) el.style.marginLeft = "0px";
    });
    var boxes = labelBoxes();
    for (var pass = 0; pass < 4; pass++) {
      var moved = false;
      for (var i = 0; i < boxes.length; i++) {
        for (var j = i + 1; j < boxes.length; j++) {
          var a = boxes[i], b = boxes[j];
          var al = a.box.left + a.shift, ar = a.box.right + a.shift;
          var bl = b.box.left + b.shift, br = b.box.right + b.shift;
          var across = Math.min(ar, br) - Math.max(al, bl);
          var down = Math.min(a.box.bottom, b.box.bottom) - Math.max(a.box.top, b.box.top);
          if (across <= -gap || down <= 0) continue;
          var half = (across + gap) / 2;
          if (al + ar <= bl + br) { a.shift -= half; b.shift += half; }
          else { a.shift += half; b.shift -= half; }
          moved = true;
        }
      }
      if (!moved) break;
    }
    boxes.forEach(function (b) { b.el.style.marginLeft = Math.round(b.shift) + "px"; });
  }

  function styleDistrict(code) {
    var layer = byCode.get(code);
    var s = {fillColor: fills.get(code) || colors.title_strip, color: colors.card_edge, weight: 1.5,
             fillOpacity: 0.55, opacity: 0.9};
    if (selected) {
      if (code === selected) { s.weight = 4; s.color = "#ffffff"; s.fillOpacity = 0.8; }
      else { s.fillOpacity = 0.2; s.opacity = 0.4; }
    }
    layer.setStyle(s);
    if (code === selected) layer.bringToFront();  // its outline over its neighbours'
  }

  function setTip(layer, html) {
    if (!html) return;
    if (layer.getTooltip()) { if (layer._tipHtml !== html) layer.setTooltipContent(html); }
    else layer.bindTooltip(html, {className: "cockpit-tip"});
    layer._tipHtml = html;
  }

  function syncPoints(store, group, rows, make, update) {
    var seen = new Set();
    rows.forEach(function (r) {
      var id = String(r.id);
      seen.add(id);
      var layer = store.get(id);
      if (!layer) { layer = make(r); store.set(id, layer); group.addLayer(layer); }
      else { update(layer, r); }
      setTip(layer, r.tip);
    });
    Array.from(store.keys()).forEach(function (id) {
      if (!seen.has(id)) { var l = store.get(id); group.removeLayer(l); l.off(); store.delete(id); }
    });
  }

  function robotIcon(r) {
    var cls = "robot-icon " + (r.kind === "disinfect_robot" ? "disinfect" : "patrol");
    return L.divIcon({className: "", iconSize: [12, 12],
                      html: '<div class="' + cls + '" style="background:' + r.color + '"></div>'});
  }

  function makeDevice(r) {
    if (r.robot) {
      var m = L.marker([r.lat, r.lon], {icon: robotIcon(r), keyboard: false});
      m._color = r.color; return m;
    }
    return L.circleMarker([r.lat, r.lon], {radius: 4, weight: 1, color: "#e8f4ff", fillColor: r.color,
                                           fillOpacity: 0.95});
  }

  // Nothing is touched that did not change: an unchanged update costs the page no repaint.
  function moveTo(layer, r) {
    var at = layer.getLatLng();
    if (at.lat !== r.lat || at.lng !== r.lon) layer.setLatLng([r.lat, r.lon]);
  }

  function updateDevice(layer, r) {
    moveTo(layer, r);
    if (r.robot) {
      if (layer._color !== r.color) { layer.setIcon(robotIcon(r)); layer._color = r.color; }
    } else if (layer.options.fillColor !== r.color) { layer.setStyle({fillColor: r.color}); }
  }

  function alertIcon(r) {
    return L.divIcon({className: "", iconSize: [16, 16],
                      html: '<div class="alert-icon sev-' + r.severity + '" style="background:' + r.color + '"></div>'});
  }

  function makeAlert(r) {
    var m = L.marker([r.lat, r.lon], {icon: alertIcon(r), keyboard: false, zIndexOffset: 1000});
    m._sev = r.severity; return m;
  }

  function updateAlert(layer, r) {
    moveTo(layer, r);
    if (layer._sev !== r.severity) {
      layer.setIcon(alertIcon(r)); layer._sev = r.severity; layer._pulse = undefined;
    }
  }

  // Only the newest PULSING critical or major alerts pulse (the payload lists the newest
  // first): a pulse draws the eye to what just happened, and every pulsing marker costs the
  // renderer and the wall's compositor frames, so their cost must not grow with the alerts
  // left open (issue 18: the soak's map gathered 200 and the renderer's CPU grew with them).
  var PULSING = 12;
  function markPulsing(rows) {
    var n = 0;
    rows.forEach(function (r) {
      var layer = alerts.get(String(r.id));
      var want = (r.severity === "critical" || r.severity === "major") && n < PULSING;
      if (want) n += 1;
      if (!layer || layer._pulse === want) return;
      var el = layer.getElement && layer.getElement();
      if (!el || !el.firstChild) return;
      el.firstChild.classList.toggle("pulse", want);
      layer._pulse = want;
    });
  }

  function makeHeat(r) {
    return L.circle([r.lat, r.lon], {radius: r.radius, stroke: false, fillColor: r.color,
                                     fillOpacity: 0.25, interactive: false});
  }

  function updateHeat(layer, r) {
    moveTo(layer, r);
    if (layer.getRadius() !== r.radius) layer.setRadius(r.radius);
  }

  var legendKey = "null";
  function setLegend(spec) {
    var key = JSON.stringify(spec || null);
    if (key === legendKey) return;  // unchanged: no DOM work, no repaint
    legendKey = key;
    if (legend) { map.removeControl(legend); legend = null; }
    if (!spec) return;
    legend = L.control({position: "bottomright"});
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "legend");
      var html = '<div class="title">' + spec.title + "</div>";
      spec.items.forEach(function (it) {
        html += '<div><span class="sw" style="background:' + it[0] + '"></span>' + it[1] + "</div>";
      });
      div.innerHTML = html;
      return div;
    };
    legend.addTo(map);
  }

  function apply(p) {
    if (p.districts) {
      // JSON.parse gives own properties only; read them as such, never through the prototype
      var given = new Map(Object.entries(p.districts));
      var before = fills;
      fills = new Map();
      given.forEach(function (d, code) { fills.set(code, d.color); });
      byCode.forEach(function (layer, code) {
        if (fills.get(code) !== before.get(code)) styleDistrict(code);
        var d = given.get(code);
        setTip(layer, d ? d.tip : meta.get(code).name);
      });
    }
    if ("legend" in p) setLegend(p.legend);
    if (p.devices) syncPoints(devices, deviceLayer, p.devices, makeDevice, updateDevice);
    if (p.alerts) {
      syncPoints(alerts, alertLayer, p.alerts, makeAlert, updateAlert);
      markPulsing(p.alerts);
    }
    if (p.heat) syncPoints(heat, heatLayer, p.heat, makeHeat, updateHeat);
    if ("stale" in p) setStale(p.stale);
    applied += 1;
    if (applied % 100 === 0 && typeof window.gc === "function") window.gc();  // see web.py
    return true;
  }

  function select(code) {
    selected = code && byCode.has(code) ? code : null;
    byCode.forEach(function (_layer, c) { styleDistrict(c); });
    return selected;
  }

  function setStale(on) { document.body.classList.toggle("stale", !!on); }

  // -- read-back for tests and benchmarks --------------------------------------------------
  function fillOf(layer) {
    if (!layer) return null;
    if (layer._path) return layer._path.getAttribute("fill");
    var el = layer.getElement && layer.getElement();
    var inner = el && el.firstChild;
    return inner ? inner.style.background || inner.style.backgroundColor : null;
  }

  // Opens every tooltip in turn and returns the text each showed (tests: feed text verbatim).
  function openAll() {
    var shown = [];
    [byCode, devices, alerts].forEach(function (store) {
      store.forEach(function (l) {
        if (!l.getTooltip()) return;
        l.openTooltip(l.getLatLng ? l.getLatLng() : l.getBounds().getCenter());
        var el = l.getTooltip().getElement();
        shown.push(el ? el.textContent : null);
      });
    });
    return shown;
  }

  return {
    init: init, apply: apply, select: select, setStale: setStale,
    districtFill: function (code) { return fillOf(byCode.get(code)); },
    markerFill: function (id) { return fillOf(devices.get(id) || alerts.get(id)); },
    counts: function () { return {devices: devices.size, alerts: alerts.size, heat: heat.size}; },
    pulsing: function () {
      return Array.from(alerts.keys()).filter(function (id) { return alerts.get(id)._pulse === true; });
    },
    ids: function () {
      return {devices: Array.from(devices.keys()), alerts: Array.from(alerts.keys()),
              heat: Array.from(heat.keys())};
    },
    openAll: openAll,
    // how far (px) a device is drawn from where its position projects now: 0 unless a
    // resize or a zoom left it behind
    drift: function (id) {
      var l = devices.get(id);
      var el = l && (l._path || (l.getElement && l.getElement()));
      if (!el) return null;
      var box = el.getBoundingClientRect(), frame = map.getContainer().getBoundingClientRect();
      var at = map.latLngToContainerPoint(l.getLatLng());
      return Math.round(Math.hypot(frame.left + at.x - (box.left + box.width / 2),
                                   frame.top + at.y - (box.top + box.height / 2)));
    },
    clickDistrict: function (code) { byCode.get(code).fire("click"); },
    selected: function () { return selected; }
  };
})();
