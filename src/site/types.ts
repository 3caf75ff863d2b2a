/**
 * The wire shapes the site reads, re-exported from the schemas the server validates and documents
 * with (type-only: no zod reaches the bundle). A change of the API is a type error here, not a blank page.
 */
export type { AdminCaseDetail, CaseBody as CaseInput, CaseDetail, CaseItemView, CaseList, CaseResponse, CaseSummary, ItemBody as CaseItemInput } from "../features/cases/schemas";
export type {
  BattleAward,
  BattleCaseRevision,
  BattlePage,
  BattleResponse,
  BattleRoll,
  BattleRoundResult,
  BattleSeat,
  BattleState,
  BattleSummary,
  BattleWinner,
  SeatTotal,
} from "../features/battles/schemas";
export type { BattleFormat, BattleMode, BattleStatus } from "../features/battles/rules";
export type { BattleEventMap } from "../realtime/events";
export type { OpenApiDocument, OpenApiOperation } from "../features/docs/document";
export type { ActiveSeed, FairnessView, RevealedSeed } from "../features/fairness/schemas";
export type { InventoryItem, InventoryPage, SettleResult as SettleResponse } from "../features/inventory/schemas";
export type { LedgerEntry, LedgerPage } from "../features/ledger/schemas";
export type { FreeCaseList, OpeningProof, OpenResult as OpenResponse, WonItem } from "../features/openings/schemas";
export type { RedeemResult } from "../features/promo/schemas";
export type { PublicUser, UserPage } from "../features/users/schemas";
export type { TargetPage, UpgradePage, UpgradeProof, UpgradeRecord, UpgradeResult, UpgradeTarget } from "../features/upgrader/schemas";
export type { BalanceReason as LedgerReason, Drop } from "../realtime/events";
export { RARITIES, type Rarity } from "../features/cases/rarities";
