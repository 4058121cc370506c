// Screenshots of every page at 390×844 in Debian's chromium, for the README:
// against a running `make run`, signed in with the link it printed.
//   node scripts/screenshots.mjs 'http://127.0.0.1:8080/#/signin?token=…' ../docs/screenshots
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const [link, out = "../docs/screenshots"] = process.argv.slice(2);
if (!link) throw new Error("usage: node scripts/screenshots.mjs SIGN_IN_LINK [OUT_DIR]");
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
const page = await (await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, locale: "zh-CN" })).newPage();
await page.goto(link);
await page.waitForSelector('[data-testid="live"][data-connected="true"]', { timeout: 60_000 });
for (const lang of ["zh-CN", "en"]) {
  if (lang === "en") await page.click('[data-testid="lang"]');
  for (const name of ["today", "team", "warnings", "pipeline", "customers", "forecast"]) {
    if (lang === "en" && name !== "today" && name !== "warnings") continue;
    await page.evaluate((n) => { location.hash = `#/${n}`; }, name);
    await page.waitForFunction((n) => document.querySelector("main#page")?.dataset.page === n, name);
    await page.waitForFunction(() => !/加载中…|Loading…/.test(document.querySelector("main#page")?.textContent ?? ""));
    await page.screenshot({ path: `${out}/${lang}-${name}.png` });
  }
}
await browser.close();
