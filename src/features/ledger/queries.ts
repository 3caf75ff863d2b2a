import { and, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "../../db/client";
import { caseRevisions, ledger, openings, OPENING_STATUSES, users, type LedgerRow } from "../../db/schema";
import { encodeCursor, olderThan, type Cursor } from "../../lib/pagination";
import { ENTRY_ITEM_NAMES, type LedgerEntry, type LedgerPage } from "./schemas";

/** What an entry is about in words (see {@link describeEntries}); an adjustment has none. */
export interface EntrySubject {
  caseName: string | null;
  names: string[];
}

const NO_SUBJECT: EntrySubject = { caseName: null, names: [] };

export function toLedgerEntry(row: LedgerRow, subject: EntrySubject = NO_SUBJECT): LedgerEntry {
  return {
    id: row.id,
    delta: row.delta,
    balanceAfter: row.balanceAfter,
    reason: row.reason,
    ref: row.ref,
    note: row.note,
    caseName: subject.caseName,
    items: subject.names.slice(0, ENTRY_ITEM_NAMES),
    itemCount: subject.names.length,
    createdAt: row.createdAt,
  };
}

/**
 * The case and item names behind a page of entries, in one more round trip and only when the page
 * has entries that moved items. An opening's items share its entry's user and created_at (the
 * award writes them at one instant), so they are read by the primary key's prefix, each joined to
 * its case revision by that key; claimed, sold and staked items by the partial index on
 * settled_ledger_id. Nothing is written: the names are the rows' own, as they were won.
 */
async function describeEntries(db: Db, userId: string, rows: readonly LedgerRow[]): Promise<Map<string, EntrySubject>> {
  const opened = rows.filter((r) => r.reason === "open");
  const settled = rows.filter((r) => r.reason === "claim" || r.reason === "sell" || r.reason === "upgrade");
  const subjects = new Map<string, EntrySubject>();
  if (opened.length === 0 && settled.length === 0) return subjects;
  const subject = (id: string) => {
    let s = subjects.get(id);
    if (!s) subjects.set(id, (s = { caseName: null, names: [] }));
    return s;
  };
  const openedItems = db
    .select({ entryId: openings.ledgerId, itemName: openings.itemName, caseName: caseRevisions.name })
    .from(openings)
    .leftJoin(caseRevisions, and(eq(caseRevisions.caseId, openings.caseId), eq(caseRevisions.version, openings.caseVersion)))
    .where(
      and(
        eq(openings.userId, userId),
        inArray(openings.status, [...OPENING_STATUSES]),
        inArray(openings.createdAt, opened.length ? opened.map((r) => r.createdAt) : [-1]),
        inArray(openings.ledgerId, opened.length ? opened.map((r) => r.id) : [""]),
      ),
    );
  const settledItems = db
    .select({ entryId: openings.settledLedgerId, itemName: openings.itemName })
    .from(openings)
    .where(and(inArray(openings.settledLedgerId, settled.length ? settled.map((r) => r.id) : [""]), eq(openings.userId, userId)));
  const [won, moved] = await db.batch([openedItems, settledItems]);
  for (const row of won) {
    const s = subject(row.entryId);
    s.caseName ??= row.caseName;
    s.names.push(row.itemName);
  }
  for (const row of moved) if (row.entryId) subject(row.entryId).names.push(row.itemName);
  return subjects;
}

/** A user's ledger, newest first, with the current balance it explains. */
export async function listLedger(db: Db, userId: string, options: { limit: number; cursor?: Cursor }): Promise<LedgerPage> {
  const [balanceRows, rows] = await db.batch([
    db.select({ balance: users.balance }).from(users).where(eq(users.id, userId)),
    db
      .select()
      .from(ledger)
      .where(and(eq(ledger.userId, userId), options.cursor ? olderThan(ledger.createdAt, ledger.id, options.cursor) : undefined))
      .orderBy(desc(ledger.createdAt), desc(ledger.id))
      .limit(options.limit + 1),
  ]);
  const page = rows.slice(0, options.limit);
  const subjects = await describeEntries(db, userId, page);
  return {
    balance: balanceRows[0]?.balance ?? 0,
    entries: page.map((row) => toLedgerEntry(row, subjects.get(row.id))),
    nextCursor: encodeCursor(rows, options.limit),
  };
}
