// Chat: rooms (chat:<room> channels), nicknames, presence and history, on wsgate.js.
// ?name=ann&room=lobby in the URL fills the form and joins at once.
"use strict";

const $ = (id) => document.getElementById(id);
const HISTORY = 50;
const MAX_MESSAGES = 500;

const client = new WsgateClient();
let room = null; // the channel joined, e.g. "chat:lobby"
let members = new Map(); // member id -> name

client.onstatus = (state, detail) => {
  $("status").dataset.state = state;
  $("status").textContent = state;
  $("info").textContent = state === "closed" && detail.code ? `closed (${detail.code}); reconnecting…` : "";
  if (state === "closed" && room) notice("disconnected; reconnecting…");
};

$("join-form").addEventListener("submit", (e) => { e.preventDefault(); join(); });
$("leave").addEventListener("click", leave);
$("send-form").addEventListener("submit", (e) => { e.preventDefault(); send(); });

const params = new URLSearchParams(location.search);
$("name").value = params.get("name") || localStorage.getItem("wsgate-name") || "";
$("room").value = params.get("room") || "lobby";
if (params.get("name")) join();

async function join() {
  const name = $("name").value.trim();
  const channel = "chat:" + $("room").value.trim();
  if (!name) { $("join-error").textContent = "choose a name"; return; }
  if (room) await leave();
  $("join-error").textContent = "";
  localStorage.setItem("wsgate-name", name);
  room = channel;
  members = new Map();
  $("messages").replaceChildren();
  $("room-name").textContent = channel;
  try {
    await client.subscribe(channel, {
      presence: { name },
      history: HISTORY,
      onMessage: (data, ev) => say(data, ev),
      onPresence: presence,
      onSubscribed: (reply) => {
        members = new Map((reply.members || []).map((m) => [m.id, m.name]));
        renderMembers();
      },
    });
    setJoined(true);
    notice(`you joined ${channel} as ${name}`);
  } catch (err) {
    room = null;
    $("join-error").textContent = `${err.code}: ${err.message}`;
  }
}

async function leave() {
  if (!room) return;
  const channel = room;
  room = null;
  setJoined(false);
  members = new Map();
  renderMembers();
  try { await client.unsubscribe(channel); } catch { /* gone anyway */ }
  notice(`you left ${channel}`);
}

async function send() {
  const text = $("message").value;
  if (!room || !text.trim()) return;
  $("send-error").textContent = "";
  try {
    await client.publish(room, { name: $("name").value.trim(), text });
    $("message").value = "";
  } catch (err) {
    $("send-error").textContent = `${err.code}: ${err.message}`;
  }
}

function presence(ev) {
  if (ev.presence === "join") {
    const known = members.has(ev.member.id);
    members.set(ev.member.id, ev.member.name);
    if (!known) notice(`${ev.member.name} joined`);
  } else if (ev.presence === "leave") {
    if (members.delete(ev.member.id)) notice(`${ev.member.name} left`);
  }
  renderMembers();
}

function say(data, ev) {
  const li = document.createElement("li");
  li.className = "message";
  li.dataset.offset = ev.offset;
  if (ev.history) li.dataset.history = "true";
  const who = document.createElement("strong");
  who.className = "name";
  who.textContent = typeof data?.name === "string" ? data.name : "?";
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = typeof data?.text === "string" ? data.text : JSON.stringify(data);
  li.append(who, ": ", text);
  append(li);
}

function notice(text) {
  const li = document.createElement("li");
  li.className = "notice";
  li.textContent = text;
  append(li);
}

function append(li) {
  const list = $("messages");
  list.append(li);
  while (list.children.length > MAX_MESSAGES) list.firstChild.remove();
  li.scrollIntoView({ block: "nearest" });
}

function renderMembers() {
  const items = [...members].map(([id, name]) => {
    const li = document.createElement("li");
    li.dataset.id = id;
    li.dataset.name = name;
    li.textContent = name;
    return li;
  });
  $("members").replaceChildren(...items);
  $("member-count").textContent = room ? `(${members.size})` : "";
}

function setJoined(joined) {
  $("leave").disabled = !joined;
  $("message").disabled = !joined;
  $("send").disabled = !joined;
  if (joined) $("message").focus();
}
