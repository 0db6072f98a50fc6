// What the browser tests share: the `wsgate` binary under test, started as a server on an
// ephemeral loopback port, and Debian Chromium (playwright-core) with a throwaway
// profile and the flags of ../../shared/TESTING.md.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.WSGATE_BIN ?? path.resolve(here, "../../target/release/wsgate");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** Start `wsgate serve` with `args`; resolves once it prints its address. */
export function startServer(args = [], listen = "127.0.0.1:0") {
  const child = spawn(BIN, ["serve", "--listen", listen, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "info" },
  });
  let log = "";
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wsgate serve did not start:\n${log}`)), 20_000);
    child.stderr.on("data", (chunk) => {
      log += chunk;
      // Only a whole line counts: a partial "listening on 127" is not an address.
      const m = /^listening on (127\.0\.0\.1:\d+)\r?\n/m.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("error", (err) => { clearTimeout(timer); reject(err); });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`wsgate serve exited ${code}:\n${log}`)); });
  });
  return ready.then((addr) => ({ child, addr, exited, log: () => log }));
}

export async function stopServer(server) {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 15_000);
  await server.exited;
  clearTimeout(timer);
}

export async function launchBrowser() {
  const profile = mkdtempSync(path.join(tmpdir(), "wsgate-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
