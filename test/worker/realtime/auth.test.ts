import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import worker from "../../../src/index";
import { TICKET_TTL_MS } from "../../../src/features/realtime/tickets";
import { call, registerUser } from "../../helpers";
import { closeAll, connect, connectUser, isUserWelcome, upgrade } from "./sockets";

afterEach(closeAll);

async function ticketFor(token: string): Promise<string> {
  const res = await call("POST", "/api/realtime/ticket", { token });
  expect(res.status).toBe(201);
  expect(res.body).toEqual({ ticket: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/), expiresAt: expect.any(Number) });
  return res.body.ticket;
}

describe("POST /api/realtime/ticket", () => {
  it("refuses without a session", async () => {
    const res = await call("POST", "/api/realtime/ticket");
    expect(res.status).toBe(401);
    expect(res.error?.code).toBe("unauthorized");
  });

  it("stores only the ticket's hash", async () => {
    const player = await registerUser();
    const ticket = await ticketFor(player.token);
    const row = await env.DB.prepare("SELECT id FROM realtime_tickets WHERE user_id = ?").bind(player.id).first<{ id: string }>();
    expect(row?.id).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.id).not.toBe(ticket);
  });

  it("sweeps the user's expired tickets when issuing a new one", async () => {
    const player = await registerUser();
    await ticketFor(player.token);
    await env.DB.prepare("UPDATE realtime_tickets SET expires_at = ? WHERE user_id = ?").bind(Date.now() - 1, player.id).run();
    await ticketFor(player.token);
    const rows = await env.DB.prepare("SELECT expires_at FROM realtime_tickets WHERE user_id = ?").bind(player.id).all<{ expires_at: number }>();
    expect(rows.results).toHaveLength(1);
    expect(rows.results[0]?.expires_at).toBeGreaterThan(Date.now());
  });

  it("lives two minutes, and the hourly cron deletes expired tickets of users who never came back", async () => {
    const gone = await registerUser();
    const live = await registerUser();
    const before = Date.now();
    const res = await call("POST", "/api/realtime/ticket", { token: gone.token });
    expect(res.body.expiresAt - before).toBeGreaterThanOrEqual(TICKET_TTL_MS - 1_000);
    expect(TICKET_TTL_MS).toBe(120_000);
    await ticketFor(live.token);
    await env.DB.prepare("UPDATE realtime_tickets SET expires_at = ? WHERE user_id = ?").bind(Date.now() - 1, gone.id).run();
    await worker.scheduled(createScheduledController({ cron: "17 * * * *", scheduledTime: Date.now() }), env);
    const left = await env.DB.prepare("SELECT user_id FROM realtime_tickets WHERE user_id IN (?, ?)").bind(gone.id, live.id).all<{ user_id: string }>();
    expect(left.results.map((r) => r.user_id)).toEqual([live.id]);
  });
});

describe("GET /ws/user", () => {
  it("answers a plain GET with 426", async () => {
    const res = await call("GET", "/ws/user");
    expect(res.status).toBe(426);
    expect(res.error?.code).toBe("upgrade_required");
  });

  it("refuses an upgrade without a session", async () => {
    const res = await upgrade("/ws/user");
    expect(res.status).toBe(401);
    expect(res.webSocket).toBeNull();
  });

  it("never accepts the session token in the URL or as a bearer header", async () => {
    const player = await registerUser();
    expect((await upgrade("/ws/user", { query: { token: player.token } })).status).toBe(401);
    expect((await upgrade("/ws/user", { query: { session: player.token } })).status).toBe(401);
    expect((await upgrade("/ws/user", { headers: { authorization: `Bearer ${player.token}` } })).status).toBe(401);
    // A session token is not a ticket either.
    expect((await upgrade("/ws/user", { query: { ticket: player.token } })).status).toBe(401);
  });

  it("accepts a ticket once, then refuses it", async () => {
    const player = await registerUser();
    const ticket = await ticketFor(player.token);
    const socket = await connect("/ws/user", { query: { ticket } });
    expect(await socket.next(isUserWelcome)).toMatchObject({ type: "welcome", channel: "user", seq: 0 });
    const reused = await upgrade("/ws/user", { query: { ticket } });
    expect(reused.status).toBe(401);
  });

  it("refuses an expired ticket", async () => {
    const player = await registerUser();
    const ticket = await ticketFor(player.token);
    await env.DB.prepare("UPDATE realtime_tickets SET expires_at = ? WHERE user_id = ?").bind(Date.now() - 1, player.id).run();
    const res = await upgrade("/ws/user", { query: { ticket } });
    expect(res.status).toBe(401);
  });

  it("refuses a ticket whose session logged out", async () => {
    const player = await registerUser();
    const ticket = await ticketFor(player.token);
    expect((await call("POST", "/api/auth/logout", { token: player.token })).status).toBe(204);
    expect((await upgrade("/ws/user", { query: { ticket } })).status).toBe(401);
  });

  it("refuses a malformed resume point", async () => {
    const player = await registerUser();
    const ticket = await ticketFor(player.token);
    const res = await upgrade("/ws/user", { query: { ticket, since: 3 } });
    expect(res.status).toBe(400);
    expect((await upgrade("/ws/user", { query: { ticket, since: -1, epoch: "abc" } })).status).toBe(400);
  });

  it("accepts the session cookie from the same origin and refuses it cross-site", async () => {
    const player = await registerUser();
    const cookie = `ch_session=${player.token}`;
    const socket = await connect("/ws/user", { headers: { cookie, origin: "http://cyberhub.test" } });
    await socket.next(isUserWelcome);
    const hijack = await upgrade("/ws/user", { headers: { cookie, origin: "https://evil.example" } });
    expect(hijack.status).toBe(403);
  });

  it("accepts a fresh ticket per connection", async () => {
    const player = await registerUser();
    const first = await connectUser(player.token);
    const second = await connectUser(player.token);
    await first.next(isUserWelcome);
    await second.next(isUserWelcome);
  });
});

describe("GET /ws/lobby", () => {
  it("lets anyone in and says which catalogue version it knows", async () => {
    const socket = await connect("/ws/lobby");
    expect(await socket.nextWhere((f) => f.type === "welcome")).toEqual({ type: "welcome", channel: "lobby", catalogVersion: expect.any(Number) });
  });

  it("refuses a malformed catalogue version", async () => {
    expect((await upgrade("/ws/lobby", { query: { catalog: "abc" } })).status).toBe(400);
  });
});
