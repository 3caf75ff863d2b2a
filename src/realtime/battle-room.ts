import { battlesDb } from "../db/databases";
import { endWaiting, settleBattle, type AccountChange, type Settled } from "../features/battles/end";
import { outcomeOf } from "../features/battles/outcome";
import { loadBattle, loadRevisions, type LoadedBattle } from "../features/battles/queries";
import { dueEvents, nextWake, NOTHING_SENT, roomState, type RoomData, type RoomProgress } from "../features/battles/timeline";
import { toSummary } from "../features/battles/view";
import { toInventoryItem } from "../features/openings/model";
import { notFound } from "../http/errors";
import { log } from "../lib/log";
import type { BattleEvent, Drop } from "./events";
import { encode, type BattleEventsFrame, type ResumeBattleMessage } from "./protocol";
import { REPLAY_LOG_MIGRATIONS, ReplayLog } from "./replay-log";
import { SocketRoom, type Admission, type ConnectInfo } from "./socket-room";
import { upgradeStorage, type StorageMigration } from "./storage-migrations";
import { broadcaster, userHub } from "./stubs";

interface RoomAttachment {
  connectedAt: number;
}

/** A room whose D1 work failed (settle, expiry) tries again this much later; the runtime retries a throwing alarm too. */
const RETRY_MS = 1_000;
/** The drops feed shows a battle's best few items per winner, not all of its up to 100. */
const DROPS_PER_WINNER = 3;
const REPLAY_CHUNK = 100;

/** A room's tables: the replay log's, then what it knows of its battle; append only. */
const BATTLE_MIGRATIONS: readonly StorageMigration[] = [
  ...REPLAY_LOG_MIGRATIONS,
  {
    name: "the battle as last read from D1, and what the room has sent",
    up(sql) {
      sql.exec("CREATE TABLE room (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL, progress TEXT NOT NULL)");
    },
  },
];

/**
 * One per case battle (idFromName(battleId)): its sockets (players and spectators) and its clock.
 * D1 owns the money and the seeds; the room reads them (`sync`, after every change the Worker
 * commits, and on every alarm), and sends each event when its time comes: a round at its reveal
 * time, the winner when the last round's reels stop. Its alarm drives the expiry and the rounds,
 * and it settles the battle in D1 itself. Restart-proof: what it read and what it sent live in its
 * storage, the alarm survives, and the schedule is a function of `started_at` in D1, so a room
 * woken late sends what it owes in order and the outcome (fixed by the seeds) is the same.
 */
export class Battle extends SocketRoom<RoomAttachment, "battle"> {
  protected readonly channel = "battle";
  private readonly replay: ReplayLog<BattleEvent>;
  private room: { data: RoomData; progress: RoomProgress } | null = null;
  /** Syncs run one after another: an alarm and an RPC must not send the same event twice. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    upgradeStorage(ctx, BATTLE_MIGRATIONS);
    this.replay = new ReplayLog<BattleEvent>(ctx.storage.sql);
  }

  /** Called by the Worker after it committed a change to this battle (created, joined, bots, cancelled). */
  async sync(): Promise<void> {
    await this.serially(() => this.reconcile());
  }

  override async alarm(): Promise<void> {
    await this.serially(() => this.reconcile());
  }

  protected async admit(): Promise<Admission<RoomAttachment>> {
    const room = this.load();
    // A room that has not read its battle yet reads it now; one whose clock stopped (an alarm lost
    // to a restart in the middle of running it) catches up before it answers.
    if (!room || (await this.clockStopped(room.progress))) await this.serially(() => this.reconcile());
    if (!this.load()) throw notFound("Battle");
    return { attachment: { connectedAt: Date.now() } };
  }

  private async clockStopped(progress: RoomProgress): Promise<boolean> {
    if (progress.finished || progress.ended) return false;
    const alarm = await this.ctx.storage.getAlarm();
    return alarm === null || alarm < Date.now() - RETRY_MS;
  }

  protected onConnect(ws: WebSocket, { request }: ConnectInfo<RoomAttachment>): void {
    const url = new URL(request.url);
    const since = url.searchParams.get("since");
    const epoch = url.searchParams.get("epoch");
    this.catchUp(ws, since !== null && epoch !== null ? { since: Number(since), epoch } : null);
  }

  protected onMessage(ws: WebSocket, message: ResumeBattleMessage): void {
    this.catchUp(ws, message);
  }

  protected onClose(): void {}

  protected logFields(): Record<string, unknown> {
    return { battleId: this.battleId() };
  }

  private serially(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * The battle's id: the object's name, or the id it stored when it first read its battle. An object
   * the runtime wakes for its alarm after a restart has no name (ctx.id.name is undefined, and stays
   * so for the requests that reach that instance): without the stored id it did nothing, and the
   * battle never finished (seen under a real wrangler dev restart, test/e2e/battles.test.ts).
   */
  private battleId(): string | undefined {
    return this.ctx.id.name ?? this.load()?.data.battle.id;
  }

  private load(): { data: RoomData; progress: RoomProgress } | null {
    if (this.room) return this.room;
    const row = this.ctx.storage.sql.exec<{ data: string; progress: string }>("SELECT data, progress FROM room WHERE id = 1").toArray()[0];
    return row ? (this.room = { data: JSON.parse(row.data) as RoomData, progress: JSON.parse(row.progress) as RoomProgress }) : null;
  }

  /** Reads the battle from D1, does what is due (expire, settle), sends what is due, and sets the next alarm. */
  private async reconcile(): Promise<void> {
    const battleId = this.battleId();
    if (battleId === undefined) return;
    const db = battlesDb(this.env);
    const at = Date.now();
    // A safety net first: if this run dies half way (a restart, a D1 failure), the room wakes again
    // and redoes it. Everything below is safe to redo: D1's guards, and events sent by progress.
    await this.ctx.storage.setAlarm(at + RETRY_MS);
    let loaded = await loadBattle(db, battleId);
    if (!loaded) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    let failed = false;
    try {
      if (loaded.battle.status === "waiting" && loaded.battle.expiresAt <= at) {
        const refunds = await endWaiting(db, loaded, "expired", at);
        if (refunds) await this.tellAccounts(refunds);
        loaded = (await loadBattle(db, battleId)) ?? loaded;
      }
    } catch (err) {
      failed = true;
      log("warn", "battle_expire_failed", { battleId, error: String(err) });
    }
    const revisions = await loadRevisions(db, loaded.battle);
    let outcome = loaded.battle.startedAt === null ? null : await outcomeOf(db, loaded, revisions);
    if (outcome && loaded.battle.status === "running" && loaded.battle.startedAt !== null && this.dueToFinish(loaded, at)) {
      try {
        const settled = await settleBattle(db, loaded, revisions, outcome, at);
        loaded = (await loadBattle(db, battleId)) ?? loaded;
        outcome = await outcomeOf(db, loaded, revisions);
        if (settled) await this.tellWinners(settled, loaded);
      } catch (err) {
        failed = true;
        log("warn", "battle_settle_failed", { battleId, error: String(err) });
      }
    }
    const data: RoomData = { battle: loaded.battle, seats: loaded.seats, revisions: [...revisions], outcome };
    const sent = this.load()?.progress ?? NOTHING_SENT;
    const { events, progress } = dueEvents(data, sent, at);
    const lobby = !data.battle.private && data.battle.version > progress.lobbyVersion && (data.battle.status !== "finished" || progress.finished);
    if (lobby) progress.lobbyVersion = data.battle.version;
    this.ctx.storage.sql.exec(
      "INSERT INTO room (id, data, progress) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, progress = excluded.progress",
      JSON.stringify(data),
      JSON.stringify(progress),
    );
    this.room = { data, progress };
    // The next alarm is set before the events go out, so a client never sees an event of a room
    // that would not wake again (the output gate holds the sends until the alarm is stored).
    const wake = nextWake(data, progress, at);
    if (wake === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(failed || wake <= at ? Math.max(wake, at + RETRY_MS) : wake);
    if (events.length > 0) {
      const appended = this.replay.append(events);
      const delivered = this.broadcast(encode({ type: "events", channel: "battle", battleId, ...appended } satisfies BattleEventsFrame));
      log("info", "publish", { channel: "battle", battleId, events: events.map((e) => e.event), seq: appended.events.at(-1)?.seq, sockets: delivered });
    }
    if (lobby) this.ctx.waitUntil(this.tellLobby(data));
  }

  private dueToFinish(loaded: LoadedBattle, at: number): boolean {
    const { battle } = loaded;
    return battle.startedAt !== null && at >= battle.startedAt + (battle.rounds.length + 1) * battle.roundMs;
  }

  /** One socket's catch-up: the events it missed when the log holds them, else the state so far; then a welcome. */
  private catchUp(ws: WebSocket, from: { since: number; epoch: string } | null): void {
    const room = this.load();
    const battleId = this.battleId() ?? "";
    if (!room) return;
    const position = this.replay.position();
    const missed = from ? this.replay.after(from) : null;
    if (missed?.kind === "replay") {
      for (let i = 0; i < missed.events.length; i += REPLAY_CHUNK) {
        this.send(ws, { type: "events", channel: "battle", battleId, epoch: position.epoch, events: missed.events.slice(i, i + REPLAY_CHUNK) });
      }
    } else {
      const state: BattleEvent = { event: "battle:state", data: roomState(room.data, room.progress, Date.now()) };
      this.send(ws, { type: "events", channel: "battle", battleId, epoch: position.epoch, events: [{ ...state, seq: position.seq }] });
    }
    this.send(ws, { type: "welcome", channel: "battle", battleId, epoch: position.epoch, seq: position.seq });
  }

  private async tellLobby(data: RoomData): Promise<void> {
    const creator = data.seats.find((s) => s.seat === 1)?.displayName ?? "";
    try {
      await broadcaster(this.env).publish([{ event: "battles:updated", data: toSummary(data.battle, creator) }]);
    } catch (err) {
      log("warn", "publish_failed", { scope: "lobby", events: ["battles:updated"], error: String(err) });
    }
  }

  /** Refunds of an expiry, to each player's hub (the house has no sockets worth telling). */
  private async tellAccounts(changes: AccountChange[]): Promise<void> {
    await Promise.allSettled(
      changes.map((c) =>
        userHub(this.env, c.userId).publish([{ event: "balance:updated", data: { balance: c.balance, delta: c.delta, reason: "battle_refund", version: c.version } }]),
      ),
    );
  }

  /** The won items, to each winner's hub, and the best of them to the drops feed: only now, after the last reel stopped. */
  private async tellWinners(settled: Settled[], loaded: LoadedBattle): Promise<void> {
    const at = Date.now();
    const drops: { drop: Drop; revealAt: number }[] = [];
    const hubs = settled.map((winner) => {
      const items = winner.items.map(toInventoryItem);
      const best = [...winner.items].sort((a, b) => b.itemValue - a.itemValue).slice(0, DROPS_PER_WINNER);
      for (const row of best) {
        drops.push({
          revealAt: at,
          drop: { id: row.id, caseId: row.caseId, item: { id: row.itemId, name: row.itemName, imageUrl: row.itemImageUrl, rarity: row.itemRarity, value: row.itemValue, kind: row.itemKind }, userDisplayName: winner.displayName, at },
        });
      }
      return userHub(this.env, winner.userId).publish([{ event: "inventory:updated", data: { version: winner.version, added: items } }]);
    });
    const results = await Promise.allSettled([...hubs, broadcaster(this.env).hold(drops)]);
    for (const r of results) if (r.status === "rejected") log("warn", "publish_failed", { scope: "battle", battleId: loaded.battle.id, error: String(r.reason) });
  }
}
