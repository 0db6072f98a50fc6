// Echo tester: a small WebSocket client page. No dependencies, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const PREVIEW_BYTES = 64;
const PREVIEW_CHARS = 200;
const MAX_LOG_ROWS = 500;

let ws = null;
let counts = { sent: 0, received: 0, sentBytes: 0, receivedBytes: 0 };

$("url").value = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/echo";
$("connect-form").addEventListener("submit", (e) => { e.preventDefault(); connect(); });
$("send-form").addEventListener("submit", (e) => { e.preventDefault(); sendPayload(); });
$("send-gen").addEventListener("click", sendRandom);
$("close-form").addEventListener("submit", (e) => { e.preventDefault(); closeSocket(); });
$("clear").addEventListener("click", clearLog);

function connect() {
  if (ws && ws.readyState !== WebSocket.CLOSED) ws.close(1000, "reconnect");
  const url = $("url").value.trim();
  const protocols = $("protocols").value.split(",").map((p) => p.trim()).filter(Boolean);
  $("close-result").textContent = "";
  let sock;
  try {
    sock = new WebSocket(url, protocols);
  } catch (err) {
    setStatus("error", "invalid URL");
    logRow("event", "error", 0, String(err.message || err));
    return;
  }
  sock.binaryType = "arraybuffer";
  ws = sock;
  setStatus("connecting");
  logRow("event", "connect", 0, url + (protocols.length ? "  [" + protocols.join(", ") + "]" : ""));
  sock.onopen = () => {
    if (sock !== ws) return;
    setStatus("open");
    const ext = sock.extensions || "none";
    const proto = sock.protocol || "none";
    $("info").textContent = `extensions: ${ext} · protocol: ${proto}`;
    logRow("event", "open", 0, `extensions: ${ext}; protocol: ${proto}`);
  };
  sock.onmessage = (ev) => {
    if (sock !== ws) return;
    if (typeof ev.data === "string") {
      const size = utf8Length(ev.data);
      count("received", size);
      logRow("received", "text", size, previewText(ev.data));
    } else {
      const bytes = new Uint8Array(ev.data);
      count("received", bytes.length);
      logRow("received", "binary", bytes.length, previewHex(bytes));
    }
  };
  sock.onerror = () => {
    if (sock !== ws) return;
    logRow("event", "error", 0, "connection error (details are in the browser console)");
  };
  sock.onclose = (ev) => {
    if (sock !== ws) return;
    const text = `code ${ev.code}${codeName(ev.code)}, reason "${ev.reason}", wasClean ${ev.wasClean}`;
    $("close-result").textContent = "closed: " + text;
    $("close-result").dataset.code = String(ev.code);
    $("close-result").dataset.reason = ev.reason;
    $("close-result").dataset.wasClean = String(ev.wasClean);
    logRow("event", "close", 0, text);
    setStatus(ev.wasClean ? "closed" : "error", ev.wasClean ? "closed" : "closed (not clean)");
  };
}

function sendPayload() {
  $("send-error").textContent = "";
  const text = $("payload").value;
  const kind = $("kind").value;
  if (kind === "text") return send(text);
  if (kind === "utf8") return send(new TextEncoder().encode(text));
  const bytes = parseHex(text);
  if (bytes === null) {
    $("send-error").textContent = "not hex: use pairs of 0-9 a-f, spaces allowed (e.g. 48 65 6c 6c 6f)";
    return;
  }
  send(bytes);
}

function sendRandom() {
  const n = Math.max(0, Math.min(Number($("gen-size").value) || 0, 64 * 1024 * 1024));
  const bytes = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) {
    crypto.getRandomValues(bytes.subarray(off, Math.min(n, off + 65536)));
  }
  send(bytes);
}

function send(data) {
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  ws.send(data);
  if (typeof data === "string") {
    const size = utf8Length(data);
    count("sent", size);
    logRow("sent", "text", size, previewText(data));
  } else {
    count("sent", data.length);
    logRow("sent", "binary", data.length, previewHex(data));
  }
}

function closeSocket() {
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  const code = Number($("close-code").value);
  const reason = $("close-reason").value;
  try {
    ws.close(code, reason);
  } catch (err) {
    $("close-result").textContent = "cannot close: " + (err.message || err);
    return;
  }
  setStatus("closing");
  logRow("sent", "close", utf8Length(reason) + 2, `code ${code}${codeName(code)}, reason "${reason}"`);
}

function setStatus(state, label) {
  const el = $("status");
  el.dataset.state = state;
  el.textContent = label || state;
  const open = state === "open";
  for (const id of ["send", "send-gen", "close"]) $(id).disabled = !open;
  if (!open && state !== "closing") $("info").textContent = "";
}

function logRow(dir, kind, size, data) {
  const tr = document.createElement("tr");
  tr.dataset.dir = dir;
  tr.dataset.kind = kind;
  tr.dataset.size = String(size);
  const arrow = { sent: "\u2192", received: "\u2190", event: "\u2022" }[dir];
  const cells = [
    ["time", new Date().toLocaleTimeString()],
    ["dir", arrow],
    ["kind", kind],
    ["num", dir === "event" ? "" : String(size)],
    ["data", data],
  ];
  for (const [cls, text] of cells) {
    const td = document.createElement("td");
    td.className = cls;
    td.textContent = text;
    tr.appendChild(td);
  }
  const log = $("log");
  log.appendChild(tr);
  while (log.rows.length > MAX_LOG_ROWS) log.deleteRow(0);
  tr.scrollIntoView({ block: "nearest" });
}

function count(dir, size) {
  counts[dir] += 1;
  counts[dir + "Bytes"] += size;
  $("counts").textContent =
    `sent ${counts.sent} (${counts.sentBytes} B) · received ${counts.received} (${counts.receivedBytes} B)`;
}

function clearLog() {
  $("log").replaceChildren();
  counts = { sent: 0, received: 0, sentBytes: 0, receivedBytes: 0 };
  $("counts").textContent = "";
}

function parseHex(text) {
  const clean = text.replace(/0x/gi, "").replace(/[\s,:]/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) return null;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

function previewHex(bytes) {
  const head = Array.from(bytes.subarray(0, PREVIEW_BYTES), (b) => b.toString(16).padStart(2, "0"));
  return head.join(" ") + (bytes.length > PREVIEW_BYTES ? " \u2026" : "");
}

function previewText(s) {
  return s.length > PREVIEW_CHARS ? s.slice(0, PREVIEW_CHARS) + "\u2026" : s;
}

function utf8Length(s) {
  return new TextEncoder().encode(s).length;
}

function codeName(code) {
  const names = {
    1000: "normal", 1001: "going away", 1002: "protocol error", 1003: "unsupported data",
    1005: "no status", 1006: "abnormal", 1007: "invalid payload", 1008: "policy violation",
    1009: "message too big", 1010: "mandatory extension", 1011: "internal error",
    1012: "service restart", 1013: "try again later",
  };
  return names[code] ? ` (${names[code]})` : "";
}
