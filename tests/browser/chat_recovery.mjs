// The chat example survives a dropped connection: alice and bob chat in
// Chromium; alice's network goes down (offline emulation, and its transport
// closed under the page) while bob sends messages; when it comes back, alice
// has every message once, in order, and socket.recovered is true. Prints a
// JSON summary on stdout and screenshots alice's page.
//   node chat_recovery.mjs http://127.0.0.1:PORT /path/to/screenshot-prefix
import { chromium } from "playwright-core";

const [url, prefix] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const timeout = 15000;
try {
  const open = async (name) => {
    const context = await browser.newContext({ viewport: { width: 900, height: 500 } });
    const page = await context.newPage();
    page.setDefaultTimeout(timeout);
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("connected (websocket)"));
    await page.fill("#name", name);
    await page.click("#name-form button");
    await page.waitForSelector(`#log li:has-text("you are ${name}")`);
    await page.fill("#room", "lobby");
    await page.click("#join");
    await page.waitForSelector("#rooms li:has-text('lobby')");
    return { context, page };
  };
  const say = async (page, text) => {
    await page.fill("#text", text);
    await page.click("#send");
  };
  const alice = await open("alice");
  const bob = await open("bob");
  await alice.page.waitForSelector("#log li:has-text('bob has entered the room.')");
  await say(bob.page, "before the blip");
  await alice.page.waitForSelector("#log li:has-text('[lobby] bob: before the blip')");
  const sid = await alice.page.evaluate(() => socket.id);

  // The blip: no network, and the connection it had is gone.
  await alice.context.setOffline(true);
  await alice.page.evaluate(() => socket.io.engine.close());
  await alice.page.waitForFunction(() => document.getElementById("status").textContent.startsWith("disconnected"));
  const missed = ["while you were away 1", "while you were away 2", "while you were away 3"];
  for (const text of missed) {
    await say(bob.page, text);
    await bob.page.waitForSelector(`#log li:has-text('[lobby] bob: ${text}')`);
  }
  await alice.context.setOffline(false);
  await alice.page.waitForFunction(() => document.getElementById("status").textContent.startsWith("reconnected"),
                                   null, { timeout: 20000 });
  await alice.page.waitForSelector(`#log li:has-text('[lobby] bob: ${missed[2]}')`);
  // And the conversation goes on, both ways.
  await say(alice.page, "back again");
  await bob.page.waitForSelector("#log li:has-text('[lobby] alice: back again')");
  await say(bob.page, "welcome back");
  await alice.page.waitForSelector("#log li:has-text('[lobby] bob: welcome back')");

  await alice.page.screenshot({ path: `${prefix}-alice.png` });
  const summary = {
    sid,
    after: await alice.page.evaluate(() => ({ sid: socket.id, recovered: socket.recovered })),
    log: await alice.page.$$eval("#log li", (items) => items.map((li) => li.textContent)),
    status: await alice.page.textContent("#status"),
    bobUsers: await bob.page.$$eval("#users li", (items) => items.map((li) => li.textContent)),
  };
  console.log(JSON.stringify(summary));
} finally {
  await browser.close();
}
