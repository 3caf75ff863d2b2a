import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { saveCase } from "../../src/features/cases/admin-cases";
import { getCaseWithItems } from "../../src/features/cases/queries";
import { caseInput as caseInputSchema } from "../../src/features/cases/schemas";
import { call, caseInput, createCase, registerAdmin, type TestUser } from "../helpers";
import { meteredD1, rowsWrittenTo } from "../metered-d1";

// D1 counts index entries as rows written. Measured on a 6-item case: inserting an item costs 3
// (its row, its primary-key entry, its case_items_case_idx entry); deleting one costs 1; updating
// one through the upsert costs 2 (its row, and the (case_id, position) entry, which SQLite
// rewrites whenever `position` is in the SET list). Saving all six again used to cost 24.

let admin: TestUser;

beforeAll(async () => {
  admin = await registerAdmin();
});

interface ItemInput {
  id?: string;
  name: string;
  imageUrl: string | null;
  rarity: string;
  value: number;
  kind: string;
  weight: number;
}

const sixItems = (): ItemInput[] =>
  Array.from({ length: 6 }, (_, i) => ({ name: `Item ${i}`, imageUrl: i % 2 ? null : "/img/skin.svg", rarity: "consumer", value: 10 * i, kind: i === 5 ? "money" : "skin", weight: i + 1 }));

interface ItemRow {
  id: string;
  case_id: string;
  position: number;
  name: string;
  image_url: string | null;
  rarity: string;
  value: number;
  kind: string;
  weight: number;
}

async function itemRows(caseId: string): Promise<ItemRow[]> {
  const { results } = await env.DB.prepare("SELECT * FROM case_items WHERE case_id = ? ORDER BY position").bind(caseId).all<ItemRow>();
  return results;
}

/** The items as an admin client sends them back: ids kept, in display order. */
const asInput = (rows: readonly ItemRow[]): ItemInput[] =>
  rows.map((r) => ({ id: r.id, name: r.name, imageUrl: r.image_url, rarity: r.rarity, value: r.value, kind: r.kind, weight: r.weight }));

/** A 6-item case, then one metered save of it with `items`, as the admin PUT route does it. */
async function resave(items: (current: ItemInput[]) => ItemInput[]) {
  const created = await createCase(admin, { items: sixItems() });
  const before = await itemRows(created.id);
  const existing = await getCaseWithItems(createDb(env.DB), created.id);
  const { db, meter } = meteredD1(env.DB);
  const input = caseInputSchema.parse(caseInput({ slug: created.slug, items: items(asInput(before)) }));
  const change = await saveCase(createDb(db), input, existing!);
  expect(meter.roundTrips).toBe(1);
  return { caseId: created.id, before, after: await itemRows(created.id), change, meter, itemWrites: rowsWrittenTo(meter, "case_items") };
}

describe("saving a case writes only the items that changed", () => {
  it("an unchanged re-save writes no case_items row, yet bumps the version and snapshots a revision", async () => {
    const { caseId, before, after, change, meter, itemWrites } = await resave((items) => items);
    expect(itemWrites).toBe(0);
    expect(after).toEqual(before);
    expect(change.detail).toMatchObject({ version: 2 });
    expect(change.detail!.items.map((i) => i.id)).toEqual(before.map((r) => r.id));
    const revision = await env.DB.prepare("SELECT items FROM case_revisions WHERE case_id = ? AND version = 2").bind(caseId).first<{ items: string }>();
    expect(JSON.parse(revision!.items)).toEqual(asInput(before));
    // The case row (3 with its slug index), the revision (2 with its key), the catalogue version: nothing per item.
    expect(meter.rowsWritten).toBeLessThanOrEqual(6);
  });

  it("editing one item's weight updates that row alone", async () => {
    const { before, after, itemWrites } = await resave((items) => items.map((it, i) => (i === 2 ? { ...it, weight: 77 } : it)));
    expect(itemWrites).toBe(2);
    expect(after).toEqual(before.map((r, i) => (i === 2 ? { ...r, weight: 77 } : r)));
  });

  it("notices a change in any field, a null image included", async () => {
    const { before, after, itemWrites } = await resave((items) =>
      items.map((it, i) => (i === 0 ? { ...it, imageUrl: null } : i === 1 ? { ...it, imageUrl: "/img/other.svg" } : i === 3 ? { ...it, kind: "money", rarity: "covert", value: 1, name: "Renamed" } : it)),
    );
    expect(itemWrites).toBe(3 * 2);
    expect(after).toEqual(
      before.map((r, i) => (i === 0 ? { ...r, image_url: null } : i === 1 ? { ...r, image_url: "/img/other.svg" } : i === 3 ? { ...r, kind: "money", rarity: "covert", value: 1, name: "Renamed" } : r)),
    );
  });

  it("removing an item deletes exactly it", async () => {
    const { before, after, itemWrites } = await resave((items) => items.slice(0, 5));
    expect(itemWrites).toBe(1);
    expect(after).toEqual(before.slice(0, 5));
  });

  it("adding an item inserts it and leaves the others alone", async () => {
    const added: ItemInput = { name: "Fresh", imageUrl: null, rarity: "covert", value: 999, kind: "skin", weight: 3 };
    const { caseId, before, after, change, itemWrites } = await resave((items) => [...items, added]);
    expect(itemWrites).toBe(3);
    expect(after.slice(0, 6)).toEqual(before);
    const fresh = after[6]!;
    expect(fresh).toMatchObject({ case_id: caseId, position: 6, name: "Fresh", weight: 3 });
    expect(before.map((r) => r.id)).not.toContain(fresh.id);
    expect(change.detail!.items.map((i) => i.id)).toEqual(after.map((r) => r.id));
  });

  it("a new order is kept, and only the items that moved are written", async () => {
    const { before, after, itemWrites } = await resave((items) => [items[5]!, ...items.slice(1, 5), items[0]!]);
    expect(after.map((r) => r.id)).toEqual([before[5]!.id, ...before.slice(1, 5).map((r) => r.id), before[0]!.id]);
    expect(after.map((r) => r.position)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(after.slice(1, 5)).toEqual(before.slice(1, 5));
    expect(itemWrites).toBe(2 * 2);
  });

  it("removing an item from the middle keeps the order of the rest", async () => {
    const { before, after, itemWrites } = await resave((items) => items.filter((_, i) => i !== 2));
    // The removed item, and the three behind it moving up one place.
    expect(itemWrites).toBe(1 + 3 * 2);
    const kept = before.filter((_, i) => i !== 2);
    expect(after.map((r) => r.id)).toEqual(kept.map((r) => r.id));
    expect(after.map((r) => r.position)).toEqual([0, 1, 2, 3, 4]);
    expect(after.map(({ position: _, ...rest }) => rest)).toEqual(kept.map(({ position: _, ...rest }) => rest));
  });

  it("a 100-item case re-saves unchanged without item writes, and can drop 99 items in one save", async () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ name: `Item ${i}`, imageUrl: "/img/skin.svg", rarity: "consumer", value: i, kind: "skin", weight: i + 1 }));
    const created = await createCase(admin, { items });
    const before = await itemRows(created.id);
    const save = async (next: ItemInput[]) => {
      const { db, meter } = meteredD1(env.DB);
      const existing = await getCaseWithItems(createDb(env.DB), created.id);
      await saveCase(createDb(db), caseInputSchema.parse(caseInput({ slug: created.slug, items: next })), existing!);
      return rowsWrittenTo(meter, "case_items");
    };
    expect(await save(asInput(before))).toBe(0);
    expect(await itemRows(created.id)).toEqual(before);
    expect(await save(asInput(before.slice(0, 1)))).toBe(99);
    expect(await itemRows(created.id)).toEqual(before.slice(0, 1));
  });
});

describe("item ids are only ever this case's", () => {
  it("the SQL guard alone never moves or overwrites another case's item: the save aborts whole", async () => {
    const mine = await createCase(admin, { items: sixItems() });
    const theirs = await createCase(admin, { items: sixItems() });
    const theirsBefore = await itemRows(theirs.id);
    const stolen = theirsBefore[0]!;
    // Forge the read the route makes, as if the other case's item were ours: only SQL stands in the way.
    const existing = await getCaseWithItems(createDb(env.DB), mine.id);
    const forged = { ...existing!, items: [...existing!.items, { ...existing!.items[0]!, id: stolen.id }] };
    const mineBefore = await itemRows(mine.id);
    const input = [...asInput(mineBefore), { ...asInput([stolen])[0]!, name: "Hijacked", weight: 999 }];
    const versions = () => env.DB.prepare("SELECT (SELECT version FROM cases WHERE id = ?) AS v, (SELECT COUNT(*) FROM case_revisions WHERE case_id = ?) AS r").bind(mine.id, mine.id).first();
    const versionsBefore = await versions();
    await expect(saveCase(createDb(env.DB), caseInputSchema.parse(caseInput({ slug: mine.slug, items: input })), forged)).rejects.toThrow(/NOT NULL/);
    expect(await itemRows(theirs.id)).toEqual(theirsBefore);
    expect(await itemRows(mine.id)).toEqual(mineBefore);
    // Nothing else of the save landed either: no version bump, no revision listing the stolen item.
    expect(await versions()).toEqual(versionsBefore);
  });

  it("through the API, another case's item id becomes a new item of this case", async () => {
    const mine = await createCase(admin, { items: sixItems() });
    const theirs = await createCase(admin, { items: sixItems() });
    const theirsBefore = await itemRows(theirs.id);
    const mineBefore = await itemRows(mine.id);
    const res = await call("PUT", `/api/admin/cases/${mine.id}`, {
      token: admin.token,
      body: caseInput({ slug: mine.slug, items: [...asInput(mineBefore), { ...asInput(theirsBefore)[0]!, name: "Hijacked" }] }),
    });
    expect(res.status).toBe(200);
    expect(await itemRows(theirs.id)).toEqual(theirsBefore);
    const mineAfter = await itemRows(mine.id);
    expect(mineAfter.slice(0, 6)).toEqual(mineBefore);
    expect(mineAfter[6]).toMatchObject({ case_id: mine.id, name: "Hijacked" });
    expect(theirsBefore.map((r) => r.id)).not.toContain(mineAfter[6]!.id);
    expect(res.body.case.items.map((i: { id: string }) => i.id)).toEqual(mineAfter.map((r) => r.id));
  });

  it("an id sent twice is kept once; the second item is new", async () => {
    const mine = await createCase(admin, { items: sixItems() });
    const before = await itemRows(mine.id);
    const items = asInput(before);
    const res = await call("PUT", `/api/admin/cases/${mine.id}`, {
      token: admin.token,
      body: caseInput({ slug: mine.slug, items: [...items, { ...items[0]!, name: "Twin" }] }),
    });
    expect(res.status).toBe(200);
    const after = await itemRows(mine.id);
    expect(after.slice(0, 6)).toEqual(before);
    expect(after[6]).toMatchObject({ name: "Twin", position: 6 });
    expect(after[6]!.id).not.toBe(before[0]!.id);
    expect(res.body.case.items.map((i: { id: string }) => i.id)).toEqual(after.map((r) => r.id));
  });
});
