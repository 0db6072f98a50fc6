// The `wsgate serve` application in Debian Chromium (driven by playwright-core), as a
// user would use it: two Chat pages in one room see each other's messages and
// presence, HTTP publishes appear live on the Live push page, and the page client
// (web/wsgate.js) reconnects and resubscribes when the server comes back.
//
//   WSGATE_BIN=target/release/wsgate node --test serve.mjs
//
// Everything runs on 127.0.0.1 with ephemeral ports; each test is bounded.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { launchBrowser, startServer, stopServer } from "./harness.mjs";

const TEST = { timeout: 60_000 };
const WAIT = { timeout: 10_000 };
const API_KEY = "browser-test-key";

/** A page that records uncaught script errors. */
async function newPage(context) {
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (err) => page.errors.push(err));
  return page;
}

/** The names in a chat page's member list. */
function memberNames(page) {
  return page.$$eval("#members li", (items) => items.map((li) => li.dataset.name).sort());
}

async function waitForMembers(page, names) {
  await page.waitForFunction(
    (want) => [...document.querySelectorAll("#members li")].map((li) => li.dataset.name).sort().join() === want,
    [...names].sort().join(),
    WAIT,
  ).catch(async (err) => {
    throw new Error(`members ${JSON.stringify(await memberNames(page))}, want ${JSON.stringify(names)}: ${err.message}`);
  });
}

/** The chat lines (name: text) shown on a page. */
function chatLines(page) {
  return page.$$eval("#messages li.message", (items) =>
    items.map((li) => `${li.querySelector(".name").textContent}: ${li.querySelector(".text").textContent}`));
}

async function waitForLine(page, line) {
  await page.waitForFunction(
    (want) => [...document.querySelectorAll("#messages li.message")]
      .some((li) => `${li.querySelector(".name").textContent}: ${li.querySelector(".text").textContent}` === want),
    line,
    WAIT,
  );
}

async function openChat(context, addr, name, room) {
  const page = await newPage(context);
  await page.goto(`http://${addr}/chat?name=${encodeURIComponent(name)}&room=${room}`);
  await page.waitForSelector('#status[data-state="open"]', WAIT);
  await page.waitForSelector(`#members li[data-name="${name}"]`, WAIT);
  return page;
}

async function say(page, text) {
  await page.fill("#message", text);
  await page.click("#send");
}

/** POST /api/publish from Node, as curl would. */
async function publish(addr, channel, data, key = API_KEY) {
  const headers = { "content-type": "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`http://${addr}/api/publish`, {
    method: "POST",
    headers,
    body: JSON.stringify({ channel, data }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: await res.json() };
}

describe("Chat page in two windows", () => {
  let server;
  let browser;
  before(async () => {
    server = await startServer(["--ticker-ms", "0"]);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stopServer(server);
  });

  test("two pages see each other's messages and presence; closing one updates the other", TEST, async (t) => {
    const room = `room-${process.pid}`;
    const ann = await openChat(browser.context, server.addr, "ann", room);
    const bob = await openChat(browser.context, server.addr, "bob", room);
    await waitForMembers(bob, ["ann", "bob"]);
    await waitForMembers(ann, ["ann", "bob"]);
    await ann.waitForSelector("#messages li.notice:has-text('bob joined')", WAIT);

    await say(ann, "hello bob \u{1F44B}");
    await waitForLine(bob, "ann: hello bob \u{1F44B}");
    await say(bob, "hi ann");
    await waitForLine(ann, "bob: hi ann");
    await waitForLine(ann, "ann: hello bob \u{1F44B}");
    assert.deepEqual(await chatLines(ann), ["ann: hello bob \u{1F44B}", "bob: hi ann"]);
    assert.deepEqual(await chatLines(bob), ["ann: hello bob \u{1F44B}", "bob: hi ann"]);

    // A third window joining later gets the history, marked as such.
    const cid = await openChat(browser.context, server.addr, "cid", room);
    await waitForLine(cid, "bob: hi ann");
    assert.deepEqual(await chatLines(cid), ["ann: hello bob \u{1F44B}", "bob: hi ann"]);
    assert.equal(await cid.$$eval("#messages li[data-history]", (l) => l.length), 2);
    await waitForMembers(ann, ["ann", "bob", "cid"]);
    await cid.close();
    await waitForMembers(ann, ["ann", "bob"]);

    // Closing bob's window: ann sees bob leave.
    await bob.close();
    await waitForMembers(ann, ["ann"]);
    await ann.waitForSelector("#messages li.notice:has-text('bob left')", WAIT);
    t.diagnostic(`ann's page: ${JSON.stringify(await ann.$$eval("#messages li", (l) => l.map((li) => li.textContent)))}`);

    // The server agrees.
    const res = await fetch(`http://${server.addr}/api/presence?channel=chat:${room}`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()).members.map((m) => m.name), ["ann"]);
    assert.deepEqual(ann.errors, []);
    await ann.close();
  });

  test("bad room names are refused with the server's error, the page keeps working", TEST, async () => {
    const page = await newPage(browser.context);
    await page.goto(`http://${server.addr}/chat`);
    await page.waitForSelector('#status[data-state="open"]', WAIT);
    // Bypass the form's pattern check: the server must refuse on its own.
    const reply = await page.evaluate(() => client.subscribe("chat:no spaces", {}).then(
      () => "subscribed", (err) => err.code));
    assert.equal(reply, "bad_channel");
    const forbidden = await page.evaluate(() => client.publish("push:ticker", 1).then(() => "ok", (err) => err.code));
    assert.equal(forbidden, "forbidden");
    await page.fill("#name", "dee");
    await page.click("#join");
    await page.waitForSelector('#members li[data-name="dee"]', WAIT);
    assert.deepEqual(page.errors, []);
    await page.close();
  });
});

describe("Live push page", () => {
  let server;
  let browser;
  before(async () => {
    server = await startServer(["--api-key", API_KEY, "--ticker-ms", "200"]);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stopServer(server);
  });

  test("the ticker ticks and an HTTP publish appears live", TEST, async (t) => {
    const page = await newPage(browser.context);
    await page.goto(`http://${server.addr}/push`);
    await page.waitForSelector('#status[data-state="open"]', WAIT);
    await page.waitForSelector('#feed[data-ready="true"]', { ...WAIT, state: "attached" });
    await page.waitForSelector("#tick-n[data-n]", WAIT);
    const first = Number(await page.getAttribute("#tick-n", "data-n"));
    await page.waitForFunction((n) => Number(document.querySelector("#tick-n").dataset.n) > n, first, WAIT);

    const refused = await publish(server.addr, "push:news", { text: "no key" }, null);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, "unauthorized");

    const text = `breaking ${Date.now()}`;
    const res = await publish(server.addr, "push:news", { text });
    t.diagnostic(`publish: ${JSON.stringify(res)}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.delivered, 1);
    const row = page.locator(`#feed tr[data-offset="${res.body.offset}"] td.data`);
    await row.waitFor(WAIT);
    assert.deepEqual(JSON.parse(await row.textContent()), { text });
    assert.equal(await page.$$eval("#feed tr", (rows) => rows.length), 1);
    assert.deepEqual(page.errors, []);
    await page.close();
  });
});

describe("wsgate.js reconnects", () => {
  test("backoff grows exponentially with jitter up to the cap while the server is away", TEST, async (t) => {
    const server = await startServer(["--ticker-ms", "0"]);
    const browser = await launchBrowser();
    try {
      const page = await newPage(browser.context);
      await page.goto(`http://${server.addr}/chat`); // a page that loads /wsgate.js
      // A port nobody listens on: every attempt fails at once.
      const free = await new Promise((resolve) => {
        const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
      });
      const delays = await page.evaluate(async (url) => {
        const c = new WsgateClient(url, { minDelay: 40, maxDelay: 320 });
        while (c.delays.length < 7) await new Promise((r) => setTimeout(r, 20));
        c.close();
        return c.delays.slice(0, 7);
      }, `ws://127.0.0.1:${free}/ws`);
      t.diagnostic(`delays (ms): ${delays.map((d) => d.toFixed(0)).join(", ")}`);
      delays.forEach((d, i) => {
        const base = Math.min(320, 40 * 2 ** i);
        assert.ok(d >= base / 2 && d <= base, `delay ${i}: ${d} not in [${base / 2}, ${base}]`);
      });
      assert.deepEqual(page.errors, []);
    } finally {
      await browser.close();
      await stopServer(server);
    }
  });


  test("after a server restart the page reconnects, resubscribes and gets new messages", TEST, async (t) => {
    let server = await startServer(["--api-key", API_KEY, "--ticker-ms", "0"]);
    const browser = await launchBrowser();
    try {
      const page = await newPage(browser.context);
      await page.goto(`http://${server.addr}/push`);
      await page.waitForSelector('#feed[data-ready="true"]', { ...WAIT, state: "attached" });
      const before = await publish(server.addr, "push:news", { text: "before restart" });
      assert.equal(before.status, 200);
      await page.locator("#feed tr td.data", { hasText: "before restart" }).waitFor(WAIT);

      const addr = server.addr;
      await stopServer(server);
      await page.waitForSelector('#status[data-state="closed"], #status[data-state="connecting"]', WAIT);
      // The server's shutdown closed the page's /ws session with 1001, cleanly.
      const close = await page.evaluate(() => client.closes[0]);
      t.diagnostic(`close on shutdown: ${JSON.stringify(close)}`);
      assert.equal(close.code, 1001);
      assert.equal(close.wasClean, true);
      server = await startServer(["--api-key", API_KEY, "--ticker-ms", "0"], addr);
      await page.waitForSelector('#status[data-state="open"]', { timeout: 20_000 });
      // The resubscribe reply arrives right after the open; publish until the page shows it.
      const deadline = Date.now() + 10_000;
      let shown = false;
      while (!shown && Date.now() < deadline) {
        const res = await publish(server.addr, "push:news", { text: "after restart" });
        assert.equal(res.status, 200);
        shown = await page.locator("#feed tr td.data", { hasText: "after restart" }).first()
          .waitFor({ timeout: 1_000 }).then(() => true, () => false);
      }
      assert.ok(shown, "the page shows a message published after the restart");
      const reconnects = await page.evaluate(() => client.reconnects);
      t.diagnostic(`reconnects: ${reconnects}`);
      assert.ok(reconnects >= 1);
      assert.deepEqual(page.errors, []);
    } finally {
      await browser.close();
      await stopServer(server);
    }
  });
});
