import { and, eq, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { selectInColumnOrder, value } from "../../db/insert-select";
import { ledger, openings, users, type RevisionItem } from "../../db/schema";
import { entryWritten } from "../ledger/entry";
import type { Roll } from "./rolls";

export interface Award {
  userId: string;
  ledgerId: string;
  target: { id: string; version: number; price: number };
  seed: { id: string; clientSeed: string };
  rolls: Roll[];
  idempotencyKey: string | null;
  requestHash: string;
  at: number;
  /** Warm: the award itself claims the rolls' nonces on users (cold reserved them already). */
  claimsNonces: boolean;
}

/**
 * The write half of an opening, as batch statements: the ledger row, the balance (and, warm, the
 * nonces), the items. `guard` is extra SQL the ledger row must satisfy; when it fails no ledger
 * row is written, the balance update matches nothing, and the items' foreign key to the ledger
 * aborts the batch. `CHECK (balance >= 0)` on both the ledger and users aborts an overdraw.
 */
export function awardStatements(db: Db, award: Award, guard?: SQL) {
  const total = award.target.price * award.rolls.length;
  return [
    db.insert(ledger).select(
      db
        .select(
          selectInColumnOrder(ledger, {
            id: value(award.ledgerId),
            userId: sql`${users.id}`,
            delta: value(-total),
            balanceAfter: sql`${users.balance} - ${total}`,
            accountVersion: sql`${users.version} + 1`,
            reason: value("open"),
            ref: value(award.target.id),
            idempotencyKey: value(award.idempotencyKey),
            requestHash: value(award.idempotencyKey ? award.requestHash : null),
            createdAt: value(award.at),
          }),
        )
        .from(users)
        .where(and(eq(users.id, award.userId), guard)),
    ),
    db
      .update(users)
      .set({
        balance: sql`${users.balance} - ${total}`,
        version: sql`${users.version} + 1`,
        ...(award.claimsNonces ? { nextNonce: sql`${users.nextNonce} + ${award.rolls.length}` } : {}),
      })
      .where(and(eq(users.id, award.userId), entryWritten(award.userId, award.at, award.ledgerId)))
      .returning({ balance: users.balance, version: users.version }),
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
    itemId: item.id,
    itemName: item.name,
    itemImageUrl: item.imageUrl,
    itemRarity: item.rarity,
    itemValue: item.value,
    itemKind: item.kind,
    status: "owned",
    createdAt: award.at,
  };
}
