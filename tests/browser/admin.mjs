// The Socket.IO Admin UI (built files of @socket.io/admin-ui) in Chromium,
// against our server: log in, look at the servers, sockets and rooms, then
// disconnect one socket from the UI. Screenshots along the way; prints a
// JSON summary on stdout.
//   node admin.mjs UI_URL SERVER_URL SCREENSHOT_PREFIX '{"servers": [...],
//     "sockets": [...], "room": "...", "disconnect": "sid"}'
import { chromium } from "playwright-core";

const [uiUrl, serverUrl, prefix, expectedJson] = process.argv.slice(2);
const expected = JSON.parse(expectedJson);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const timeout = 15000;
const summary = { blocked: [], console: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  page.setDefaultTimeout(timeout);
  page.on("console", (message) => summary.console.push(`${message.type()}: ${message.text()}`));
  // A socket's row in the Sockets list: its id, then its address (the rows
  // of a socket's own page, which may linger during a transition, differ).
  const socketRow = (sid) => page.locator("tr", { hasText: new RegExp(`${sid}\\s*127\\.0\\.0\\.1`) });
  // The UI loads fonts and icons from CDNs: nothing leaves 127.0.0.1 here.
  await page.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1") {
      return route.continue();
    }
    summary.blocked.push(url.hostname);
    return route.abort();
  });
  const shot = async (name) => {
    await page.waitForTimeout(300); // let Vuetify's transitions settle before the picture
    await page.screenshot({ path: `${prefix}-${name}.png` });
  };

  await page.goto(uiUrl);
  await page.getByLabel("Server URL").fill(serverUrl);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(expected.password);
  await shot("login");
  await page.getByRole("button", { name: "Connect" }).click();
  await page.getByRole("dialog").waitFor({ state: "hidden" });
  // The dashboard adds up the namespaces of both servers' stats.
  await page.locator("tr", { hasText: /^\s*\/admin\s*1\s*$/ }).waitFor();
  await shot("dashboard");

  await page.goto(`${uiUrl}#/servers/`);
  for (const id of expected.servers) {
    await page.locator("tr", { hasText: id }).first().waitFor();
  }
  summary.servers = await page.$$eval("tbody tr", (rows) => rows.map((r) => r.innerText));
  await shot("servers");

  await page.goto(`${uiUrl}#/sockets/`);
  for (const sid of expected.sockets) {
    await socketRow(sid).waitFor();
  }
  summary.sockets = await page.$$eval("tbody tr", (rows) => rows.map((r) => r.innerText));
  await shot("sockets");

  await page.goto(`${uiUrl}#/rooms/`);
  await page.locator("tr", { hasText: expected.room }).waitFor();
  summary.rooms = await page.$$eval("tbody tr", (rows) => rows.map((r) => r.innerText));
  await shot("rooms");

  await page.goto(`${uiUrl}#/sockets/`);
  await socketRow(expected.disconnect).getByRole("button").click();
  // The click reaches the row too, which opens the socket's page: back to the list.
  await page.goto(`${uiUrl}#/sockets/`);
  await socketRow(expected.sockets[0]).waitFor();
  await socketRow(expected.disconnect).waitFor({ state: "detached" });
  summary.socketsAfter = await page.$$eval("tbody tr", (rows) => rows.map((r) => r.innerText));
  await shot("disconnected");
  console.log(JSON.stringify(summary));
} finally {
  await browser.close();
}
