import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Broadcaster } from "../../../src/realtime/broadcaster";
import { PRESENCE_TTL_MS, PresenceStore } from "../../../src/realtime/presence-store";

// The broadcaster's presence table, written in bursts: in a restart's storm hundreds of hubs and
// shards report within seconds, and each report written on its own was a commit of its own.

/** Runs `fn` with a PresenceStore over the storage of a broadcaster nothing else uses (migrated by its constructor). */
function withStore<T>(fn: (store: PresenceStore, rows: () => { kind: string; key: string; sockets: number }[], sql: SqlStorage) => Promise<T>): Promise<T> {
  const stub = env.BROADCASTER.get(env.BROADCASTER.idFromName(`presence-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_b: Broadcaster, state: DurableObjectState) => {
    const sql = state.storage.sql;
    const rows = () => sql.exec<{ kind: string; key: string; sockets: number }>("SELECT kind, key, sockets FROM presence ORDER BY kind, key").toArray();
    return fn(new PresenceStore(sql), rows, sql);
  });
}

describe("presence store", () => {
  it("a burst of reports is one write: nothing is stored until the burst ends, then every count, and each report is answered only after it", async () => {
    await withStore(async (store, rows) => {
      const at = Date.now();
      const answered: number[] = [];
      const reports = Array.from({ length: 30 }, (_, i) => store.report("hub", `user-${String(i).padStart(2, "0")}`, 1 + (i % 5), at).then(() => answered.push(rows().length)));
      expect(rows()).toHaveLength(0);
      await Promise.all(reports);
      expect(rows()).toHaveLength(30);
      // Every reporter was answered with all thirty already stored: one write for the burst.
      expect(answered).toEqual(reports.map(() => 30));
    });
  });

  it("a read during a burst sees every count reported so far, and stores them", async () => {
    await withStore(async (store, rows) => {
      const at = Date.now();
      const pending = [store.report("hub", "alice", 2, at), store.report("hub", "bob", 1, at), store.report("shard", "0", 40, at), store.report("shard", "3", 7, at)];
      expect(store.stats(at)).toEqual({ players: 2, clients: 50, lobbyClients: 47, userClients: 3 });
      expect(rows()).toHaveLength(4);
      expect(store.shardCounts(at)).toEqual(new Map([[0, 40], [3, 7]]));
      await Promise.all(pending);
      expect(rows()).toHaveLength(4);
    });
  });

  it("the newest report of an object in a burst wins, and a count of zero removes it", async () => {
    await withStore(async (store, rows) => {
      const at = Date.now();
      await store.report("hub", "carol", 4, at);
      await Promise.all([store.report("hub", "carol", 3, at), store.report("hub", "carol", 0, at), store.report("hub", "dave", 1, at), store.report("hub", "dave", 5, at)]);
      expect(rows()).toEqual([{ kind: "hub", key: "dave", sockets: 5 }]);
    });
  });

  it("a write that fails answers its burst with the error, and the next burst is written; a read goes on with what is stored", async () => {
    await withStore(async (_store, rows, sql) => {
      // The store's storage, failing its next statement once (a full disk, a reset).
      let failNext = true;
      const flaky = {
        exec(query: string, ...bindings: SqlStorageValue[]) {
          if (failNext) {
            failNext = false;
            throw new Error("disk I/O error");
          }
          return sql.exec(query, ...bindings);
        },
      };
      const store = new PresenceStore(flaky as unknown as SqlStorage);
      const at = Date.now();
      await expect(store.report("hub", "erin", 2, at)).rejects.toThrow("disk I/O error");
      await store.report("hub", "frank", 1, at);
      expect(rows()).toEqual([{ kind: "hub", key: "frank", sockets: 1 }]);

      // A read's write fails: the read answers from storage, and the burst's reporter gets the error.
      const pending = store.report("hub", "gina", 3, at);
      failNext = true;
      expect(store.stats(at)).toEqual({ players: 1, clients: 1, lobbyClients: 0, userClients: 1 });
      await expect(pending).rejects.toThrow("disk I/O error");
      await store.report("hub", "gina", 3, at);
      expect(rows()).toEqual([
        { kind: "hub", key: "frank", sockets: 1 },
        { kind: "hub", key: "gina", sockets: 3 },
      ]);
    });
  });

  it("a count not renewed within the lease is not counted", async () => {
    await withStore(async (store) => {
      const at = Date.now();
      await Promise.all([store.report("hub", "old", 2, at - PRESENCE_TTL_MS - 1), store.report("shard", "1", 9, at - PRESENCE_TTL_MS - 1), store.report("hub", "new", 1, at)]);
      expect(store.stats(at)).toEqual({ players: 1, clients: 1, lobbyClients: 0, userClients: 1 });
      expect(store.shardCounts(at).size).toBe(0);
    });
  });
});
