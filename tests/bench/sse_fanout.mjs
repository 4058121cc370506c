// SSE fan-out: CONNECTIONS live-stream connections to the gateway, then EVENTS
// org units created through the gateway one after another; for each event and
// connection, the time from the unit's commit (its create_time, set in the
// transaction that also writes the outbox entry) to the frame arriving here.
// Prints one JSON line with p50/p99/max in ms, connections that missed an event,
// and the gateway's process RSS is left to the caller.
//
//   node sse_fanout.mjs --url=http://127.0.0.1:P --token=JWT --parent=orgUnits/X \
//     [--connections=1000] [--events=50]
const arg = (k, d) => (process.argv.find((a) => a.startsWith(`--${k}=`)) ?? `=${d ?? ""}`).split("=").slice(1).join("=");
const url = arg("url");
const token = arg("token");
const parent = arg("parent");
const connections = Number(arg("connections", 1000));
const events = Number(arg("events", 50));
if (!url || !token || !parent) throw new Error("need --url, --token and --parent");

const prefix = `sse-${Date.now().toString(36)}-`;
const latencies = [];
const seenBy = new Map(); // unit name -> connections that got it
let connected = 0;
const controllers = [];

function open(i) {
  return new Promise((resolveConnected) => {
    const ctrl = new AbortController();
    controllers.push(ctrl);
    (async () => {
      const resp = await fetch(`${url}/v1/stream`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
      if (resp.status !== 200) throw new Error(`connection ${i}: HTTP ${resp.status}`);
      connected++;
      resolveConnected();
      const decoder = new TextDecoder();
      let buf = "";
      for await (const chunk of resp.body) {
        const now = Date.now();
        buf += decoder.decode(chunk, { stream: true });
        let cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          const frame = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          if (!frame.includes("OrgUnitCreated") || !frame.includes(prefix)) continue;
          const data = frame.match(/^data: (.*)$/m)?.[1] ?? "{}";
          const unit = JSON.parse(data).orgUnit ?? {};
          const created = Date.parse(unit.createTime);
          latencies.push(now - created);
          seenBy.set(unit.name, (seenBy.get(unit.name) ?? 0) + 1);
        }
      }
    })().catch((e) => {
      // undici says only "fetch failed"; the reason (ECONNRESET, a timeout, …) is its cause.
      if (e.name !== "AbortError") console.error(`connection ${i}: ${e}${e.cause ? ` (${e.cause})` : ""}`);
      resolveConnected();
    });
  });
}

async function create(n) {
  const resp = await fetch(`${url}/salesops.org.v1.OrgService/CreateOrgUnit`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ orgUnitId: `${prefix}${n}`, orgUnit: { displayName: `扇出测试${n}`, kind: "ORG_UNIT_KIND_TEAM", parent } }),
  });
  if (resp.status !== 200) throw new Error(`CreateOrgUnit: HTTP ${resp.status} ${await resp.text()}`);
  return (await resp.json()).orgUnit.name;
}

// Open in batches so the gateway's accept queue is not the thing measured.
for (let i = 0; i < connections; i += 100) {
  await Promise.all(Array.from({ length: Math.min(100, connections - i) }, (_, k) => open(i + k)));
}
if (connected !== connections) throw new Error(`only ${connected} of ${connections} connected`);
const names = [];
for (let n = 0; n < events; n++) names.push(await create(n));
// Done when every connection saw every event, or 30 s after the last write.
const deadline = Date.now() + 30_000;
while (Date.now() < deadline && names.some((n) => (seenBy.get(n) ?? 0) < connections)) {
  await new Promise((r) => setTimeout(r, 50));
}
for (const c of controllers) c.abort();
latencies.sort((a, b) => a - b);
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0);
const missed = names.reduce((m, n) => m + (connections - (seenBy.get(n) ?? 0)), 0);
console.log(JSON.stringify({
  target: "sse_fanout", connections, events, deliveries: latencies.length, missed,
  p50_ms: pct(0.5), p99_ms: pct(0.99), max_ms: latencies.at(-1) ?? 0,
}));
process.exit(0);
