// Two Chromium pages use the chat example: join a room, talk, send a private
// message, then screenshot both pages. Prints a JSON summary on stdout.
//   node chat.mjs http://127.0.0.1:PORT /path/to/screenshots-prefix
import { chromium } from "playwright-core";

const [url, prefix] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const timeout = 10000;
try {
  const open = async (name) => {
    const page = await browser.newPage({ viewport: { width: 900, height: 500 } });
    page.setDefaultTimeout(timeout);
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("connected"));
    await page.fill("#name", name);
    await page.click("#name-form button");
    await page.waitForSelector(`#log li:has-text("you are ${name}")`);
    await page.fill("#room", "lobby");
    await page.click("#join");
    await page.waitForSelector("#rooms li:has-text('lobby')");
    return page;
  };
  const alice = await open("alice");
  const bob = await open("bob");
  await alice.waitForSelector("#log li:has-text('bob has entered the room.')");

  await alice.fill("#text", "hello from alice");
  await alice.click("#send");
  await bob.waitForSelector("#log li:has-text('[lobby] alice: hello from alice')");
  await bob.fill("#text", "hi alice, bob here");
  await bob.click("#send");
  await alice.waitForSelector("#log li:has-text('[lobby] bob: hi alice, bob here')");

  await bob.click("#users li:has-text('alice')");
  await bob.fill("#text", "a secret for alice");
  await bob.click("#send");
  await alice.waitForSelector("#log li:has-text('(private) bob: a secret for alice')");

  const summary = {};
  for (const [name, page] of [["alice", alice], ["bob", bob]]) {
    await page.screenshot({ path: `${prefix}-${name}.png` });
    summary[name] = {
      log: await page.$$eval("#log li", (items) => items.map((li) => li.textContent)),
      status: await page.textContent("#status"),
      users: await page.$$eval("#users li", (items) => items.map((li) => li.textContent)),
    };
  }
  console.log(JSON.stringify(summary));
} finally {
  await browser.close();
}
