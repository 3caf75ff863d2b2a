/**
 * The socket wire protocol, both directions, shared by the Durable Objects and the client SDK.
 * Every frame is one JSON object with a `type`; events inside frames use the contract in ./events.ts.
 * Heartbeats are the bare texts {@link PING} / {@link PONG}, outside JSON, so the runtime can
 * answer them with an auto-response without waking a hibernated object.
 */
import type { BattleEvent, PrivateEvent, PublicEvent } from "./events";

export const PING = "ping";
export const PONG = "pong";

/** Which socket a frame belongs to: the player's private stream, the public lobby, or one battle's room. */
export type Channel = "user" | "lobby" | "battle";

/** A private event as numbered by its hub: `seq` grows by one per event within an `epoch`. */
export type SequencedEvent = PrivateEvent & { seq: number };

/**
 * A single-use credential for the next connect of this private socket (`GET /ws/user?resume=`),
 * bound to its user and session: no ticket, no D1 write. See src/realtime/resume.ts.
 */
export interface ResumeGrant {
  credential: string;
  /** Server time, Unix ms. */
  expiresAt: number;
}

/** Sent last on every (re)connect: the client is now caught up to `seq` of `epoch`. */
export interface UserWelcome {
  type: "welcome";
  channel: "user";
  epoch: string;
  seq: number;
  /**
   * The account version (users.version) when this socket was authenticated. Every change bumps it
   * by one and publishes events carrying it, so a client that has applied less than this after its
   * catch-up missed a change whose publish never reached the hub: it refetches, as after `resync`.
   * Absent after a resumed connect, which reads nothing from D1: the hub's audit follows within
   * CONNECT_AUDIT_BOUND_MS with the version (a {@link UserVersionFrame}).
   */
  version?: number;
  /** Absent when the server has no key to sign with; the client then reconnects with a ticket. */
  resume?: ResumeGrant;
}

/**
 * The hub's audit (src/realtime/audit.ts): the account version D1 holds now, and a fresh resume
 * credential. A version the client has not applied, and that no event brings within its grace, is a
 * lost change: refetch, as after `resync`.
 */
export interface UserVersionFrame {
  type: "version";
  channel: "user";
  version: number;
  resume?: ResumeGrant;
}

/**
 * A fresh resume credential for this socket, between audits: its hub moved its resume epoch on
 * (src/realtime/resume-spends.ts), and the credential the socket held would be refused one restart
 * sooner than a fresh one.
 */
export interface UserCredentialFrame {
  type: "credential";
  channel: "user";
  resume: ResumeGrant;
}

/** A lobby shard's audit: D1's catalogue version, sent when it is newer than any the shard was told of. */
export interface LobbyVersionFrame {
  type: "version";
  channel: "lobby";
  catalogVersion: number;
}

/** Sent last on every lobby (re)connect: the newest catalogue version this shard has seen (0 = none yet). */
export interface LobbyWelcome {
  type: "welcome";
  channel: "lobby";
  catalogVersion: number;
}

/**
 * Sent last on every battle-room (re)connect: the client holds the room's stream up to `seq` of
 * `epoch` (after a `battle:state` or the replayed events). `battleId` names the room.
 */
export interface BattleWelcome {
  type: "welcome";
  channel: "battle";
  battleId: string;
  epoch: string;
  seq: number;
}

/** A battle event numbered by its room, like a private event by its hub. */
export type SequencedBattleEvent = BattleEvent & { seq: number };

/**
 * A battle room's events. On a connect that cannot resume the first frame holds one `battle:state`
 * with the `seq` the room is at (it is a snapshot, not stored in the log); then live events, one
 * `seq` step each.
 */
export interface BattleEventsFrame {
  type: "events";
  channel: "battle";
  battleId: string;
  epoch: string;
  events: SequencedBattleEvent[];
}

export interface UserEventsFrame {
  type: "events";
  channel: "user";
  epoch: string;
  events: SequencedEvent[];
}

export interface LobbyEventsFrame {
  type: "events";
  channel: "lobby";
  events: PublicEvent[];
}

/**
 * The server cannot replay what the client missed (log trimmed, stream reset, shard without history):
 * refetch state over REST (`/api/auth/me` + `/api/inventory` for `user`, `/api/cases` for `lobby`).
 */
export interface ResyncFrame {
  type: "resync";
  channel: Channel;
  reason: "epoch_changed" | "gap_too_old" | "ahead_of_server" | "catalog_gap";
}

export type ErrorCode = "bad_frame" | "unknown_message" | "wrong_channel" | "too_large";

/** A client frame the server refused. The socket stays open and nothing changed. */
export interface ErrorFrame {
  type: "error";
  code: ErrorCode;
  message: string;
}

export type ServerMessage =
  | UserWelcome
  | LobbyWelcome
  | BattleWelcome
  | UserEventsFrame
  | LobbyEventsFrame
  | BattleEventsFrame
  | UserVersionFrame
  | UserCredentialFrame
  | LobbyVersionFrame
  | ResyncFrame
  | ErrorFrame;

/** Private socket: "I hold `since` of `epoch`, send me what came after" (the same as `?since=&epoch=`). */
export interface ResumeMessage {
  type: "resume";
  epoch: string;
  since: number;
}

/** Lobby socket: "I hold this catalogue version" (the same as `?catalog=`). */
export interface ResumeLobbyMessage {
  type: "resume-lobby";
  catalogVersion: number;
}

/**
 * Battle socket: "I hold `since` of `epoch`" (the same as `?since=&epoch=`). The room replays what
 * came after, or sends a fresh `battle:state` when its log cannot cover the gap.
 */
export interface ResumeBattleMessage {
  type: "resume-battle";
  epoch: string;
  since: number;
}

/** The messages a client may send on each socket. */
export interface ClientMessages {
  user: ResumeMessage;
  lobby: ResumeLobbyMessage;
  battle: ResumeBattleMessage;
}

export type ClientMessage = ClientMessages[Channel];

const CHANNEL_OF: Record<ClientMessage["type"], Channel> = { resume: "user", "resume-lobby": "lobby", "resume-battle": "battle" };

/** Client frames are tiny; anything bigger is refused before JSON.parse. */
export const MAX_CLIENT_FRAME_BYTES = 1024;

const EPOCH_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const isValidEpoch = (value: unknown): value is string => typeof value === "string" && EPOCH_PATTERN.test(value);
export const isValidCounter = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A typed client message, or null for anything else (not JSON, unknown `type`, bad fields).
 * Deliberately has no message that names a user: a socket's user is fixed when it is accepted.
 */
export function parseClientMessage(raw: string | ArrayBuffer): ClientMessage | null {
  if (typeof raw !== "string" || raw.length > MAX_CLIENT_FRAME_BYTES) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  switch (value.type) {
    case "resume":
      return isValidEpoch(value.epoch) && isValidCounter(value.since)
        ? { type: "resume", epoch: value.epoch, since: value.since }
        : null;
    case "resume-lobby":
      return isValidCounter(value.catalogVersion) ? { type: "resume-lobby", catalogVersion: value.catalogVersion } : null;
    case "resume-battle":
      return isValidEpoch(value.epoch) && isValidCounter(value.since)
        ? { type: "resume-battle", epoch: value.epoch, since: value.since }
        : null;
    default:
      return null;
  }
}

/** The error frame for a refused client frame: `unknown_message` when it was JSON with a `type`, else `bad_frame`. */
export function refusal(raw: string | ArrayBuffer): ErrorFrame {
  if (typeof raw !== "string") return { type: "error", code: "bad_frame", message: "Binary frames are not supported." };
  if (raw.length > MAX_CLIENT_FRAME_BYTES) return { type: "error", code: "too_large", message: "Frame too large." };
  try {
    const value: unknown = JSON.parse(raw);
    if (isRecord(value) && typeof value.type === "string") {
      return { type: "error", code: "unknown_message", message: `Unknown or invalid message "${value.type.slice(0, 40)}".` };
    }
  } catch {
    // falls through to bad_frame
  }
  return { type: "error", code: "bad_frame", message: "Frames must be JSON objects with a type." };
}

/**
 * What the server makes of one client frame on a `channel` socket: the message, typed for that
 * socket, or the error frame that refuses it (`wrong_channel` for the other socket's messages).
 */
export function readClientFrame<C extends Channel>(raw: string | ArrayBuffer, channel: C): { message: ClientMessages[C] } | { refused: ErrorFrame } {
  const message = parseClientMessage(raw);
  if (message === null) return { refused: refusal(raw) };
  if (CHANNEL_OF[message.type] !== channel) {
    const home = { user: "private", lobby: "lobby", battle: "battle" }[CHANNEL_OF[message.type]];
    return { refused: { type: "error", code: "wrong_channel", message: `"${message.type}" belongs on the ${home} socket.` } };
  }
  return { message: message as ClientMessages[C] };
}

/** Parses a server frame on the client side; null for anything that is not a protocol frame. */
export function parseServerMessage(raw: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isRecord(value) || typeof value.type !== "string") return null;
  switch (value.type) {
    case "welcome":
    case "events":
    case "version":
    case "credential":
    case "resync":
    case "error":
      // The server is trusted to send well-formed frames of these types; the SDK checks the fields it relies on.
      return value as unknown as ServerMessage;
    default:
      return null;
  }
}

export const encode = (message: ServerMessage): string => JSON.stringify(message);
