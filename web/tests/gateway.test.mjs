// The gateway against the running suite (started by tests/web/dashboard_test.sh
// with `make run`'s script): every RPC of every service in protos/ answered
// over HTTP (the test walks the descriptor set, no list of methods), a Chinese
// name through JSON both ways, 401 / 403 / 413 as HTTP statuses with Connect
// error bodies, and the live stream delivering a deal event to its owner and
// not to another team's supervisor.
//
// Inputs (environment): SALESOPS_GATEWAY_URL, SALESOPS_JWT_HS256_SECRET (the
// run's signing secret: tokens for reps of two teams are minted here).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

const url = process.env.SALESOPS_GATEWAY_URL;
const secret = process.env.SALESOPS_JWT_HS256_SECRET;
if (!url || !secret) throw new Error("missing SALESOPS_GATEWAY_URL or SALESOPS_JWT_HS256_SECRET");
const WAIT = 60_000;

// A token as `salesopsctl token` mints it (HS256, the services' audiences).
function token(sub, role, orgUnit = "") {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    aud: ["salesops.org", "salesops.targets", "salesops.customers", "salesops.performance",
      "salesops.forecast", "salesops.warning", "salesops.sync", "salesops.gateway"],
    iss: "salesops", sub, role, iat: now, nbf: now, exp: now + 3600,
  };
  if (orgUnit) claims.org_unit = orgUnit;
  const head = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
  return `${head}.${createHmac("sha256", secret).update(head).digest("base64url")}`;
}
const admin = token("gateway-test-admin", "admin");

async function post(method, body, { auth = admin, raw } = {}) {
  const headers = { "content-type": "application/json" };
  if (auth) headers.authorization = `Bearer ${auth}`;
  const resp = await fetch(`${url}/${method}`, { method: "POST", headers, body: raw ?? JSON.stringify(body) });
  const text = await resp.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = { unparsed: text };
  }
  return { status: resp.status, json };
}

test("every RPC of every service in protos/ answers over HTTP", async () => {
  const set = fromBinary(FileDescriptorSetSchema, readFileSync(new URL("../src/gen/salesops.binpb", import.meta.url)));
  const registry = createFileRegistry(set);
  const methods = [];
  for (const file of registry.files) {
    for (const service of file.services) {
      for (const m of service.methods) methods.push({ service: service.typeName, method: m.name });
    }
  }
  assert.ok(methods.length > 150, `only ${methods.length} methods in the descriptor set`);
  const unanswered = [];
  const unimplemented = new Set();
  const codes = new Map();
  // An empty request as an admin: each service answers, most with
  // invalid_argument naming a required field, reads with data or not_found.
  for (const { service, method } of methods) {
    const r = await post(`${service}/${method}`, {});
    const code = r.status === 200 ? "ok" : r.json.code;
    codes.set(code, (codes.get(code) ?? 0) + 1);
    if (r.status === 404 && !r.json.code) unanswered.push(`${service}/${method}: no route`);
    else if (!code) unanswered.push(`${service}/${method}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 120)}`);
    else if (code === "unavailable" || code === "internal" || code === "unknown") {
      unanswered.push(`${service}/${method}: ${code} ${r.json.message}`);
    } else if (code === "unimplemented") unimplemented.add(`${service}/${method}`);
  }
  assert.deepEqual(unanswered, []);
  // Every service is built: nothing answers UNIMPLEMENTED.
  assert.deepEqual([...unimplemented], []);
  console.log(`# ${methods.length} methods: ${JSON.stringify(Object.fromEntries(codes))}`);
});

test("a Chinese customer name survives JSON both ways", async () => {
  const name = `杭州西湖龙井茶业有限公司·网关测试${Date.now()}`;
  const reps = await post("salesops.org.v1.OrgService/ListMembers", { role: "ROLE_REP", pageSize: 1 });
  assert.equal(reps.status, 200, JSON.stringify(reps.json));
  const created = await post("salesops.customers.v1.CustomersService/CreateCustomer", {
    customer: { displayName: name, owner: reps.json.members[0].name },
  });
  assert.equal(created.status, 200, JSON.stringify(created.json));
  const got = await post("salesops.customers.v1.CustomersService/GetCustomer", { name: created.json.customer.name });
  assert.equal(got.status, 200);
  assert.equal(got.json.customer.displayName, name);
});

test("auth failures and oversized bodies map to HTTP statuses with Connect bodies", async () => {
  const none = await post("salesops.org.v1.OrgService/ListOrgUnits", {}, { auth: null });
  assert.equal(none.status, 401);
  assert.equal(none.json.code, "unauthenticated");
  const forged = await post("salesops.org.v1.OrgService/ListOrgUnits", {}, { auth: `${admin.slice(0, -4)}AAAA` });
  assert.equal(forged.status, 401);
  const rep = token("gateway-test-rep", "rep", "nowhere");
  const denied = await post("salesops.warning.v1.WarningService/CreateRule", { rule: { displayName: "x" } }, { auth: rep });
  assert.equal(denied.status, 403);
  assert.equal(denied.json.code, "permission_denied");
  const big = await post("salesops.customers.v1.CustomersService/CreateCustomer", null, {
    raw: JSON.stringify({ customer: { displayName: "x".repeat(5 * 1024 * 1024) } }),
  });
  assert.equal(big.status, 413);
  const bad = await post("salesops.customers.v1.CustomersService/ListCustomers", null, { raw: "{not json" });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, "invalid_argument");
});

// Reads an SSE stream, collecting events until `until` holds or time runs out;
// `ready` resolves once the gateway answered (the connection is registered).
function collect(tok, until) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), WAIT);
  let connected;
  const ready = new Promise((r) => { connected = r; });
  const done = (async () => {
    const events = [];
    try {
      const resp = await fetch(`${url}/v1/stream`, { headers: { authorization: `Bearer ${tok}` }, signal: ctrl.signal });
      assert.equal(resp.status, 200);
      connected();
      const decoder = new TextDecoder();
      let buf = "";
      for await (const chunk of resp.body) {
        buf += decoder.decode(chunk, { stream: true });
        let cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          const frame = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const type = frame.match(/^event: (.*)$/m)?.[1];
          const data = frame.match(/^data: (.*)$/m)?.[1];
          if (type && data) events.push({ type, data });
        }
        if (until(events)) break;
      }
    } catch (e) {
      if (e.name !== "AbortError") throw e;
    } finally {
      connected();
      clearTimeout(timer);
      ctrl.abort();
    }
    return events;
  })();
  return { ready, done };
}

// A new deal owned by `owner` (through a new customer of theirs).
async function dealOf(owner, label) {
  const c = await post("salesops.customers.v1.CustomersService/CreateCustomer", {
    customer: { displayName: `${label}客户${Date.now()}`, owner },
  });
  assert.equal(c.status, 200, JSON.stringify(c.json));
  const opps = await post("salesops.customers.v1.CustomersService/ListOpportunities", { pageSize: 1 });
  const o = await post("salesops.customers.v1.CustomersService/CreateOpportunity", {
    opportunity: {
      customer: c.json.customer.name, displayName: `${label}商机`, channel: "direct",
      amount: { amountMinor: "1000000", currencyCode: "CNY" }, productLine: opps.json.opportunities[0].productLine,
    },
  });
  assert.equal(o.status, 200, JSON.stringify(o.json));
  return o.json.opportunity.name;
}

test("the stream gives a deal event to its owner, not to another team's supervisor", async () => {
  const reps = await post("salesops.org.v1.OrgService/ListMembers", { role: "ROLE_REP", pageSize: 200 });
  const byTeam = new Map();
  for (const m of reps.json.members) if (!byTeam.has(m.orgUnit)) byTeam.set(m.orgUnit, m);
  const [a, b] = [...byTeam.values()];
  assert.ok(a && b, "need reps of two teams");
  const sups = await post("salesops.org.v1.OrgService/ListMembers", { role: "ROLE_SUPERVISOR", orgUnit: b.orgUnit, pageSize: 5 });
  const supB = sups.json.members?.[0];
  assert.ok(supB, `no supervisor in ${b.orgUnit}`);
  const strip = (n) => n.slice(n.indexOf("/") + 1);
  const repA = token(strip(a.name), "rep", strip(a.orgUnit));
  const supervisorB = token(strip(supB.name), "supervisor", strip(b.orgUnit));

  let dealA = "";
  let dealB = "";
  const seen = (events, deal) => deal && events.some((e) => e.type.endsWith("OpportunityCreated") && e.data.includes(deal));
  // Both connections open first; then A's deal, then B's (the barrier: once
  // B's supervisor sees B's deal, A's was published before it).
  const streamA = collect(repA, (ev) => seen(ev, dealA));
  const streamB = collect(supervisorB, (ev) => seen(ev, dealB));
  await Promise.all([streamA.ready, streamB.ready]);
  dealA = await dealOf(a.name, "甲队");
  dealB = await dealOf(b.name, "乙队");
  const [evA, evB] = await Promise.all([streamA.done, streamB.done]);
  assert.ok(seen(evA, dealA), `rep A never saw ${dealA}`);
  assert.ok(seen(evB, dealB), `supervisor B never saw their team's ${dealB}`);
  assert.ok(!evB.some((e) => e.data.includes(dealA)), `supervisor B saw A's deal ${dealA}`);
  assert.ok(!evA.some((e) => e.data.includes(dealB)), `rep A saw B's deal ${dealB}`);
});
