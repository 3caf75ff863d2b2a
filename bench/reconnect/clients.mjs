// One process of the reconnect storm: many SDK clients (private + lobby socket each, token auth,
// so every (re)connect also fetches a ticket), driven by bench/reconnect.mjs over IPC. It records
// what the application receives (every event the SDK emits, in order) and, per socket, when it
// closed and when a welcome arrived, plus what reached the server per 100 ms (ticket responses and
// WebSocket handshakes answered). Flaky clients cut their own connections every few seconds, as a phone
// on a bad network does. Loopback only; every timer is cleared on close.
import WebSocket from "ws";

const BUCKET_MS = 100;
const state = { config: null, sdk: null, clients: [], buckets: new Map(), flaky: false };

function count(kind) {
  const bucket = Math.floor(Date.now() / BUCKET_MS);
  let b = state.buckets.get(bucket);
  if (!b) state.buckets.set(bucket, (b = { tickets: 0, ticketErrors: 0, ticketRefused: 0, handshakes: 0, handshakeRefused: 0, attempts: 0, refused: 0, resumes: 0 }));
  b[kind]++;
}

// The SDK fetches a ticket before every private (re)connect with the global fetch.
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  if (!String(input).startsWith("http://127.0.0.1:")) throw new Error(`refusing non-local fetch ${input}`);
  try {
    const res = await realFetch(input, init);
    count("tickets");
    if (res.status !== 201) count("ticketRefused");
    return res;
  } catch (err) {
    count("ticketErrors");
    throw err;
  }
};

/** The `ws` class as the SDK sees it, recording this client's sockets. */
function socketClassFor(client) {
  return class RecordedWebSocket extends WebSocket {
    constructor(url, protocols, options) {
      super(url, protocols, options);
      const channel = client.channels[String(url).includes("/ws/user") ? "user" : "lobby"];
      channel.live.add(this);
      channel.attempts.push(Date.now());
      count("attempts");
      // A private reconnect with the hub's resume credential instead of a ticket.
      if (String(url).includes("resume=")) count("resumes");
      this.on("upgrade", () => (count("handshakes"), channel.opens.push(Date.now())));
      this.on("error", (err) => {
        const answered = String(err?.message).startsWith("Unexpected server response");
        count(answered ? "handshakes" : "refused");
        if (answered) count("handshakeRefused");
      });
      this.on("message", (data, isBinary) => {
        if (isBinary || data[2] !== 0x74 || data[9] !== 0x77) return; // fast path: only {"type":"welcome"…
        const text = data.toString();
        if (!text.startsWith('{"type":"welcome"')) return;
        channel.welcomes.push(Date.now());
        channel.first ??= JSON.parse(text);
      });
      this.on("close", () => {
        channel.live.delete(this);
        channel.closes.push(Date.now());
      });
    }
  };
}

const newChannel = () => ({ live: new Set(), attempts: [], opens: [], welcomes: [], closes: [], first: null });

function newClient(spec) {
  const client = {
    ...spec,
    channels: { user: newChannel(), lobby: newChannel() },
    events: { balance: [], inventory: [], cases: [] },
    resyncs: [],
    flakyTimer: null,
    cuts: 0,
  };
  const rt = state.sdk.createRealtime({
    baseUrl: state.config.baseUrl,
    auth: { kind: "token", token: spec.token },
    WebSocket: socketClassFor(client),
    tuning: state.config.tuning,
  });
  rt.on("balance:updated", (e) => client.events.balance.push(e.version));
  rt.on("inventory:updated", (e) => client.events.inventory.push(e.version));
  rt.on("cases:updated", (e) => client.events.cases.push(e.version));
  rt.on("resync", (info) => client.resyncs.push({ ...info, at: Date.now() }));
  client.rt = rt;
  return client;
}

const welcomedSince = (client, at) => ["user", "lobby"].every((c) => client.channels[c].welcomes.some((t) => t >= at));

async function connectAll() {
  const started = Date.now();
  let next = 0;
  const specs = state.config.clients;
  async function lane() {
    while (next < specs.length) {
      const client = newClient(specs[next++]);
      state.clients.push(client);
      const deadline = Date.now() + 180_000;
      while (!welcomedSince(client, 0)) {
        if (Date.now() > deadline) throw new Error(`client ${client.index} did not connect within 180 s: ${JSON.stringify({ attempts: Object.fromEntries(Object.entries(client.channels).map(([k, c]) => [k, { attempts: c.attempts.length, opens: c.opens.length, welcomes: c.welcomes.length, closes: c.closes.length }])) })}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(state.config.connectConcurrency, specs.length) }, lane));
  return Date.now() - started;
}

function scheduleCut(client) {
  client.flakyTimer = setTimeout(() => {
    client.flakyTimer = null;
    if (!state.flaky) return;
    client.cuts++;
    // The network under the client is gone: no close frame, the server sees the TCP connection die.
    for (const channel of Object.values(client.channels)) for (const ws of channel.live) ws.terminate();
    scheduleCut(client);
  }, state.config.flakyEveryMs[0] + Math.random() * (state.config.flakyEveryMs[1] - state.config.flakyEveryMs[0]));
}

function setFlaky(on) {
  state.flaky = on;
  for (const client of state.clients) {
    if (!client.flaky) continue;
    if (on && !client.flakyTimer) scheduleCut(client);
    if (!on && client.flakyTimer) (clearTimeout(client.flakyTimer), (client.flakyTimer = null));
  }
}

/** Per client, for a restart triggered at `mark` whose new runtime was reachable from `after`. */
function storm(mark, after) {
  return state.clients.map((client) => {
    const per = {};
    for (const [name, channel] of Object.entries(client.channels)) {
      const dropAt = channel.closes.find((t) => t >= mark) ?? null;
      const backAt = channel.welcomes.find((t) => t >= after) ?? null;
      // Where the time went: the first attempt after the drop, the handshake, the welcome.
      const attempt = dropAt === null ? null : channel.attempts.find((t) => t >= dropAt) ?? null;
      const lastAttempt = backAt === null ? null : channel.attempts.filter((t) => t <= backAt).at(-1) ?? null;
      const open = backAt === null ? null : channel.opens.filter((t) => t <= backAt).at(-1) ?? null;
      per[name] = {
        dropAt,
        backAt,
        attempts: channel.attempts.filter((t) => t >= (dropAt ?? mark) && (backAt === null || t <= backAt)).length,
        firstAttemptMs: attempt === null ? null : attempt - dropAt,
        handshakeMs: open === null || lastAttempt === null ? null : open - lastAttempt,
        welcomeMs: open === null ? null : backAt - open,
      };
    }
    const back = per.user.backAt !== null && per.lobby.backAt !== null ? Math.max(per.user.backAt, per.lobby.backAt) : null;
    const drops = [per.user.dropAt, per.lobby.dropAt].filter((t) => t !== null);
    return { index: client.index, flaky: client.flaky, dropAt: drops.length ? Math.min(...drops) : null, backAt: back, channels: per };
  });
}

function events() {
  return state.clients.map((c) => ({
    index: c.index,
    userId: c.userId,
    flaky: c.flaky,
    cuts: c.cuts,
    baseline: { account: c.channels.user.first?.version ?? null, catalog: c.channels.lobby.first?.catalogVersion ?? null },
    ...c.events,
    resyncs: c.resyncs,
    reconnects: { user: c.channels.user.welcomes.length - 1, lobby: c.channels.lobby.welcomes.length - 1 },
  }));
}

process.on("message", async (message) => {
  try {
    switch (message.cmd) {
      case "init":
        state.config = message.config;
        state.sdk = await import(message.config.sdkPath);
        return process.send({ id: message.id, ok: true });
      case "connect":
        return process.send({ id: message.id, ms: await connectAll() });
      case "flaky":
        setFlaky(message.on);
        return process.send({ id: message.id, ok: true });
      case "settled":
        // Every socket open and welcomed since it last closed: nobody is still backing off.
        return process.send({
          id: message.id,
          settled: state.clients.filter((c) => Object.values(c.channels).every((ch) => ch.live.size > 0 && (ch.welcomes.at(-1) ?? 0) > (ch.closes.at(-1) ?? 0))).length,
        });
      case "status":
        return process.send({ id: message.id, back: state.clients.filter((c) => welcomedSince(c, message.after)).length });
      case "report":
        return process.send({ id: message.id, storm: storm(message.mark, message.after), buckets: [...state.buckets.entries()] });
      case "events":
        return process.send({ id: message.id, events: events() });
      case "close":
        setFlaky(false);
        for (const client of state.clients) client.rt.close();
        process.send({ id: message.id, ok: true });
        setTimeout(() => process.exit(0), 200);
        return;
    }
  } catch (err) {
    process.send({ id: message.id, error: String(err?.stack ?? err) });
  }
});
