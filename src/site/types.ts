/**
 * The wire shapes the site reads. Where the server already exports a pure type we re-use it,
 * so a change of the API shows up as a type error here rather than as a blank page.
 */
import type { AdminCaseDetail, CaseDetail, CaseItemView, CaseSummary } from "../features/cases/model";
import type { WonItem } from "../features/openings/model";
import type { PublicUser } from "../features/users/model";
import type { Drop, InventoryItem } from "../realtime/events";

export type { AdminCaseDetail, CaseDetail, CaseItemView, CaseSummary, Drop, InventoryItem, PublicUser, WonItem };

export type Rarity = "consumer" | "industrial" | "milspec" | "restricted" | "classified" | "covert" | "extraordinary";
export const RARITIES: readonly Rarity[] = ["consumer", "industrial", "milspec", "restricted", "classified", "covert", "extraordinary"];

export interface CaseList {
  version: number;
  currency: string;
  cases: CaseSummary[];
}

export interface OpenResponse {
  caseId: string;
  count: number;
  total: number;
  balance: number;
  version: number;
  seed: { id: string; hash: string; clientSeed: string };
  items: WonItem[];
}

export interface InventoryPage {
  version: number;
  items: InventoryItem[];
  nextCursor: string | null;
}

export interface SettleResponse {
  itemIds: string[];
  credited: number;
  balance: number;
  version: number;
}

export type LedgerReason = "open" | "claim" | "sell" | "admin_credit" | "admin_debit";

export interface LedgerEntry {
  id: string;
  delta: number;
  balanceAfter: number;
  reason: LedgerReason;
  ref: string | null;
  note: string | null;
  createdAt: number;
}

export interface LedgerPage {
  balance: number;
  entries: LedgerEntry[];
  nextCursor: string | null;
}

export interface ActiveSeed {
  seedId: string;
  serverSeedHash: string;
  clientSeed: string;
  nextNonce: number;
}

export interface RevealedSeed {
  seedId: string;
  serverSeed: string;
  serverSeedHash: string;
  clientSeed: string;
  noncesUsed: number;
  revealedAt: number;
}

export interface FairnessView {
  active: ActiveSeed;
  revealed: RevealedSeed[];
}

export interface OpeningProof {
  opening: WonItem & { caseVersion: number; price: number; clientSeed: string; seedId: string };
  seed: { id: string; hash: string; revealed: boolean; serverSeed: string | null };
  revision: { name: string; price: number; totalWeight: number; items: { id: string; name: string; weight: number; chancePercent: string }[] };
  algorithm: string;
}

export interface UserPage {
  users: PublicUser[];
  nextCursor: string | null;
}

export interface CaseItemInput {
  id?: string;
  name: string;
  imageUrl: string | null;
  rarity: Rarity;
  value: number;
  kind: "skin" | "money";
  weight: number;
}

export interface CaseInput {
  name: string;
  slug: string;
  imageUrl: string | null;
  price: number;
  active: boolean;
  items: CaseItemInput[];
}
