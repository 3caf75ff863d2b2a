/**
 * The realtime SDK: one entry for browsers (bundled to `public/sdk/realtime.js` by
 * scripts/build-client.mjs, and imported by the site) and for Node 20+, where there is no global
 * WebSocket: pass the `ws` package's class as the `WebSocket` option.
 */
export { createRealtime, DEFAULT_TUNING } from "./realtime";
export type {
  ConnectionState,
  Handler,
  Realtime,
  RealtimeAuth,
  RealtimeEventName,
  RealtimeEvents,
  RealtimeOptions,
  RealtimeTuning,
  ResyncInfo,
  SocketStates,
  WebSocketClass,
} from "./realtime";
export type { BalanceReason, BattleEventMap, Drop, PrivateEventMap, PublicEventMap } from "../realtime/events";
export type {
  BattleAward,
  BattleCaseRevision,
  BattleFairness,
  BattlePage,
  BattleResponse,
  BattleRoll,
  BattleRoundCase,
  BattleRoundResult,
  BattleSeat,
  BattleState,
  BattleSummary,
  BattleWinner,
  SeatTotal,
} from "../features/battles/schemas";
export type { BattleFormat, BattleMode, BattleStatus } from "../features/battles/rules";
export type { InventoryItem } from "../features/inventory/schemas";
