/* patrol: a GPX file read in the browser exactly as the API reads it (patrol/geo/gpx.py with
   gpxpy), so a file gives the same report through the form and through POST /patrols. The
   shared fixtures in tests/fixtures/gpx are fed to both in tests/browser/test_report_form_gpx.py.
   Rules (docs/formats.md): tracks -> route, one part per segment of >= 2 points, with the point
   times when every point has one; waypoints -> snare finds, their type, count, state and action
   read from keywords in name, description, comment, type and symbol. */
"use strict";

const patrolGPX = (() => {
  const TYPES = ["wire", "cable", "rope", "leghold", "pit", "other"];
  const STATES = ["active", "inactive", "triggered"];
  const ACTION_WORDS = [
    ["destroyed", "destroyed"], ["destroy", "destroyed"], ["left in place", "left_in_place"],
    ["left_in_place", "left_in_place"], ["left", "left_in_place"], ["marked", "marked"],
    ["removed", "removed"], ["remove", "removed"],
  ];
  // Python's \w (str patterns) is Unicode: letters, digits and "_". JavaScript's \b is ASCII
  // only, so the word boundary is spelled out to match Python's on Cyrillic text too.
  const W = "[\\p{L}\\p{N}_]";
  const B = `(?:(?<=${W})(?!${W})|(?<!${W})(?=${W}))`;
  const word = (text) => new RegExp(`${B}${text}${B}`, "u");
  const TYPE_RE = TYPES.map((t) => [t, word(`${t}s?`)]);
  const STATE_RE = STATES.map((s) => [s, word(s)]);
  const ACTION_RE = ACTION_WORDS.map(([w, a]) => [a, word(w)]);
  // gpx.py: (?:\bx\s*(\d{1,4})\b|\b(\d{1,4})\s*(?:x\b|snares?\b|pcs\b)), case-insensitive.
  const D = "\\p{Nd}";
  const COUNT = new RegExp(
    `(?:${B}x\\s*(${D}{1,4})${B}|${B}(${D}{1,4})\\s*(?:x${B}|snares?${B}|pcs${B}))`, "iu");
  // Words that say a waypoint is a snare at all (a "CAMP" says nothing of the kind).
  const SNARE_WORD = new RegExp(`${B}(?:snares?|traps?|петл[а-я]*|капкан[а-я]*|силок|силки)${B}`, "iu");
  // gpxpy's RE_TIMESTAMP; a time it cannot read is no time.
  const TIMESTAMP = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})[T ]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(\.[0-9]{1,15})?(Z|[+\-\u2212][0-9]{2}:?(?:[0-9]{2})?)?\n?$/;

  class GPXError extends Error {}

  /** A decimal digit of any script (\p{Nd}) as its value: such digits come in runs of ten. */
  function digits(text) {
    let value = 0;
    for (const ch of text) {
      let code = ch.codePointAt(0);
      let start = code;
      while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start -= 1;
      code = (code - start) % 10;
      value = value * 10 + code;
    }
    return value;
  }

  /** A GPX time as ISO 8601 UTC with the file's own fraction of a second, or null. */
  function readTime(text) {
    if (text === null) return null;
    const m = TIMESTAMP.exec(text);
    if (!m) return null;
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
    const fraction = m[7] ? m[7].slice(1, 7) : "";
    const probe = new Date(Date.UTC(2000, mo - 1, d));
    if (mo < 1 || mo > 12 || d < 1 || probe.getUTCDate() !== d || h > 23 || mi > 59 || s > 59 || y < 1) return null;
    let offset = 0;
    if (m[8] && m[8] !== "Z" && m[8].length >= 2) {
      const sign = m[8][0] === "+" ? 1 : -1;
      const rest = m[8].slice(1);
      offset = sign * (Number(rest.slice(0, 2)) * 60 + (rest.length >= 4 ? Number(rest.slice(-2)) : 0));
    }
    if (Math.abs(offset) >= 24 * 60) throw new GPXError(_("The GPX file has a time with a UTC offset of 24 hours or more."));
    const utc = new Date(0);
    utc.setUTCFullYear(y, mo - 1, d);
    utc.setUTCHours(h, mi, s, 0);
    const at = new Date(utc.getTime() - offset * 60000).toISOString().slice(0, 19);
    return `${at}${fraction ? `.${fraction}` : ""}Z`;
  }

  /** The text of a direct child in GPX's own namespace (gpxpy drops only the default one). */
  function child(node, name) {
    for (const c of node.children) if (c.localName === name && c.prefix === null) return c;
    return null;
  }
  function text(node, name) {
    const c = child(node, name);
    if (!c) return null;
    // ElementTree's .text: the text before the first child element.
    let out = "";
    for (const n of c.childNodes) {
      if (n.nodeType === Node.ELEMENT_NODE) break;
      if (n.nodeType === Node.TEXT_NODE || n.nodeType === Node.CDATA_SECTION_NODE) out += n.data;
    }
    return c.childNodes.length ? out : null;
  }
  const children = (node, name) => [...node.children].filter((c) => c.localName === name && c.prefix === null);

  function number(value, what) {
    const v = Number(value === null ? NaN : value.trim());
    if (value === null || value.trim() === "" || Number.isNaN(v)) {
      throw new GPXError(_("The GPX file has a value that cannot be read: {what} \"{value}\"", { what, value }));
    }
    return v;
  }

  /** gpx.py's waypoint_properties: snare-find fields from the waypoint's free text. */
  function waypointProperties(w) {
    const full = [w.name, w.desc, w.cmt, w.type, w.sym].filter(Boolean).join(" ");
    const low = full.toLowerCase();
    const props = {};
    props.type = (TYPE_RE.find(([, re]) => re.test(low)) || ["other"])[0];
    props.state = (STATE_RE.find(([, re]) => re.test(low)) || ["active"])[0];
    props.action = (ACTION_RE.find(([, re]) => re.test(low)) || ["removed"])[0];
    const m = COUNT.exec(full);
    props.count = m ? digits(m[1] || m[2]) : 1;
    const notes = [w.name, w.desc, w.cmt].filter(Boolean).join(" / ");
    props.notes = notes ? notes.slice(0, 2000) : null;
    return props;
  }

  /** Whether a waypoint's words name a snare (type, count or the word itself). */
  function namesSnare(w) {
    const full = [w.name, w.desc, w.cmt, w.type].filter(Boolean).join(" ");
    const low = full.toLowerCase();
    return SNARE_WORD.test(full) || COUNT.test(full) || TYPE_RE.some(([t, re]) => t !== "other" && re.test(low));
  }

  /**
   * Read GPX text as {parts, times, startedAt, endedAt, waypoints}.
   * parts: [[lon, lat], ...] per segment of >= 2 points; times: per part, ISO strings or nulls;
   * startedAt/endedAt: the first and last track points' times (null when they have none);
   * waypoints: [{lon, lat, found_at, props, namesSnare, label}] with found_at as the API
   * fills it (the waypoint's time, else the nearest track point's when every point is timed,
   * else the start).
   */
  function parse(source) {
    const doc = new DOMParser().parseFromString(source.replace(/^\uFEFF/, ""), "application/xml");
    if (doc.getElementsByTagName("parsererror").length) throw new GPXError(_("The file is not well-formed XML."));
    const root = doc.documentElement;
    if (root.localName !== "gpx") throw new GPXError(_("The file is not a GPX document."));
    const parts = [];
    const times = [];
    const ends = [];
    for (const trk of children(root, "trk")) {
      for (const seg of children(trk, "trkseg")) {
        const points = children(seg, "trkpt");
        if (points.length < 2) continue; // handhelds write empty and one-point segments
        parts.push(points.map((p) => [number(p.getAttribute("lon"), "lon"), number(p.getAttribute("lat"), "lat")]));
        const t = points.map((p) => readTime(text(p, "time")));
        times.push(t);
        ends.push(t[0], t[t.length - 1]);
      }
    }
    if (!parts.length) {
      throw new GPXError(children(root, "rte").length
        ? _("The GPX file has a planned route (<rte>) but no recorded track (<trk>): a report needs the walked track.")
        : _("The GPX file has no track with at least 2 points: a report needs the walked track."));
    }
    const startedAt = ends[0] || null;
    const endedAt = ends[ends.length - 1] || null;
    const allTimed = times.every((t) => t.every(Boolean));
    const flatXY = parts.flat();
    const flatT = allTimed ? times.flat() : null;
    const waypoints = [];
    for (const node of children(root, "wpt")) {
      const lon = Number(node.getAttribute("lon"));
      const lat = Number(node.getAttribute("lat"));
      const w = { name: text(node, "name"), desc: text(node, "desc"), cmt: text(node, "cmt"), type: text(node, "type"), sym: text(node, "sym") };
      if (!(Math.abs(lon) <= 180 && Math.abs(lat) <= 90)) {
        throw new GPXError(_("The waypoint \"{n}\" has no valid position (lat {n2}, lon {n3}).", { n: w.name || waypoints.length + 1, n2: node.getAttribute("lat"), n3: node.getAttribute("lon") }));
      }
      let foundAt = readTime(text(node, "time"));
      if (!foundAt && flatT && Number.isFinite(lon) && Number.isFinite(lat)) {
        // No time on the waypoint: when the track passed closest to it (first of equals).
        let best = 0;
        let bestD = Infinity;
        flatXY.forEach(([x, y], i) => {
          const d = Math.hypot(x - lon, y - lat);
          if (d < bestD) { bestD = d; best = i; }
        });
        foundAt = flatT[best];
      }
      waypoints.push({
        lon, lat, found_at: foundAt || startedAt, props: waypointProperties(w),
        namesSnare: namesSnare(w), label: w.name || w.desc || w.cmt || "waypoint",
      });
    }
    return { parts, times, startedAt, endedAt, waypoints };
  }

  return { parse, readTime, waypointProperties, GPXError };
})();
