import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { BattleState } from "../../../src/features/battles/schemas";
import { HOUSE_USER_ID } from "../../../src/features/battles/house";
import { call, createCase, credit, expectLedgerExplainsBalance, registerAdmin, registerUser, type TestUser } from "../../helpers";

/** A case for battles: three items of distinct values (1500, 100, 5), price 250. */
export async function battleCase(admin: TestUser) {
  return createCase(admin, { price: 250 });
}

export interface Table {
  admin: TestUser;
  caseId: string;
  players: TestUser[];
}

/** An admin, a battle case and `players` players with `funds` each. */
export async function table(players: number, funds = 10_000): Promise<Table> {
  const admin = await registerAdmin();
  const box = await battleCase(admin);
  const list: TestUser[] = [];
  for (let i = 0; i < players; i++) {
    const player = await registerUser(`battler${i}`);
    if (funds > 0) await credit(admin, player.id, funds);
    list.push(player);
  }
  return { admin, caseId: box.id, players: list };
}

export async function createBattle(player: TestUser, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<BattleState> {
  const res = await call("POST", "/api/battles", { token: player.token, body, headers });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.battle as BattleState;
}

export async function join(player: TestUser, battleId: string, body: Record<string, unknown> = {}) {
  return call("POST", `/api/battles/${battleId}/join`, { token: player.token, body });
}

export async function getBattle(battleId: string): Promise<BattleState> {
  const res = await call("GET", `/api/battles/${battleId}`);
  expect(res.status).toBe(200);
  return res.body.battle as BattleState;
}

export const balanceOf = async (userId: string) =>
  (await env.DB.prepare("SELECT balance FROM users WHERE id = ?").bind(userId).first<{ balance: number }>())?.balance ?? -1;

/** Polls GET /api/battles/:id until `done`. */
export async function waitForBattle(battleId: string, done: (b: BattleState) => boolean, timeoutMs = 10_000): Promise<BattleState> {
  const started = Date.now();
  for (;;) {
    const battle = await getBattle(battleId);
    if (done(battle)) return battle;
    if (Date.now() - started > timeoutMs) throw new Error(`battle never got there: ${JSON.stringify({ status: battle.status, revealed: battle.revealed.length })}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Σ ledger = balance for every participant and the house. */
export async function expectBooksBalance(userIds: readonly string[]): Promise<void> {
  for (const id of [...userIds, HOUSE_USER_ID]) await expectLedgerExplainsBalance(id);
}
