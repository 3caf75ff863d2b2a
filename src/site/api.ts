import type {
  AdminCaseDetail,
  BattleFormat,
  BattleMode,
  BattlePage,
  BattleResponse,
  CaseInput,
  CaseList,
  CaseResponse,
  FairnessView,
  FreeCaseList,
  InventoryPage,
  LedgerPage,
  OpeningProof,
  OpenApiDocument,
  OpenResponse,
  PublicUser,
  RedeemResult,
  SettleResponse,
  TargetPage,
  UpgradePage,
  UpgradeProof,
  UpgradeResult,
  UserPage,
} from "./types";

export interface FieldIssue {
  path: string;
  message: string;
}

/** The API's one error shape, `{ error: { code, message, issues? } }`, as a throwable. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
    /** Seconds to wait, on a 429. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function toApiError(status: number, body: unknown): ApiError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : null;
  if (!error) return new ApiError(status, "http_error", `The server answered ${status}.`);
  const issues = Array.isArray(error.issues)
    ? error.issues.filter(isRecord).map((i) => ({ path: String(i.path), message: String(i.message) }))
    : [];
  const retryAfter = typeof error.retryAfter === "number" ? error.retryAfter : null;
  return new ApiError(status, String(error.code ?? "error"), String(error.message ?? "Something went wrong."), issues, retryAfter);
}

/** Words for the user: the server's message plus, when present, what each field said. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof TypeError) return "Cannot reach the server. Check your connection and try again.";
  return err instanceof Error ? err.message : "Something went wrong.";
}

interface RequestOptions {
  body?: unknown;
  idempotent?: boolean;
}

/** A 503 `unavailable` is retried this many times, after its Retry-After (capped), before the user sees it. */
const UNAVAILABLE_RETRIES = 2;
const MAX_RETRY_WAIT_MS = 5_000;

// Same-origin with the HttpOnly session cookie: the site never holds a token.
async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  // One key for every attempt: a write whose answer was lost is replayed by the retry, never repeated.
  if (options.idempotent) headers["idempotency-key"] = crypto.randomUUID();
  const retryable = method === "GET" || options.idempotent === true;
  let res: Response;
  for (let attempt = 0; ; attempt++) {
    res = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    if (res.status !== 503 || !retryable || attempt >= UNAVAILABLE_RETRIES) break;
    await res.body?.cancel();
    const wait = Math.min(MAX_RETRY_WAIT_MS, 1_000 * (Number(res.headers.get("retry-after")) || 1));
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  const text = await res.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!res.ok) throw toApiError(res.status, body);
  return body as T;
}

const q = (params: Record<string, string | number | undefined | null>) => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : "";
};

export const api = {
  me: () => request<{ user: PublicUser }>("GET", "/api/auth/me"),
  login: (email: string, password: string) => request<{ user: PublicUser }>("POST", "/api/auth/login", { body: { email, password } }),
  register: (email: string, password: string, displayName: string) =>
    request<{ user: PublicUser }>("POST", "/api/auth/register", { body: { email, password, displayName } }),
  logout: () => request<null>("POST", "/api/auth/logout"),

  cases: () => request<CaseList>("GET", "/api/cases"),
  caseDetail: (idOrSlug: string) => request<CaseResponse>("GET", `/api/cases/${encodeURIComponent(idOrSlug)}`),
  freeCases: () => request<FreeCaseList>("GET", "/api/free-cases"),
  open: (idOrSlug: string, count: number) =>
    request<OpenResponse>("POST", `/api/cases/${encodeURIComponent(idOrSlug)}/open`, { body: { count }, idempotent: true }),
  opening: (id: string) => request<OpeningProof>("GET", `/api/openings/${encodeURIComponent(id)}`),

  inventory: (status: "owned" | "all", cursor?: string | null) => request<InventoryPage>("GET", `/api/inventory${q({ status, limit: 100, cursor })}`),
  claim: (target: { itemId: string } | { all: true }) => request<SettleResponse>("POST", "/api/inventory/claim", { body: target, idempotent: true }),
  sell: (target: { itemId: string } | { all: true }) => request<SettleResponse>("POST", "/api/inventory/sell", { body: target, idempotent: true }),
  ledger: (cursor?: string | null) => request<LedgerPage>("GET", `/api/ledger${q({ limit: 25, cursor })}`),
  redeem: (code: string) => request<RedeemResult>("POST", "/api/promo/redeem", { body: { code }, idempotent: true }),

  upgradeTargets: (filter: { query?: string; min?: number | null; max?: number | null }, cursor?: string | null) =>
    request<TargetPage>("GET", `/api/upgrader/targets${q({ ...filter, limit: 30, cursor })}`),
  upgrade: (itemIds: string[], targetItemId: string) => request<UpgradeResult>("POST", "/api/upgrader", { body: { itemIds, targetItemId }, idempotent: true }),
  upgrades: (cursor?: string | null) => request<UpgradePage>("GET", `/api/upgrader${q({ limit: 20, cursor })}`),
  upgradeProof: (id: string) => request<UpgradeProof>("GET", `/api/upgrader/${encodeURIComponent(id)}`),

  battles: (status: "waiting" | "running" | "finished", cursor?: string | null) => request<BattlePage>("GET", `/api/battles${q({ status, limit: 50, cursor })}`),
  battle: (id: string) => request<BattleResponse>("GET", `/api/battles/${encodeURIComponent(id)}`),
  createBattle: (body: { cases: string[]; format: BattleFormat; mode: BattleMode; private: boolean; clientSeed?: string }) =>
    request<BattleResponse>("POST", "/api/battles", { body, idempotent: true }),
  joinBattle: (id: string, body: { seat?: number; clientSeed?: string }) =>
    request<BattleResponse>("POST", `/api/battles/${encodeURIComponent(id)}/join`, { body, idempotent: true }),
  fillWithBots: (id: string) => request<BattleResponse>("POST", `/api/battles/${encodeURIComponent(id)}/bots`),
  cancelBattle: (id: string) => request<BattleResponse>("POST", `/api/battles/${encodeURIComponent(id)}/cancel`),

  fairness: () => request<FairnessView>("GET", "/api/fairness"),
  setClientSeed: (clientSeed: string) => request<{ active: FairnessView["active"] }>("PUT", "/api/fairness/client-seed", { body: { clientSeed } }),
  rotateSeed: () => request<{ active: FairnessView["active"] }>("POST", "/api/fairness/rotate"),

  openApi: () => request<OpenApiDocument>("GET", "/api/openapi.json"),

  adminCases: () => request<{ cases: AdminCaseDetail[] }>("GET", "/api/admin/cases"),
  adminCase: (id: string) => request<{ case: AdminCaseDetail }>("GET", `/api/admin/cases/${encodeURIComponent(id)}`),
  createCase: (input: CaseInput) => request<{ case: AdminCaseDetail }>("POST", "/api/admin/cases", { body: input }),
  updateCase: (id: string, input: CaseInput) => request<{ case: AdminCaseDetail }>("PUT", `/api/admin/cases/${encodeURIComponent(id)}`, { body: input }),
  setCaseActive: (id: string, active: boolean) =>
    request<{ case: AdminCaseDetail }>("PATCH", `/api/admin/cases/${encodeURIComponent(id)}`, { body: { active } }),
  deleteCase: (id: string) => request<null>("DELETE", `/api/admin/cases/${encodeURIComponent(id)}`),
  users: (query: string, cursor?: string | null) => request<UserPage>("GET", `/api/admin/users${q({ query, cursor, limit: 50 })}`),
  adjustBalance: (userId: string, amount: number, reason: string) =>
    request<{ balance: number }>("POST", `/api/admin/users/${encodeURIComponent(userId)}/balance`, { body: { amount, reason }, idempotent: true }),
};
