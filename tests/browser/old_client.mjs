// Chromium loads a page that connects with socket.io-client 1.3.7 and acks an
// echo; prints the page title it ends with (or "timeout").
//   node old_client.mjs http://127.0.0.1:PORT/
import { chromium } from "playwright-core";

const [url] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  try {
    await page.waitForFunction(() => document.title.startsWith("echo:"), null, { timeout: 10000 });
  } catch (err) {
    // the title says what happened
  }
  process.stdout.write((await page.title()) + "\n");
} finally {
  await browser.close();
}
