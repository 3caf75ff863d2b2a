import { and, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { openings, users, type OpeningRow, type RevisionItem } from "../../db/schema";
import { applyEntry, insertEntry, type EntryDraft } from "../ledger/guarded-entry";
import { claimFreeOpen, claimTaken } from "./free-claims";
import { itemSnapshot } from "./model";
import type { Roll } from "./rolls";

export interface Award {
  userId: string;
  ledgerId: string;
  /** `freeCooldownSeconds` is set for a free case (price 0): the award then takes the player's claim. */
  target: { id: string; version: number; price: number; freeCooldownSeconds: number | null };
  seed: { id: string; clientSeed: string };
  rolls: Roll[];
  idempotencyKey: string | null;
  requestHash: string;
  at: number;
  /** Warm: the award itself claims the rolls' nonces on users (cold reserved them already). */
  claimsNonces: boolean;
}

/**
 * Writes the award in one batch and returns the account after it and the items. A paid case writes
 * exactly {@link awardStatements}; a free one puts the claim of its cooldown first, and guards the
 * entry on it (./free-claims.ts). Throws the batch's constraint error when a guard said no.
 */
export async function writeAward(db: Db, award: Award, guard?: SQL): Promise<{ after: { balance: number; version: number } | undefined; inserted: OpeningRow[] }> {
  const cooldown = award.target.freeCooldownSeconds;
  if (cooldown === null) {
    const [, balanceRows, inserted] = await db.batch(awardStatements(db, award, guard));
    return { after: balanceRows[0], inserted };
  }
  const [, , balanceRows, inserted] = await db.batch([claimFreeOpen(db, award, cooldown), ...awardStatements(db, award, and(guard, claimTaken(award)))]);
  return { after: balanceRows[0], inserted };
}

/**
 * The write half of an opening, as batch statements: the guarded ledger entry, the balance (and,
 * warm, the nonces), the items. `guard` is extra SQL the entry must satisfy; when it fails no entry
 * is written, the balance update matches nothing, and the items' foreign key to the ledger aborts
 * the batch.
 */
function awardStatements(db: Db, award: Award, guard?: SQL) {
  const amount = -award.target.price * award.rolls.length;
  const entry: EntryDraft = {
    id: award.ledgerId,
    userId: award.userId,
    at: award.at,
    reason: "open",
    ref: award.target.id,
    idempotencyKey: award.idempotencyKey,
    requestHash: award.requestHash,
  };
  const nonces = award.claimsNonces ? { nextNonce: sql`${users.nextNonce} + ${award.rolls.length}` } : {};
  return [
    insertEntry(db, entry, { amount, guard }),
    applyEntry(db, entry, amount, nonces),
    db
      .insert(openings)
      .values(award.rolls.map((r) => openingRow(award, r.nonce, r.roll, r.item)))
      .returning(),
  ] as const;
}

function openingRow(award: Award, nonce: number, roll: number, item: RevisionItem): typeof openings.$inferInsert {
  return {
    id: crypto.randomUUID(),
    userId: award.userId,
    caseId: award.target.id,
    caseVersion: award.target.version,
    price: award.target.price,
    ledgerId: award.ledgerId,
    seedId: award.seed.id,
    clientSeed: award.seed.clientSeed,
    nonce,
    roll,
    ...itemSnapshot(item),
    status: "owned",
    createdAt: award.at,
  };
}
