import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { isStorageUnavailable } from "../../../src/db/failures";
import { errorShape } from "../../../src/http/errors";
import { FAULT_MODES, TRANSIENT_D1_MESSAGES, callWith, faultyD1, type FaultMode } from "../../faults";
import { createCase, credit, expectLedgerExplainsBalance, registerAdmin, registerUser, type TestUser } from "../../helpers";
import { createBattle } from "../battles/fixtures";

// D1 fails at every step of every money operation, in every way we know of: before the statement
// ran, after it committed with the answer lost, or never answering at all. Each time the client
// must get the one error shape as a 503 with Retry-After, no money may be half-moved, and the same
// request retried with its Idempotency-Key must complete exactly once.

const DEADLINE_MS = 150;

let admin: TestUser;
let moneyCase: { id: string; price: number };
let skinCase: { id: string; price: number };
/** Opens the battles the subject joins (one per attempt, four seats: the subject's join never starts it). */
let host: TestUser;

beforeAll(async () => {
  admin = await registerAdmin();
  host = await registerUser("battle-host");
  await credit(admin, host.id, 100_000);
  moneyCase = await createCase(admin, { price: 100, items: [{ name: "2.50 € cash", rarity: "milspec", value: 250, kind: "money", weight: 1 }] });
  skinCase = await createCase(admin, { price: 100, items: [{ name: "AK-47 | Redline", rarity: "classified", value: 75, kind: "skin", weight: 1 }] });
});

interface Attempt {
  token: string;
  method: string;
  path: string;
  body: unknown;
  /** How much the subject's balance moves when the request completes. */
  delta: number;
}

interface Operation {
  name: string;
  /** D1 round trips when nothing fails: each one is failed in turn. */
  steps: number;
  /** The round trip that carries the money batch (default: the last); a failure after it finds the change committed. */
  commitsAt?: number;
  /** Readies the subject for one attempt (items to settle, a warm isolate…) and says what to send. */
  prepare(subject: TestUser): Promise<Attempt>;
}

/** A new session for the subject: this isolate holds nothing warm for it. */
async function logIn(subject: TestUser): Promise<string> {
  const res = await callWith({}, "POST", "/api/auth/login", { body: { email: subject.email, password: "correct horse battery" } });
  expect(res.status).toBe(200);
  return res.body.token;
}

const open = (subject: TestUser, count = 1) =>
  callWith({}, "POST", `/api/cases/${skinCase.id}/open`, { token: subject.token, body: { count } }).then((res) => expect(res.status).toBe(201));
const win = (subject: TestUser, target: { id: string }, count: number) =>
  callWith({}, "POST", `/api/cases/${target.id}/open`, { token: subject.token, body: { count } }).then((res) => {
    expect(res.status).toBe(201);
    return res.body.items.map((i: { id: string }) => i.id) as string[];
  });

const OPERATIONS: Operation[] = [
  {
    // A session this isolate has not opened for: two round trips (read + reserve, then write).
    name: "open, cold",
    steps: 2,
    async prepare(subject) {
      const token = await logIn(subject);
      return { token, method: "POST", path: `/api/cases/${skinCase.id}/open`, body: { count: 2 }, delta: -200 };
    },
  },
  {
    // The isolate remembers the session, seed and case: one round trip.
    name: "open, warm",
    steps: 1,
    async prepare(subject) {
      await open(subject);
      return { token: subject.token, method: "POST", path: `/api/cases/${skinCase.id}/open`, body: { count: 1 }, delta: -100 };
    },
  },
  {
    name: "claim all",
    // The session, then one batch.
    steps: 2,
    async prepare(subject) {
      await win(subject, moneyCase, 2);
      return { token: subject.token, method: "POST", path: "/api/inventory/claim", body: { all: true }, delta: 500 };
    },
  },
  {
    name: "claim one",
    steps: 2,
    async prepare(subject) {
      const [itemId] = await win(subject, moneyCase, 1);
      return { token: subject.token, method: "POST", path: "/api/inventory/claim", body: { itemId }, delta: 250 };
    },
  },
  {
    name: "sell all",
    steps: 2,
    async prepare(subject) {
      await win(subject, skinCase, 2);
      return { token: subject.token, method: "POST", path: "/api/inventory/sell", body: { all: true }, delta: 150 };
    },
  },
  {
    name: "admin credit",
    // The admin's session, then one batch.
    steps: 2,
    async prepare(subject) {
      return { token: admin.token, method: "POST", path: `/api/admin/users/${subject.id}/balance`, body: { amount: 700, reason: "goodwill" }, delta: 700 };
    },
  },
  {
    // The session, the rounds' case revisions, then the battle, its first seat and the creator's
    // charge in one batch, and the battle read back for the answer.
    name: "battle create",
    steps: 4,
    commitsAt: 3,
    async prepare(subject) {
      return { token: subject.token, method: "POST", path: "/api/battles", body: { cases: [skinCase.id, skinCase.id], format: "1v1", mode: "classic" }, delta: -200 };
    },
  },
  {
    // The session, the battle, then the seat and its charge in one batch, and the battle read back.
    name: "battle join",
    steps: 4,
    commitsAt: 3,
    async prepare(subject) {
      const battle = await createBattle(host, { cases: [skinCase.id], format: "1v1v1v1", mode: "classic" });
      return { token: subject.token, method: "POST", path: `/api/battles/${battle.id}/join`, body: {}, delta: -100 };
    },
  },
];

interface MoneyState {
  balance: number;
  entries: number;
  openings: number;
  owned: number;
}

async function moneyState(userId: string): Promise<MoneyState> {
  const row = await env.DB.prepare(
    `SELECT u.balance AS balance,
       (SELECT COUNT(*) FROM ledger l WHERE l.user_id = u.id) AS entries,
       (SELECT COUNT(*) FROM openings o WHERE o.user_id = u.id) AS openings,
       (SELECT COUNT(*) FROM openings o WHERE o.user_id = u.id AND o.status = 'owned') AS owned
     FROM users u WHERE u.id = ?`,
  )
    .bind(userId)
    .first<MoneyState>();
  return row!;
}

/**
 * Σ ledger = balance, and no half-written change: every opening entry paid for exactly its
 * openings, every settlement entry credited exactly the items that point at it, and no item is
 * settled by an entry that does not exist.
 */
async function expectConsistent(userId: string): Promise<void> {
  await expectLedgerExplainsBalance(userId);
  const broken = await env.DB.prepare(
    `SELECT
       (SELECT COUNT(*) FROM ledger l WHERE l.user_id = ?1 AND l.reason = 'open'
          AND -l.delta != (SELECT COALESCE(SUM(o.price), 0) FROM openings o WHERE o.user_id = l.user_id AND o.ledger_id = l.id)) AS opens,
       (SELECT COUNT(*) FROM ledger l WHERE l.user_id = ?1 AND l.reason IN ('claim', 'sell')
          AND l.delta != (SELECT COALESCE(SUM(o.item_value), 0) FROM openings o WHERE o.user_id = l.user_id AND o.settled_ledger_id = l.id)) AS settlements,
       (SELECT COUNT(*) FROM openings o WHERE o.user_id = ?1 AND o.status != 'owned'
          AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.user_id = o.user_id AND l.id = o.settled_ledger_id)) AS orphans`,
  )
    .bind(userId)
    .first<{ opens: number; settlements: number; orphans: number }>();
  expect(broken).toEqual({ opens: 0, settlements: 0, orphans: 0 });
}

const keyed = (key: string) => ({ "idempotency-key": key });
const send = (bindings: Partial<Env>, attempt: Attempt, key: string) =>
  callWith(bindings, attempt.method, attempt.path, { token: attempt.token, body: attempt.body, headers: keyed(key) });

async function entriesWithKey(userId: string, key: string): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM ledger WHERE user_id = ? AND idempotency_key = ?").bind(userId, key).first<{ n: number }>();
  return row!.n;
}

/** How many D1 round trips the operation makes when nothing fails. */
async function roundTrips(operation: Operation, subject: TestUser): Promise<number> {
  const attempt = await operation.prepare(subject);
  const counter = faultyD1(env.DB, { at: 0, mode: "fail-before" });
  const res = await send({ DB: counter.db }, attempt, `count-${crypto.randomUUID()}`);
  expect(res.status).toBeLessThan(300);
  return counter.calls;
}

describe.each(OPERATIONS)("D1 failing during $name", (operation) => {
  it("answers 503 unavailable with Retry-After at every step and mode, writes all or nothing, and the keyed retry completes once", async () => {
    const subject = await registerUser("faults");
    await credit(admin, subject.id, 10_000);
    const steps = await roundTrips(operation, subject);
    expect(steps).toBe(operation.steps);

    for (let at = 1; at <= steps; at++) {
      for (const [i, mode] of FAULT_MODES.entries()) {
        const where = `${operation.name}, round trip ${at}/${steps}, ${mode}`;
        const attempt = await operation.prepare(subject);
        const before = await moneyState(subject.id);
        const key = `fault-${at}-${mode}-${crypto.randomUUID()}`;
        const fault = faultyD1(env.DB, { at, mode, message: TRANSIENT_D1_MESSAGES[(at + i) % TRANSIENT_D1_MESSAGES.length] });

        const failed = await send({ DB: fault.db, D1_DEADLINE_MS: String(DEADLINE_MS) }, attempt, key);
        expect(fault.fired, where).toBe(true);
        expect(failed.status, where).toBe(503);
        expect(errorShape.parse(failed.body).error.code, where).toBe("unavailable");
        expect(failed.headers.get("retry-after"), where).toBe("2");

        await expectConsistent(subject.id);
        const committed = (await entriesWithKey(subject.id, key)) === 1;
        if (isBefore(mode) && at <= (operation.commitsAt ?? steps)) {
          // D1 never ran that statement, so this request moved no money (a cold open's nonce
          // reservation may have run in an earlier round trip: a burnt nonce is harmless).
          expect(committed, where).toBe(false);
          expect(await moneyState(subject.id), where).toEqual(before);
        }

        const retried = await send({}, attempt, key);
        expect(retried.status, where).toBeLessThan(300);
        expect(retried.headers.get("idempotent-replayed") === "true", `${where}: replayed iff the lost answer had committed`).toBe(committed);
        const after = await moneyState(subject.id);
        expect(after.balance, where).toBe(before.balance + attempt.delta);
        expect(after.entries, where).toBe(before.entries + 1);
        expect(await entriesWithKey(subject.id, key), where).toBe(1);
        await expectConsistent(subject.id);

        const again = await send({}, attempt, key);
        expect(again.headers.get("idempotent-replayed"), where).toBe("true");
        expect(withoutClock(again.body), where).toEqual(withoutClock(retried.body));
        expect(await moneyState(subject.id), where).toEqual(after);
      }
    }
  });
});

/** A battle's answer carries the server's clock (`serverTime`, for the reels' timing): not part of the replayed result. */
const withoutClock = (body: unknown): unknown => JSON.parse(JSON.stringify(body, (key, value: unknown) => (key === "serverTime" ? undefined : value)));

const isBefore = (mode: FaultMode) => mode === "fail-before" || mode === "hang-before";

describe("D1 unavailable on a read", () => {
  it("a hung D1 is a 503 once the Worker's deadline passes, not a hung request", async () => {
    const player = await registerUser();
    const started = Date.now();
    const res = await callWith({ DB: faultyD1(env.DB, { at: 1, mode: "hang-before" }).db, D1_DEADLINE_MS: "200" }, "GET", "/api/auth/me", { token: player.token });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("a constraint error is still the route's own answer, not a 503", async () => {
    const player = await registerUser();
    const res = await callWith({}, "POST", `/api/cases/${skinCase.id}/open`, { token: player.token, body: { count: 1 } });
    expect(res.status).toBe(422);
    expect(res.error?.code).toBe("insufficient_balance");
  });
});

describe("isStorageUnavailable", () => {
  it("recognises D1's transient failures, also wrapped by drizzle", () => {
    for (const message of TRANSIENT_D1_MESSAGES) {
      expect(isStorageUnavailable(new Error(message)), message).toBe(true);
      expect(isStorageUnavailable(new Error("Failed query: select 1", { cause: new Error(message) })), message).toBe(true);
    }
    expect(isStorageUnavailable(new Error("D1_ERROR: D1 DB storage operation exceeded timeout which caused object to be reset."))).toBe(true);
    expect(isStorageUnavailable(new Error("D1_ERROR: Cannot resolve D1 DB due to transient issue on remote node."))).toBe(true);
  });

  it("leaves errors of our own statements and code alone", () => {
    for (const message of [
      "D1_ERROR: UNIQUE constraint failed: ledger.user_id, ledger.idempotency_key: SQLITE_CONSTRAINT",
      "D1_ERROR: CHECK constraint failed: balance >= 0: SQLITE_CONSTRAINT",
      'D1_ERROR: near "SELCT": syntax error at offset 0: SQLITE_ERROR',
      "D1_ERROR: no such table: nope: SQLITE_ERROR",
      "D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'",
      "Cannot read properties of undefined (reading 'id')",
    ]) {
      expect(isStorageUnavailable(new Error("Failed query: …", { cause: new Error(message) })), message).toBe(false);
    }
  });
});
