// Live push: the server's ticker (push:ticker) and a feed channel (push:news by default)
// that POST /api/publish writes to, on wsgate.js. ?channel=push:x picks the feed.
"use strict";

const $ = (id) => document.getElementById(id);
const MAX_ROWS = 200;

const client = new WsgateClient();
let feed = null;

client.onstatus = (state, detail) => {
  $("status").dataset.state = state;
  $("status").textContent = state;
  $("info").textContent = state === "closed" && detail.code ? `closed (${detail.code}); reconnecting…` : "";
};

client.subscribe("push:ticker", {
  onMessage: (data) => {
    $("tick-n").textContent = data.n;
    $("tick-n").dataset.n = data.n;
    $("tick-time").textContent = data.time;
  },
}).catch((err) => { $("info").textContent = `ticker: ${err.code}: ${err.message}`; });

const base = `${location.protocol}//${location.host}`;
$("curl").textContent =
  `curl -X POST ${base}/api/publish -d '{"channel":"push:news","data":{"text":"hello"}}'`;
$("feed-form").addEventListener("submit", (e) => { e.preventDefault(); listen($("channel").value.trim()); });
const requested = new URLSearchParams(location.search).get("channel");
if (requested) $("channel").value = requested;
listen($("channel").value.trim());

async function listen(channel) {
  if (feed === channel) return;
  if (feed) client.unsubscribe(feed).catch(() => {});
  feed = channel;
  $("feed-error").textContent = "";
  $("feed").replaceChildren();
  $("feed").dataset.channel = channel;
  try {
    await client.subscribe(channel, { history: 20, onMessage: (data, ev) => row(ev) });
    $("feed").dataset.ready = "true";
  } catch (err) {
    feed = null;
    $("feed-error").textContent = `${err.code}: ${err.message}`;
  }
}

function row(ev) {
  const tr = document.createElement("tr");
  tr.dataset.offset = ev.offset;
  const cells = [new Date().toLocaleTimeString(), ev.channel, String(ev.offset), JSON.stringify(ev.data)];
  const classes = ["time", "", "num", "data"];
  tr.append(...cells.map((text, i) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (classes[i]) td.className = classes[i];
    return td;
  }));
  const body = $("feed");
  body.prepend(tr);
  while (body.children.length > MAX_ROWS) body.lastChild.remove();
}
