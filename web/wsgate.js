// wsgate.js: a small browser client for the JSON protocol on /ws (docs/protocol.md).
// No dependencies, no build step. It reconnects with exponential backoff and jitter,
// resubscribes after a reconnect, and recovers missed messages from the channel's
// history by offset.
//
//   const client = new WsgateClient();            // ws(s)://<this host>/ws
//   client.onstatus = (state, detail) => { ... }; // "connecting" | "open" | "closed"
//   await client.subscribe("chat:lobby", {
//     presence: { name: "ann" },                  // join the member list
//     history: 20,                                // the last 20 messages first
//     onMessage: (data, event) => { ... },        // event: {channel, offset, data}
//     onPresence: (event) => { ... },             // {channel, presence: "join"|"leave", member}
//     onSubscribed: (reply) => { ... },           // each (re)subscribe: {offset, history, members}
//   });
//   await client.publish("chat:lobby", { text: "hi" }); // resolves to {offset, delivered}
//   await client.presence("chat:lobby");                // resolves to {members}
"use strict";

class WsgateError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "WsgateError";
    this.code = code;
  }
}

class WsgateClient {
  /**
   * @param {string} [url] the /ws endpoint; default: /ws on the page's host
   * @param {object} [options] minDelay, maxDelay (ms, reconnect backoff bounds),
   *   requestTimeout (ms), resumeHistory (messages asked for when resubscribing)
   */
  constructor(url, options = {}) {
    this.url = url || (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
    this.minDelay = options.minDelay ?? 250;
    this.maxDelay = options.maxDelay ?? 10_000;
    this.requestTimeout = options.requestTimeout ?? 10_000;
    this.resumeHistory = options.resumeHistory ?? 100;
    this.onstatus = null;
    this.onerror = null;
    this.state = "closed";
    this.reconnects = 0;
    this.closes = []; // the last closes: {code, reason, wasClean}, oldest first
    this.delays = []; // the last reconnect delays (ms), oldest first
    this._subs = new Map(); // channel -> {options, lastOffset}
    this._pending = new Map(); // id -> {resolve, reject, timer}
    this._nextId = 1;
    this._attempt = 0;
    this._timer = null;
    this._ws = null;
    this._stopped = false;
    this._connect();
  }

  /** Subscribes (and keeps the subscription across reconnects). Resolves to the reply. */
  subscribe(channel, options = {}) {
    if (this._subs.has(channel)) {
      return Promise.reject(new WsgateError("already_subscribed", `already subscribed to ${channel}`));
    }
    const sub = { options, lastOffset: null, epoch: null, first: null };
    const first = new Promise((resolve, reject) => { sub.first = { resolve, reject }; });
    this._subs.set(channel, sub);
    if (this.state === "open") this._subscribe(channel, sub, options.history ?? 0);
    return first;
  }

  /** Unsubscribes; resolves to the reply (or at once when not connected). */
  unsubscribe(channel) {
    this._subs.delete(channel);
    if (this.state !== "open") return Promise.resolve({ channel });
    return this.request("unsubscribe", { channel });
  }

  /** Publishes `data` (any JSON value); resolves to {channel, offset, delivered}. */
  publish(channel, data) {
    return this.request("publish", { channel, data });
  }

  /** Lists who is present; resolves to {channel, members}. */
  presence(channel) {
    return this.request("presence", { channel });
  }

  /** Sends one request; resolves with the reply or rejects with a WsgateError. */
  request(op, fields) {
    if (this.state !== "open") {
      return Promise.reject(new WsgateError("not_connected", "not connected"));
    }
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        reject(new WsgateError("timeout", `no reply to ${op} within ${this.requestTimeout} ms`));
      }, this.requestTimeout);
      this._pending.set(id, { resolve, reject, timer });
      this._ws.send(JSON.stringify({ id, op, ...fields }));
    });
  }

  /** Closes for good (no reconnect). */
  close() {
    this._stopped = true;
    clearTimeout(this._timer);
    if (this._ws) this._ws.close(1000, "bye");
    this._setState("closed", { code: 1000, reason: "closed by the page" });
  }

  // ---- internals ----------------------------------------------------------------

  _connect() {
    this._setState("connecting", { attempt: this._attempt });
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this._setState("closed", { code: 0, reason: String(err.message || err) });
      return;
    }
    this._ws = ws;
    ws.onopen = () => {
      if (ws !== this._ws) return;
      this._attempt = 0;
      this._setState("open", {});
      for (const [channel, sub] of this._subs) {
        // After a reconnect, ask for history to fill the gap (deduplicated by offset).
        const history = sub.lastOffset === null ? (sub.options.history ?? 0) : this.resumeHistory;
        this._subscribe(channel, sub, history);
      }
    };
    ws.onmessage = (ev) => { if (ws === this._ws) this._receive(ev.data); };
    ws.onclose = (ev) => {
      if (ws !== this._ws) return;
      this._ws = null;
      for (const [, p] of this._pending) {
        clearTimeout(p.timer);
        p.reject(new WsgateError("disconnected", `connection closed (${ev.code})`));
      }
      this._pending.clear();
      const detail = { code: ev.code, reason: ev.reason, wasClean: ev.wasClean };
      this.closes.push(detail);
      if (this.closes.length > 20) this.closes.shift();
      this._setState("closed", detail);
      if (!this._stopped) this._schedule();
    };
  }

  /** Exponential backoff with jitter: a random delay in [base/2, base]. */
  _schedule() {
    const base = Math.min(this.maxDelay, this.minDelay * 2 ** Math.min(this._attempt, 16));
    const delay = base / 2 + Math.random() * (base / 2);
    this._attempt++;
    this.reconnects++;
    this.delays.push(delay);
    if (this.delays.length > 20) this.delays.shift();
    clearTimeout(this._timer);
    this._timer = setTimeout(() => this._connect(), delay);
  }

  _subscribe(channel, sub, history) {
    const fields = { channel, history };
    if (sub.options.presence) fields.presence = sub.options.presence;
    this.request("subscribe", fields).then((reply) => {
      if (this._subs.get(channel) !== sub) return;
      // Offsets start again when the channel's epoch changes (a server restart).
      const reset = sub.lastOffset !== null && (reply.epoch !== sub.epoch || reply.offset < sub.lastOffset);
      sub.epoch = reply.epoch;
      for (const entry of reply.history || []) {
        if (sub.lastOffset === null || reset || entry.offset > sub.lastOffset) {
          sub.lastOffset = entry.offset;
          sub.options.onMessage?.(entry.data, { channel, offset: entry.offset, data: entry.data, history: true });
        }
      }
      if (sub.lastOffset === null || reset || reply.offset > sub.lastOffset) sub.lastOffset = reply.offset;
      sub.options.onSubscribed?.(reply);
      sub.first?.resolve(reply);
      sub.first = null;
    }, (err) => {
      if (err.code === "disconnected" || err.code === "timeout") return; // retried on reconnect
      this._subs.delete(channel);
      if (sub.first) sub.first.reject(err);
      else this.onerror?.(err); // a resubscribe the server refused
      sub.first = null;
    });
  }

  _receive(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.id !== undefined && msg.id !== null) {
      const p = this._pending.get(msg.id);
      if (!p) return;
      this._pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.error) p.reject(new WsgateError(msg.error.code, msg.error.message));
      else p.resolve(msg);
      return;
    }
    if (msg.error) {
      this.onerror?.(new WsgateError(msg.error.code, msg.error.message));
      return;
    }
    const sub = this._subs.get(msg.channel);
    if (!sub) return;
    if (msg.presence) {
      sub.options.onPresence?.(msg);
    } else if (sub.lastOffset === null || msg.offset > sub.lastOffset) {
      sub.lastOffset = msg.offset;
      sub.options.onMessage?.(msg.data, msg);
    }
  }

  _setState(state, detail) {
    this.state = state;
    this.onstatus?.(state, detail);
  }
}

window.WsgateClient = WsgateClient;
window.WsgateError = WsgateError;
