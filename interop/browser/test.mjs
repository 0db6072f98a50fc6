// Browser and Node interop: `wsgate serve` against Debian Chromium (driven by
// playwright-core) and against the Node `ws` client.
//
//   WSGATE_BIN=target/release/wsgate node --test interop/browser/test.mjs
//
// Chromium offers permessage-deflate, so the page tests also check our deflate against
// Chromium's. Everything runs on 127.0.0.1 with ephemeral ports; each test is bounded.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { launchBrowser, startServer } from "./harness.mjs";

const MIB = 1024 * 1024;
const TEST = { timeout: 60_000 };

/**
 * The close event shows the reason of the server's close reply. RFC 6455 5.5.1: the
 * reply "typically echos the status code"; echoing the reason is optional, so either
 * the reason we sent or none is right.
 */
function assertEchoedReason(got, sent) {
  assert.ok(got === sent || got === "", `close reason ${JSON.stringify(got)}`);
}

/** A page that fails the test on uncaught script errors. */
async function newPage(context) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(err));
  page.errors = errors;
  return page;
}

describe("Chromium against wsgate serve", () => {
  let server;
  let browser;
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    server?.child.kill("SIGTERM");
  });

  test("index page and /healthz", TEST, async () => {
    const page = await newPage(browser.context);
    const res = await page.goto(`http://${server.addr}/`);
    assert.equal(res.status(), 200);
    assert.match(await page.textContent("h1"), /wsgate/);
    const health = await page.goto(`http://${server.addr}/healthz`);
    assert.equal(health.status(), 200);
    assert.equal((await health.text()).trim(), "ok");
    const missing = await page.goto(`http://${server.addr}/no-such-page`);
    assert.equal(missing.status(), 404);
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test("Echo tester page: text and hex through the UI, close 4000", TEST, async (t) => {
    const page = await newPage(browser.context);
    await page.goto(`http://${server.addr}/echo`);
    assert.equal(await page.inputValue("#url"), `ws://${server.addr}/ws/echo`);
    await page.click("#connect");
    await page.waitForSelector('#status[data-state="open"]', { timeout: 10_000 });
    assert.match(await page.textContent("#info"), /permessage-deflate/);

    await page.fill("#payload", "hello from chromium \u{1F600}");
    await page.click("#send");
    const text = page.locator('#log tr[data-dir="received"][data-kind="text"]');
    await text.first().waitFor({ timeout: 10_000 });
    assert.equal(await text.first().locator("td.data").textContent(), "hello from chromium \u{1F600}");
    assert.equal(await text.first().getAttribute("data-size"), "24");

    await page.selectOption("#kind", "hex");
    await page.fill("#payload", "00 01 fe ff");
    await page.click("#send");
    const bin = page.locator('#log tr[data-dir="received"][data-kind="binary"]');
    await bin.first().waitFor({ timeout: 10_000 });
    assert.equal(await bin.first().locator("td.data").textContent(), "00 01 fe ff");

    await page.fill("#close-code", "4000");
    await page.fill("#close-reason", "done here");
    await page.click("#close");
    await page.waitForSelector("#close-result[data-code]", { timeout: 10_000 });
    const result = await page.$eval("#close-result", (el) => ({ ...el.dataset }));
    t.diagnostic(`close event: ${JSON.stringify(result)}`);
    assert.equal(result.code, "4000");
    assert.equal(result.wasClean, "true");
    assertEchoedReason(result.reason, "done here");
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test("page script: text, binary, 1 MiB messages echo; close 4000 with reason", TEST, async (t) => {
    const page = await newPage(browser.context);
    await page.goto(`http://${server.addr}/`);
    const result = await page.evaluate(async ({ url, mib }) => {
      const ws = new WebSocket(url);
      ws.binaryType = "arraybuffer";
      const inbox = [];
      let wake = null;
      ws.onmessage = (ev) => { inbox.push(ev.data); wake?.(); };
      const closed = new Promise((resolve) => {
        ws.onclose = (ev) => resolve({ code: ev.code, reason: ev.reason, wasClean: ev.wasClean });
      });
      await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
      const next = async () => {
        while (inbox.length === 0) await new Promise((resolve) => { wake = resolve; });
        return inbox.shift();
      };
      const same = (a, b) => {
        const x = new Uint8Array(a), y = new Uint8Array(b);
        return x.length === y.length && x.every((v, i) => v === y[i]);
      };
      const random = (n) => {
        const b = new Uint8Array(n);
        for (let o = 0; o < n; o += 65536) crypto.getRandomValues(b.subarray(o, Math.min(n, o + 65536)));
        return b;
      };
      const checks = {};
      ws.send("hello"); checks.text = (await next()) === "hello";
      ws.send(""); checks.emptyText = (await next()) === "";
      const small = new Uint8Array([0, 1, 2, 253, 254, 255]);
      ws.send(small); checks.binary = same(await next(), small.buffer);
      const bigText = "wsgate ".repeat(mib / 7 + 1).slice(0, mib);
      ws.send(bigText); checks.bigText = (await next()) === bigText;
      const bigBin = random(mib);
      ws.send(bigBin); checks.bigBinary = same(await next(), bigBin.buffer);
      const many = [];
      for (let i = 0; i < 100; i++) { many.push(`m${i}`); ws.send(`m${i}`); }
      const got = [];
      for (let i = 0; i < 100; i++) got.push(await next());
      checks.ordered = got.join() === many.join();
      const extensions = ws.extensions;
      ws.close(4000, "bye from the page");
      return { checks, extensions, close: await closed };
    }, { url: `ws://${server.addr}/ws/echo`, mib: MIB });
    assert.deepEqual(result.checks, {
      text: true, emptyText: true, binary: true, bigText: true, bigBinary: true, ordered: true,
    });
    assert.match(result.extensions, /permessage-deflate/);
    t.diagnostic(`extensions: ${result.extensions}; close event: ${JSON.stringify(result.close)}`);
    assert.equal(result.close.code, 4000);
    assert.equal(result.close.wasClean, true);
    assertEchoedReason(result.close.reason, "bye from the page");
    assert.deepEqual(page.errors, []);
    await page.close();
  });
});

describe("server-initiated close", () => {
  test("Ctrl-C on wsgate serve closes open sockets with 1001, cleanly", TEST, async (t) => {
    const server = await startServer();
    const browser = await launchBrowser();
    try {
      const page = await newPage(browser.context);
      await page.goto(`http://${server.addr}/`);
      await page.evaluate((url) => {
        window.closeEvent = new Promise((resolve, reject) => {
          const ws = new WebSocket(url);
          ws.onopen = () => { ws.send("ready"); };
          ws.onmessage = () => { window.socketReady = true; };
          ws.onerror = () => reject(new Error("socket error"));
          ws.onclose = (ev) => resolve({ code: ev.code, reason: ev.reason, wasClean: ev.wasClean });
        });
      }, `ws://${server.addr}/ws/echo`);
      await page.waitForFunction(() => window.socketReady === true, null, { timeout: 10_000 });
      server.child.kill("SIGINT");
      const close = await page.evaluate(() => window.closeEvent);
      t.diagnostic(`close event: ${JSON.stringify(close)}`);
      assert.equal(close.code, 1001);
      assert.equal(close.wasClean, true);
      const exit = await Promise.race([
        server.exited,
        new Promise((resolve) => setTimeout(() => resolve("still running"), 15_000).unref()),
      ]);
      assert.deepEqual(exit, { code: 0, signal: null }, `wsgate serve after SIGINT:\n${server.log()}`);
    } finally {
      await browser.close();
      server.child.kill("SIGKILL");
    }
  });
});

describe("Node ws against wsgate serve", () => {
  let server;
  before(async () => { server = await startServer(); });
  after(() => server?.child.kill("SIGTERM"));

  for (const perMessageDeflate of [false, true]) {
    test(`echo with perMessageDeflate: ${perMessageDeflate}`, TEST, async (t) => {
      const ws = new WebSocket(`ws://${server.addr}/ws/echo`, { perMessageDeflate });
      const inbox = [];
      let wake = null;
      ws.on("message", (data, isBinary) => { inbox.push({ data, isBinary }); wake?.(); });
      const closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
      await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
      const next = async () => {
        while (inbox.length === 0) await new Promise((resolve) => { wake = resolve; });
        return inbox.shift();
      };
      assert.equal(ws.extensions.includes("permessage-deflate"), perMessageDeflate);
      ws.send("hello node");
      let m = await next();
      assert.equal(m.isBinary, false);
      assert.equal(m.data.toString(), "hello node");
      const big = randomBytes(MIB);
      ws.send(big);
      m = await next();
      assert.equal(m.isBinary, true);
      assert.ok(big.equals(m.data));
      const fragments = ["frag", "ment", "ed"];
      fragments.forEach((f, i) => ws.send(f, { fin: i === fragments.length - 1 }));
      m = await next();
      assert.equal(m.data.toString(), "fragmented");
      ws.close(4001, "node done");
      const close = await closed;
      t.diagnostic(`extensions: ${ws.extensions || "none"}; close: ${JSON.stringify(close)}`);
      assert.equal(close.code, 4001);
      assertEchoedReason(close.reason, "node done");
    });
  }
});
