// The supervisor's phone, in Debian's chromium driven by playwright-core (no
// browser download), against a running suite (tests/web/dashboard_test.sh
// starts it with `make run`'s script): sign in from the link, see a warning
// and acknowledge it, see a deal the test creates move into the pipeline chart
// live, the same in English, a screenshot of every page in both languages, and
// an axe-core scan of every page with no serious or critical violation.
//
// Inputs (environment): SALESOPS_GATEWAY_URL, SALESOPS_TEST_SUP_TOKEN (a
// supervisor of SALESOPS_TEST_TEAM), SALESOPS_TEST_ADMIN_TOKEN,
// SALESOPS_TEST_ARTIFACTS (screenshots), CHROMIUM (default /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axePath = require.resolve("axe-core/axe.min.js");

const url = process.env.SALESOPS_GATEWAY_URL;
const supToken = process.env.SALESOPS_TEST_SUP_TOKEN;
const adminToken = process.env.SALESOPS_TEST_ADMIN_TOKEN;
const team = process.env.SALESOPS_TEST_TEAM;
const artifacts = process.env.SALESOPS_TEST_ARTIFACTS ?? "test-artifacts";
for (const [k, v] of Object.entries({ url, supToken, adminToken, team })) {
  if (!v) throw new Error(`missing ${k} (see the header of this file)`);
}
mkdirSync(artifacts, { recursive: true });

const PAGES = ["today", "team", "warnings", "pipeline", "customers", "forecast", "reviews"];
const WAIT = 60_000;

// A Connect unary call through the gateway, as any HTTP client would make it.
async function call(token, method, body) {
  const resp = await fetch(`${url}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const json = await resp.json();
  if (!resp.ok) throw new Error(`${method}: HTTP ${resp.status} ${JSON.stringify(json)}`);
  return json;
}

let browser;
let page;
const seen = []; // console errors of the page

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: "zh-CN",
  });
  page = await context.newPage();
  page.on("pageerror", (e) => seen.push(String(e)));
});

after(async () => {
  await browser?.close();
});

async function open(name) {
  await page.evaluate((n) => { location.hash = `#/${n}`; }, name);
  await page.waitForFunction((n) => document.querySelector("main#page")?.dataset.page === n, name, { timeout: WAIT });
  // Drawn: every box of the page has loaded (or says it is empty / failed).
  await page.waitForFunction(() => !document.querySelector("main#page")?.textContent?.match(/加载中…|Loading…/), null, { timeout: WAIT });
}

async function axe(name) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
  });
  const bad = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `${name}: axe found ${JSON.stringify(bad)}`);
}

async function shoot(lang) {
  for (const name of PAGES) {
    await open(name);
    await page.screenshot({ path: `${artifacts}/${lang}-${name}.png` }); // what the phone shows
    await axe(`${lang}/${name}`);
  }
}

// Count of deals in `stage` as the pipeline page shows it.
async function stageCount(stage) {
  return page.$eval(`li[data-stage="${stage}"]`, (li) => Number(li.dataset.count));
}

// A new deal in the supervisor's team, made as an admin through the gateway.
async function newDeal() {
  const customers = await call(adminToken, "salesops.customers.v1.CustomersService/ListCustomers", { team: `orgUnits/${team}`, pageSize: 1 });
  assert.ok(customers.customers?.length, `no customer in team ${team}`);
  const opps = await call(adminToken, "salesops.customers.v1.CustomersService/ListOpportunities", { team: `orgUnits/${team}`, pageSize: 1 });
  assert.ok(opps.opportunities?.length, `no deal in team ${team} to take a product line from`);
  const created = await call(adminToken, "salesops.customers.v1.CustomersService/CreateOpportunity", {
    opportunity: {
      customer: customers.customers[0].name,
      displayName: `浏览器测试商机 ${Date.now()}`,
      amount: { amountMinor: "12300000", currencyCode: "CNY" },
      productLine: opps.opportunities[0].productLine,
      channel: "direct",
    },
  });
  return created.opportunity;
}

test("zh-CN: sign in, acknowledge a warning, a new deal shows up live", async () => {
  await page.goto(`${url}/#/signin?token=${encodeURIComponent(supToken)}`);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "zh-CN");
  // The token left the address bar.
  await page.waitForFunction(() => !location.hash.includes("token="), null, { timeout: WAIT });
  await page.waitForSelector('[data-testid="live"][data-connected="true"]', { timeout: WAIT });

  await open("today");
  const today = await page.textContent("main#page");
  assert.match(today, /我的业绩/);
  assert.match(today, /达成率/);
  await page.waitForSelector('[data-testid="attainment"]', { timeout: WAIT });

  // A warning of the team, acknowledged with a note.
  await open("warnings");
  await page.waitForSelector("article.warning", { timeout: WAIT });
  // The warning the harness picked (open once the services caught up), else the first open one.
  const name = process.env.SALESOPS_TEST_WARNING ??
    await page.locator("article.warning:has(button.primary)").first().getAttribute("data-warning");
  assert.ok(name, "no open warning to acknowledge");
  // Locators, not element handles: the list redraws on every warning event.
  const card = page.locator(`article[data-warning="${name}"]`);
  await card.locator("input").fill("已电话沟通，本周跟进");
  await card.locator("button.primary").click();
  await page.waitForFunction(
    (n) => document.querySelector(`article[data-warning="${n}"] .badge.ok`) ||
      /ABORTED|FAILED|INVALID|PERMISSION|NOT_FOUND|Unavailable|Aborted|FailedPrecondition/.test(document.querySelector(".toast")?.textContent ?? ""),
    name, { timeout: WAIT });
  const toast = await page.textContent(".toast");
  assert.ok(await card.locator(".badge.ok").count(), `not acknowledged; the page said: ${toast}`);
  const after = await call(supToken, "salesops.warning.v1.WarningService/GetWarning", { name });
  assert.equal(after.warning.state, "WARNING_STATE_ACKNOWLEDGED");
  assert.equal(after.warning.acknowledgeNote, "已电话沟通，本周跟进");

  // A strategy-adjustment proposal about that warning, from its card.
  await card.locator("button:not(.primary)").first().click();
  await card.locator("form.proposal input").fill("东区重点商机周会跟进");
  await card.locator("form.proposal textarea").fill("每周一复盘停滞商机，指派专人推进");
  await card.locator("form.proposal button[type=submit]").click();
  await page.waitForFunction(() => /方案已提交/.test(document.querySelector(".toast")?.textContent ?? ""), null, { timeout: WAIT });
  const proposals = await call(supToken, "salesops.warning.v1.WarningService/ListProposals", { warning: name, pageSize: 10 });
  assert.ok(
    (proposals.proposals ?? []).some((p) => p.title === "东区重点商机周会跟进" && p.warnings.includes(name)),
    `no proposal about ${name}: ${JSON.stringify(proposals)}`);

  // The pipeline chart moves when a deal is created, without a reload.
  await open("pipeline");
  await page.waitForSelector('li[data-stage="LEAD"]', { timeout: WAIT });
  const before = await stageCount("LEAD");
  await page.evaluate(() => { window.__notReloaded = true; });
  await newDeal();
  await page.waitForFunction((n) => Number(document.querySelector('li[data-stage="LEAD"]')?.dataset.count) === n + 1, before, { timeout: WAIT });
  assert.equal(await page.evaluate(() => window.__notReloaded), true, "the page reloaded");

  // Biweekly reviews: the supervisor generates the team's for this cycle,
  // opens one, adds an action item; an item finished elsewhere shows up live;
  // finishing one on the page is stored.
  await open("reviews");
  await page.click('[data-testid="generate-reviews"]');
  await page.waitForSelector("[data-review]", { timeout: WAIT });
  const reviewName = await page.$eval("[data-review]", (a) => a.dataset.review);
  await page.click(`[data-review="${reviewName}"]`);
  await page.waitForSelector("table.changes tbody tr", { timeout: WAIT });
  assert.match(await page.textContent("main#page"), /本期变化/);
  assert.match(await page.textContent("main#page"), /赢单率/);
  const items = async () => page.$$eval("li.item", (l) => l.length);
  const itemsBefore = await items();
  await page.click('button:has-text("添加行动项")');
  await page.fill('[data-testid="item-form"] input[type="text"]', "每周两次异议处理角色扮演");
  await page.click('[data-testid="item-form"] button[type="submit"]');
  await page.waitForFunction((n) => document.querySelectorAll("li.item").length === n + 1, itemsBefore, { timeout: WAIT });
  const added = await call(supToken, "salesops.performance.v1.PerformanceService/GetReview", { name: reviewName });
  const mine = added.review.actionItems.find((a) => a.description === "每周两次异议处理角色扮演");
  assert.ok(mine, `the item is not stored: ${JSON.stringify(added.review.actionItems)}`);
  assert.equal(mine.state, "ACTION_ITEM_STATE_OPEN");
  // A second item, finished by someone else: the page shows it done without a reload.
  await page.evaluate(() => { window.__notReloaded = true; });
  const other = await call(adminToken, "salesops.performance.v1.PerformanceService/AddActionItem", {
    review: reviewName, actionItem: { description: "拜访两家A类客户", dueDate: { year: 2030, month: 1, day: 1 } },
  });
  const otherId = other.review.actionItems.at(-1).actionItemId;
  await call(adminToken, "salesops.performance.v1.PerformanceService/UpdateActionItem", {
    review: reviewName, actionItemId: otherId, state: "ACTION_ITEM_STATE_DONE",
  });
  await page.waitForSelector(`li.item[data-item="${otherId}"] .badge.ok`, { timeout: WAIT });
  assert.equal(await page.evaluate(() => window.__notReloaded), true, "the page reloaded");
  await page.click(`li.item[data-item="${mine.actionItemId}"] button.primary`);
  await page.waitForSelector(`li.item[data-item="${mine.actionItemId}"] .badge.ok`, { timeout: WAIT });
  const done = await call(supToken, "salesops.performance.v1.PerformanceService/GetReview", { name: reviewName });
  assert.equal(done.review.actionItems.find((a) => a.actionItemId === mine.actionItemId).state, "ACTION_ITEM_STATE_DONE");

  await shoot("zh-CN");
  assert.deepEqual(seen, []);
});

test("en: the same pages in English; a deal moving stage moves the chart live", async () => {
  await page.click('[data-testid="lang"]');
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  await open("warnings");
  assert.match(await page.textContent("main#page"), /Warnings to handle/);
  await page.waitForSelector("article.warning", { timeout: WAIT });
  assert.match(await page.textContent("article.warning .badge"), /Warning|Critical|Info/);

  await open("pipeline");
  assert.match(await page.textContent("main#page"), /Amount by stage/);
  await page.waitForSelector('li[data-stage="QUALIFIED"]', { timeout: WAIT });
  const lead = await stageCount("LEAD");
  const qualified = await stageCount("QUALIFIED");
  await page.evaluate(() => { window.__notReloaded = true; });
  const deal = await newDeal();
  await page.waitForFunction((n) => Number(document.querySelector('li[data-stage="LEAD"]')?.dataset.count) === n + 1, lead, { timeout: WAIT });
  await call(adminToken, "salesops.customers.v1.CustomersService/ChangeOpportunityStage", {
    name: deal.name, etag: deal.etag, stage: "OPPORTUNITY_STAGE_QUALIFIED",
  });
  await page.waitForFunction((n) => Number(document.querySelector('li[data-stage="QUALIFIED"]')?.dataset.count) === n + 1, qualified, { timeout: WAIT });
  assert.equal(await stageCount("LEAD"), lead);
  assert.equal(await page.evaluate(() => window.__notReloaded), true, "the page reloaded");

  await shoot("en");
  assert.deepEqual(seen, []);
});
