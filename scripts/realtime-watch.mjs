// Prints every realtime event one account (or an anonymous visitor) receives, using the SDK bundle
// from Node. Run two or three in separate terminals to watch events arrive live:
//   npm run build:client
//   node scripts/realtime-watch.mjs --email player@cyberhub.local --password player-demo-password
//   node scripts/realtime-watch.mjs            (anonymous: lobby only)
import { parseArgs } from "node:util";
import { WebSocket } from "ws";
import { createRealtime } from "../public/sdk/realtime.js";

const { values } = parseArgs({
  options: { url: { type: "string", default: process.env.CYBERHUB_URL ?? "http://127.0.0.1:8787" }, email: { type: "string" }, password: { type: "string" } },
});

let auth;
if (values.email) {
  const res = await fetch(`${values.url}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: values.email, password: values.password }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  auth = { kind: "token", token: (await res.json()).token };
}

const rt = createRealtime({ baseUrl: values.url, auth, WebSocket });
const who = values.email ?? "anonymous";
rt.onStateChange((state, sockets) => console.log(`[${who}] state ${state}`, JSON.stringify(sockets)));
for (const event of ["balance:updated", "inventory:updated", "cases:updated", "drops:new", "online", "resync"]) {
  rt.on(event, (data) => console.log(`[${who}] ${event}`, JSON.stringify(data)));
}
process.on("SIGINT", () => {
  rt.close();
  process.exit(0);
});
