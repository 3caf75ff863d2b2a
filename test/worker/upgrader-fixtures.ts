import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { computeRoll, hashServerSeed, UPGRADE_ROLL_RANGE } from "../../src/fairness/verify";
import { call, createCase, credit, registerUser, type TestUser } from "../helpers";

// Players holding skins of chosen values, targets of chosen values, and rolls of a chosen outcome.

let counter = 0;
const unique = (label: string) => `${label} ${Date.now().toString(36)}-${counter++}`;

export interface Item {
  id: string;
  itemId: string;
  value: number;
  kind: "skin" | "money";
  status: string;
  source: string;
}

/** A player holding one skin per value (each from a one-skin case at 1 cent), balance 0. */
export async function playerWithSkins(admin: TestUser, values: readonly number[], money: readonly number[] = []) {
  const player = await registerUser("upgrader");
  const all = [...values.map((v) => ({ value: v, kind: "skin" })), ...money.map((v) => ({ value: v, kind: "money" }))];
  if (all.length > 0) await credit(admin, player.id, all.length);
  const items: Item[] = [];
  for (const { value, kind } of all) {
    const box = await createCase(admin, { price: 1, items: [{ name: unique(`stake ${value}`), rarity: "milspec", value, kind, weight: 1 }] });
    const res = await call("POST", `/api/cases/${box.id}/open`, { token: player.token });
    expect(res.status).toBe(201);
    items.push(res.body.items[0] as Item);
  }
  return { player, items, skins: items.filter((i) => i.kind === "skin"), cash: items.filter((i) => i.kind === "money") };
}

/** An active case whose skins are worth `values`; returns their item ids in that order. */
export async function targetCase(admin: TestUser, values: readonly number[], label = "target") {
  const names = values.map((v) => unique(`${label} ${v}`));
  const box = await createCase(admin, { price: 100, items: values.map((value, i) => ({ name: names[i], rarity: "covert", value, kind: "skin", weight: 1 })) });
  const byName = new Map((box.items as unknown as { id: string; name: string }[]).map((i) => [i.name, i.id]));
  return { caseId: box.id, slug: box.slug, ids: names.map((n) => byName.get(n) ?? ""), names };
}

/**
 * Gives the player's active seed a known secret and picks a client seed so that the next roll
 * wins (or loses) at `chance` basis points. The seed stays committed by its hash as usual.
 */
export async function nextRollWill(userId: string, outcome: "win" | "lose", chance: number): Promise<{ serverSeed: string; roll: number }> {
  const serverSeed = `known-seed-${userId}`;
  const nonce = (await env.DB.prepare("SELECT next_nonce AS n FROM users WHERE id = ?").bind(userId).first<{ n: number }>())!.n;
  for (let i = 0; ; i++) {
    const clientSeed = `pick-${i}`;
    const roll = await computeRoll(serverSeed, clientSeed, nonce, UPGRADE_ROLL_RANGE);
    if ((roll < chance * 100) !== (outcome === "win")) continue;
    await env.DB.prepare("UPDATE server_seeds SET seed = ?, seed_hash = ?, client_seed = ? WHERE user_id = ? AND revealed_at IS NULL")
      .bind(serverSeed, await hashServerSeed(serverSeed), clientSeed, userId)
      .run();
    return { serverSeed, roll };
  }
}

export const count = async (sql: string, ...args: unknown[]) => (await env.DB.prepare(sql).bind(...args).first<{ n: number }>())?.n ?? 0;

/** Σ value of what the player owns now. */
export const ownedValue = (userId: string) => count("SELECT COALESCE(SUM(item_value), 0) AS n FROM openings WHERE user_id = ? AND status = 'owned'", userId);

/** What an upgrade could change, for "nothing changed" checks. */
export async function accountState(userId: string) {
  const all = async (sql: string) => (await env.DB.prepare(sql).bind(userId).all()).results;
  return {
    user: await all("SELECT balance, version, next_nonce FROM users WHERE id = ?"),
    ledger: await all("SELECT id, delta, reason FROM ledger WHERE user_id = ? ORDER BY id"),
    items: await all("SELECT id, status, settled_ledger_id FROM openings WHERE user_id = ? ORDER BY id"),
    upgrades: await all("SELECT id FROM upgrades WHERE user_id = ? ORDER BY id"),
  };
}
