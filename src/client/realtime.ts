import type { BattleEventMap, PrivateEventMap, PublicEventMap } from "../realtime/events";
import type { BattleEventsFrame, Channel as ChannelName, ResumeGrant, ResyncFrame, ServerMessage } from "../realtime/protocol";
import { Channel, type ChannelTuning, type ConnectionState, type WebSocketClass } from "./channel";
import { VersionGaps } from "./version-gaps";

export type { ConnectionState, WebSocketClass } from "./channel";

/**
 * Emitted when what was missed cannot be replayed: refetch over REST (see the README). The server
 * says so with a `resync` frame; `version_gap` is the SDK's own finding: a change's events never
 * reached the socket (its publish failed after the change committed), seen from an account or
 * catalogue version that skipped one, in an event or in the welcome after a reconnect.
 */
export interface ResyncInfo {
  channel: ChannelName;
  reason: ResyncFrame["reason"] | "version_gap";
}

/**
 * Every event the SDK emits: the private and public events of the contract, the events of the battle
 * rooms joined with `joinBattle` (each names its `battleId`), plus `resync`.
 */
export type RealtimeEvents = PrivateEventMap & PublicEventMap & BattleEventMap & { resync: ResyncInfo };
export type RealtimeEventName = keyof RealtimeEvents;
export type Handler<K extends RealtimeEventName> = (data: RealtimeEvents[K]) => void;

export type RealtimeAuth =
  /** Browsers on the site's own origin: the private socket rides on the HttpOnly session cookie. */
  | { kind: "cookie" }
  /**
   * Everything else: a session token, traded for a single-use ticket before a connect (a reconnect
   * uses the hub's resume credential instead, and a ticket only when that was refused or expired).
   */
  | { kind: "token"; token: string };

export interface RealtimeOptions {
  /** The site's origin, e.g. `location.origin` or `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** Omit for an anonymous visitor: only the lobby socket is opened. */
  auth?: RealtimeAuth;
  /** The WebSocket class to use where there is no global one (Node 20: the `ws` package's). */
  WebSocket?: WebSocketClass;
  /** Backoff, jitter and heartbeat timings; the defaults suit browsers. */
  tuning?: Partial<RealtimeTuning>;
}

/** Per socket: `user` is null for anonymous clients, who open only the lobby; `battles` by battle id. */
export interface SocketStates {
  user: ConnectionState | null;
  lobby: ConnectionState;
  battles: Record<string, ConnectionState>;
}

export interface Realtime {
  /** Subscribes; returns the function that unsubscribes. */
  on<K extends RealtimeEventName>(event: K, handler: Handler<K>): () => void;
  off<K extends RealtimeEventName>(event: K, handler: Handler<K>): void;
  /**
   * Opens the room socket of one battle (anyone with the id may watch). The room sends `battle:state`
   * (everything revealed so far), then `battle:joined` … `battle:finished` live; after a drop the SDK
   * reconnects and resumes where it left off, or gets a fresh `battle:state`. Joining twice is one socket.
   */
  joinBattle(battleId: string): void;
  /** Closes that room's socket. */
  leaveBattle(battleId: string): void;
  /** The worst of the sockets' states: `open` only when every socket is open. */
  readonly state: ConnectionState;
  readonly sockets: SocketStates;
  onStateChange(handler: (state: ConnectionState, sockets: SocketStates) => void): () => void;
  /** Closes every socket for good; the state becomes `offline`. */
  close(): void;
}

export interface RealtimeTuning extends ChannelTuning {
  /**
   * How long a skipped account or catalogue version may take to arrive before the SDK calls it lost
   * and emits `resync` (version_gap): concurrent changes can publish out of order, and a change that
   * committed just before a reconnect may still be on its way.
   */
  gapGraceMs: number;
}

// Chosen on the reconnect bench (BENCHMARKS.md, "Reconnect storm"): in a storm the server's queue
// is what spreads the work, so what matters most is that a queued attempt is not given up on: an
// abandoned handshake was done by the server anyway and its retry is done again (with 10 s nobody
// came back; with 60 s it depended on the machine's load). A 2 s first window came back faster
// than 5 s or 10 s and keeps a lone blip's reconnect short.
export const DEFAULT_TUNING: RealtimeTuning = {
  minDelayMs: 2_000,
  maxDelayMs: 30_000,
  connectTimeoutMs: 120_000,
  heartbeatMs: 25_000,
  pongTimeoutMs: 10_000,
  offlineAfter: 3,
  gapGraceMs: 3_000,
};

const SEVERITY: Record<ConnectionState, number> = { open: 0, connecting: 1, reconnecting: 2, offline: 3 };

/** Attempts one resume credential goes on (see `resume` in createRealtime). */
const RESUME_TRIES = 2;

/** Close code the hub uses when the session behind a socket ended (logout): do not come back. */
const SESSION_ENDED = 4001;

function socketUrl(baseUrl: string, path: string): URL {
  const url = new URL(path, baseUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url;
}

/** A ticket request that has not answered within `timeoutMs` is a failed attempt (a hung fetch would stall reconnecting for good). */
async function fetchTicket(baseUrl: string, token: string, timeoutMs: number): Promise<string> {
  const res = await fetch(new URL("/api/realtime/ticket", baseUrl), {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`ticket request failed with ${res.status}`);
  const body: unknown = await res.json();
  const ticket = typeof body === "object" && body !== null ? (body as Record<string, unknown>).ticket : undefined;
  if (typeof ticket !== "string") throw new Error("ticket response without a ticket");
  return ticket;
}

/**
 * Opens the private socket (when `auth` is given) and the public lobby socket, and exposes them as
 * one event stream. Reconnects with jittered backoff, resumes where it left off (`since`/`epoch`
 * for private events, the catalogue version for the lobby) and emits `resync` when it cannot.
 */
export function createRealtime(options: RealtimeOptions): Realtime {
  if (!options.WebSocket && typeof globalThis.WebSocket !== "function") {
    throw new TypeError('No global WebSocket here (Node 20): pass `WebSocket` from the "ws" package.');
  }
  const tuning: RealtimeTuning = { ...DEFAULT_TUNING, ...options.tuning };
  const handlers = new Map<RealtimeEventName, Set<(data: never) => void>>();
  const stateHandlers = new Set<(state: ConnectionState, sockets: SocketStates) => void>();
  let position: { epoch: string; seq: number } | null = null;
  let catalogVersion = 0;
  // The private socket's next connect: the hub's single-use credential when there is one (no
  // ticket, no D1 write), else a ticket or the cookie. It goes on two attempts at most: the first
  // may never have reached a hub (a restart refuses connections until the new server is up), and
  // then it is still unspent; a second failure means it was spent or refused, so a ticket follows.
  let resume: { grant: ResumeGrant; tries: number } | null = null;
  const keepResume = (grant: ResumeGrant | undefined) => {
    if (grant) resume = { grant, tries: 0 };
  };
  // Every change steps its version by exactly one: a skipped one that never arrives was lost.
  const accountGaps = new VersionGaps(tuning.gapGraceMs, () => emit("resync", { channel: "user", reason: "version_gap" }));
  const catalogGaps = new VersionGaps(tuning.gapGraceMs, () => emit("resync", { channel: "lobby", reason: "version_gap" }));
  // A keyed retry publishes its change again (the first publish may have been lost): each private
  // event name and account version reaches the app once. Versions only grow, so the newest few do.
  const deliveredKeys = new Set<string>();
  const firstDelivery = (key: string): boolean => {
    if (deliveredKeys.has(key)) return false;
    deliveredKeys.add(key);
    if (deliveredKeys.size > 1_000) deliveredKeys.delete(deliveredKeys.values().next().value as string);
    return true;
  };

  const emit = <K extends RealtimeEventName>(event: K, data: RealtimeEvents[K]) => {
    for (const handler of handlers.get(event) ?? []) {
      try {
        (handler as Handler<K>)(data);
      } catch (err) {
        // One faulty handler must not starve the others or kill the socket's message loop.
        console.error(`realtime handler for ${event} threw`, err);
      }
    }
  };

  const onFrame = (frame: ServerMessage) => {
    switch (frame.type) {
      case "events":
        if (frame.channel === "battle") {
          onBattleEvents(frame);
        } else if (frame.channel === "user") {
          // Replays and live frames can overlap around a reconnect; seq makes delivery exactly-once.
          if (position && frame.epoch !== position.epoch) position = null;
          for (const event of frame.events) {
            if (position && event.seq <= position.seq) continue;
            position = { epoch: frame.epoch, seq: event.seq };
            if (!firstDelivery(`${event.event}:${event.data.version}`)) continue;
            emit(event.event, event.data);
            accountGaps.delivered(event.data.version);
          }
        } else {
          for (const event of frame.events) {
            if (event.event === "cases:updated") {
              catalogVersion = Math.max(catalogVersion, event.data.version);
              catalogGaps.delivered(event.data.version);
            }
            emit(event.event, event.data);
          }
        }
        return;
      case "welcome":
        if (frame.channel === "battle") {
          const room = rooms.get(frame.battleId);
          if (room) room.position = { epoch: frame.epoch, seq: frame.seq };
        } else if (frame.channel === "user") {
          position = { epoch: frame.epoch, seq: frame.seq };
          resume = null;
          keepResume(frame.resume);
          // After the replay: an account ahead of what the events brought means a lost publish.
          if (typeof frame.version === "number") accountGaps.reached(frame.version);
        } else {
          catalogVersion = Math.max(catalogVersion, frame.catalogVersion);
          // 0: a shard without history yet, nothing to compare with.
          if (frame.catalogVersion > 0) catalogGaps.reached(frame.catalogVersion);
        }
        return;
      case "version":
        // The server's audit: D1's version now. One the events never brought is a lost change.
        if (frame.channel === "user") {
          keepResume(frame.resume);
          accountGaps.reached(frame.version);
        } else {
          catalogVersion = Math.max(catalogVersion, frame.catalogVersion);
          catalogGaps.reached(frame.catalogVersion);
        }
        return;
      case "credential":
        keepResume(frame.resume);
        return;
      case "resync":
        // The app refetches everything of this channel; the next welcome is the new start.
        if (frame.channel !== "battle") (frame.channel === "user" ? accountGaps : catalogGaps).reset();
        emit("resync", { channel: frame.channel, reason: frame.reason });
        return;
      case "error":
        console.warn(`realtime server refused a frame: ${frame.code} ${frame.message}`);
        return;
    }
  };

  // A battle room's stream is numbered like the private one: `battle:state` is a snapshot at its seq
  // (it replaces everything the app held), every other event steps seq by one and is delivered once.
  const onBattleEvents = (frame: BattleEventsFrame) => {
    const room = rooms.get(frame.battleId);
    if (!room) return;
    if (room.position && frame.epoch !== room.position.epoch) room.position = null;
    for (const event of frame.events) {
      if (event.event !== "battle:state") {
        if (room.position && event.seq <= room.position.seq) continue;
      }
      room.position = { epoch: frame.epoch, seq: event.seq };
      emit(event.event, event.data);
    }
  };

  const auth = options.auth;
  const rooms = new Map<string, { channel: Channel; position: { epoch: string; seq: number } | null }>();
  // Channels only call back from socket events and timers, never while being constructed.
  let user: Channel | null = null;
  const sockets = (): SocketStates => ({
    user: user?.state ?? null,
    lobby: lobby.state,
    battles: Object.fromEntries([...rooms].map(([id, room]) => [id, room.channel.state])),
  });
  const overall = (): ConnectionState =>
    [lobby.state, ...(user ? [user.state] : []), ...[...rooms.values()].map((room) => room.channel.state)].reduce<ConnectionState>(
      (worst, s) => (SEVERITY[s] > SEVERITY[worst] ? s : worst),
      "open",
    );
  const onStateChange = () => {
    const state = overall();
    const snapshot = sockets();
    for (const handler of stateHandlers) handler(state, snapshot);
  };

  const lobby = new Channel({
    WebSocket: options.WebSocket,
    tuning,
    onFrame,
    onStateChange,
    terminalCodes: [],
    url: async () => {
      const url = socketUrl(options.baseUrl, "/ws/lobby");
      if (catalogVersion > 0) url.searchParams.set("catalog", String(catalogVersion));
      return url.toString();
    },
  });
  if (auth) {
    user = new Channel({
      WebSocket: options.WebSocket,
      tuning,
      onFrame,
      onStateChange,
      terminalCodes: [SESSION_ENDED],
      url: async () => {
        const url = socketUrl(options.baseUrl, "/ws/user");
        const credential = resume && resume.tries < RESUME_TRIES && resume.grant.expiresAt > Date.now() ? resume.grant.credential : null;
        if (resume && credential) resume.tries++;
        else resume = null;
        if (credential) url.searchParams.set("resume", credential);
        else if (auth.kind === "token") url.searchParams.set("ticket", await fetchTicket(options.baseUrl, auth.token, tuning.connectTimeoutMs));
        if (position) {
          url.searchParams.set("since", String(position.seq));
          url.searchParams.set("epoch", position.epoch);
        }
        return url.toString();
      },
    });
  }

  function joinBattle(battleId: string): void {
    if (rooms.has(battleId)) return;
    const room: { channel: Channel; position: { epoch: string; seq: number } | null } = {
      position: null,
      channel: new Channel({
        WebSocket: options.WebSocket,
        tuning,
        onFrame,
        onStateChange,
        // A room that does not exist (404 at the handshake) keeps failing; the app leaves it.
        terminalCodes: [],
        url: async () => {
          const url = socketUrl(options.baseUrl, `/ws/battle/${encodeURIComponent(battleId)}`);
          if (room.position) {
            url.searchParams.set("since", String(room.position.seq));
            url.searchParams.set("epoch", room.position.epoch);
          }
          return url.toString();
        },
      }),
    };
    rooms.set(battleId, room);
    onStateChange();
  }

  function leaveBattle(battleId: string): void {
    const room = rooms.get(battleId);
    if (!room) return;
    rooms.delete(battleId);
    room.channel.close();
    onStateChange();
  }

  function off<K extends RealtimeEventName>(event: K, handler: Handler<K>): void {
    handlers.get(event)?.delete(handler as (data: never) => void);
  }

  return {
    on(event, handler) {
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      set.add(handler as (data: never) => void);
      return () => off(event, handler);
    },
    off,
    joinBattle,
    leaveBattle,
    get state() {
      return overall();
    },
    get sockets() {
      return sockets();
    },
    onStateChange(handler) {
      stateHandlers.add(handler);
      return () => {
        stateHandlers.delete(handler);
      };
    },
    close() {
      accountGaps.stop();
      catalogGaps.stop();
      user?.close();
      lobby.close();
      for (const id of [...rooms.keys()]) leaveBattle(id);
    },
  };
}
