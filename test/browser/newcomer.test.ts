import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page, Request } from "playwright-core";
import { DEMO } from "../../scripts/lib/seed-demo.mjs";
import { formatCents } from "../../src/site/money";
import { apiCall, browserAvailability, launchProfile, logIn, screenshot, startSeededServer, visit } from "./harness";

const availability = browserAvailability();
if (!availability.run) console.warn(availability.reason);

// How long a live update may take to show up on a loaded machine; a bound, never a measurement.
const LIVE_TIMEOUT = 30_000;

interface WonItem {
  id: string;
  kind: "skin" | "money";
  value: number;
}
interface OpenBody {
  balance: number;
  items: WonItem[];
}

/**
 * Records, in the page, when each drop first shows in the ticker and when each reel stops, on the
 * wall clock (the same for every page of this machine), so a test can order them across pages.
 */
async function recordMoments(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __drops: Record<string, number>; __stops: number[] };
    w.__drops = {};
    w.__stops = [];
    const look = () => {
      for (const el of document.querySelectorAll<HTMLElement>("[data-drop-id]")) w.__drops[el.dataset.dropId ?? ""] ??= Date.now();
      const stopped = document.querySelectorAll(".roulettes.stopped:not([data-demo])").length;
      while (w.__stops.length < stopped) w.__stops.push(Date.now());
    };
    look();
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["class"] });
  });
}

async function moments(page: Page): Promise<{ drops: Record<string, number>; stops: number[] }> {
  return page.evaluate(() => {
    const w = window as unknown as { __drops: Record<string, number>; __stops: number[] };
    return { drops: w.__drops, stops: w.__stops };
  });
}

async function waitForBalance(page: Page, cents: number): Promise<void> {
  await page.waitForFunction((text) => document.querySelector("[data-testid=balance]")?.textContent === text, formatCents(cents), { timeout: LIVE_TIMEOUT });
}

async function balanceOf(page: Page): Promise<string> {
  return (await page.textContent("[data-testid=balance]")) ?? "";
}

/** Clicks the open button and returns the server's answer as the browser received it. */
async function clickOpen(page: Page): Promise<OpenBody> {
  const answer = page.waitForResponse((r) => r.request().method() === "POST" && /\/api\/cases\/[^/]+\/open$/.test(r.url()));
  await page.click("[data-testid=open-button]");
  const res = await answer;
  expect(res.status()).toBe(201);
  return (await res.json()) as OpenBody;
}

/** Every drop of `opened` reached `page`'s ticker, and none of them before the page's last reel stopped. */
async function expectDropsAfterReel(page: Page, reelPage: Page, opened: OpenBody): Promise<void> {
  for (const item of opened.items) await page.waitForSelector(`[data-drop-id="${item.id}"]`, { timeout: LIVE_TIMEOUT });
  const [seen, reel] = [await moments(page), await moments(reelPage)];
  const stoppedAt = reel.stops.at(-1);
  expect(stoppedAt, "the reel stopped").toBeDefined();
  for (const item of opened.items) expect(seen.drops[item.id], `drop ${item.id} shown after the reel stopped`).toBeGreaterThanOrEqual(stoppedAt ?? Infinity);
  console.log("reveal margins (ms after the reel stopped):", opened.items.map((item) => (seen.drops[item.id] ?? 0) - (stoppedAt ?? 0)));
}

/**
 * Loads a signed-in page and waits until it is live and caught up: it reads its account once on load
 * and once more when its sockets first open (src/site/live.ts). A test that watches what the page
 * sends, or changes the account behind its back, starts after both.
 */
async function visitCaughtUp(page: Page, url: string): Promise<void> {
  let accountReads = 0;
  const count = (r: { url(): string }) => void (new URL(r.url()).pathname === "/api/auth/me" && accountReads++);
  page.on("response", count);
  await visit(page, url);
  await page.waitForSelector("[data-testid=connection][data-state=open]");
  await expect.poll(() => accountReads).toBeGreaterThanOrEqual(2);
  page.off("response", count);
}

describe.skipIf(!availability.run)("a brand-new account in a real browser", () => {
  let server: Awaited<ReturnType<typeof startSeededServer>>;
  let newcomer: Awaited<ReturnType<typeof launchProfile>>;
  let watcher: Awaited<ReturnType<typeof launchProfile>>;
  let tickerHeight = 0;
  let balance = 0;
  const name = `Newcomer ${Date.now().toString(36)}`;

  beforeAll(async () => {
    server = await startSeededServer();
    [newcomer, watcher] = await Promise.all([launchProfile(), launchProfile()]);
  });

  afterAll(async () => {
    await Promise.allSettled([newcomer?.dispose(), watcher?.dispose()]);
    await server?.dispose();
  });

  it("a visitor watches the lobby: the ticker holds its place before any win", async () => {
    await visit(watcher.page, server.url);
    await watcher.page.waitForSelector("a[data-case-slug=daily-free] .badge-free");
    tickerHeight = (await watcher.page.locator(".ticker").boundingBox())?.height ?? 0;
    expect(tickerHeight).toBeGreaterThan(0);
    await recordMoments(watcher.page);
  });

  it("signs up with 0.00 € and opens the daily free case; the countdown to the next one shows", async () => {
    const page = newcomer.page;
    await visit(page, `${server.url}/register`);
    await page.fill("#email", `newcomer-${Date.now()}@cyberhub.local`);
    await page.fill("#displayName", name);
    await page.fill("#password", "newcomer-password");
    await page.click("form button[type=submit]");
    await page.waitForSelector("[data-testid=balance]");
    expect(await balanceOf(page)).toBe(formatCents(0));

    expect(await page.title()).toBe("Cases · CyberHub");
    await page.click("a[data-case-slug=daily-free]");
    await page.waitForSelector("text=Open for free");
    expect(await page.title()).toBe("Daily Free · CyberHub");
    await recordMoments(page);
    const opened = await clickOpen(page);
    expect(opened.items).toHaveLength(1);
    expect(opened.balance).toBe(0);
    const countdown = page.locator("[data-testid=free-countdown]");
    await countdown.waitFor();
    expect(await countdown.textContent()).toMatch(/Next free open in 2[34]:\d\d:\d\d/);
    expect(await page.isDisabled("[data-testid=open-button]")).toBe(true);
    await page.waitForSelector("[data-testid=open-result]", { timeout: LIVE_TIMEOUT });
    // The result takes the focus from the (disabled) button: keyboard users land on their win.
    expect(await page.evaluate(() => document.activeElement?.closest("[data-testid=open-result]") !== null)).toBe(true);
    await screenshot(page, "newcomer-free-case");

    // The win is shown in the feed only once the reel has stopped: on the opener's page and a visitor's.
    await expectDropsAfterReel(page, page, opened);
    await expectDropsAfterReel(watcher.page, page, opened);

    // It is a real item: claimed or sold into the balance.
    const [won] = opened.items;
    await page.click(`[data-testid=open-result] button`);
    balance = won?.value ?? 0;
    await waitForBalance(page, balance);
  });

  it("redeems a promo code in the Redeem code box, once", async () => {
    const code = `NEWBIE-${Date.now().toString(36)}`.toUpperCase();
    const created = await apiCall(server.url, "POST", "/api/admin/promo-codes", server.seeded.admin.token, { code, amount: 5_00, maxUses: 10 });
    expect(created.status).toBe(201);
    const page = newcomer.page;
    await visit(page, server.url);
    await page.fill("#promo-code", code.toLowerCase());
    await page.click("[data-testid=redeem-code] button[type=submit]");
    balance += 5_00;
    await waitForBalance(page, balance);
    await screenshot(page, "newcomer-redeemed");

    await page.fill("#promo-code", code);
    await page.click("[data-testid=redeem-code] button[type=submit]");
    const error = page.locator("[data-error-for=promo-code]");
    await error.waitFor();
    expect(await error.textContent()).toMatch(/already/);
    expect(await balanceOf(page)).toBe(formatCents(balance));
  });

  it("plays a paid case with that money: all its drops reach the tickers only after the reels stop", async () => {
    const page = newcomer.page;
    await page.click("a[data-case-slug=starter]");
    await page.waitForSelector("[data-testid=open-button]");
    await recordMoments(page);
    await page.click(".count-picker button:nth-child(2)");
    const opened = await clickOpen(page);
    expect(opened.items).toHaveLength(2);
    expect(opened.balance).toBe(balance - 2 * 2_50);
    balance = opened.balance;
    await page.waitForSelector("[data-testid=open-result]", { timeout: LIVE_TIMEOUT });
    await expectDropsAfterReel(page, page, opened);
    await expectDropsAfterReel(watcher.page, page, opened);
    // The feed filled without the bar growing or the page moving.
    expect((await watcher.page.locator(".ticker").boundingBox())?.height).toBe(tickerHeight);
  });

  it("a page loaded now shows the latest drops at once (no empty ticker), at the same height", async () => {
    const page = await watcher.context.newPage();
    await visit(page, server.url);
    await page.waitForSelector("[data-drop-id]", { timeout: 5_000 });
    expect(await page.locator(".ticker-empty").count()).toBe(0);
    expect(await page.textContent("[data-testid=drops]")).toContain(name);
    expect((await page.locator(".ticker").boundingBox())?.height).toBe(tickerHeight);
    await page.close();
  });

  it("spins a demo on a case page: labelled Demo, no request sent, nothing changed", async () => {
    const page = newcomer.page;
    // Caught up first: the page's own catch-up reads are not the demo's requests.
    await visitCaughtUp(page, `${server.url}/case/knife-dream`);
    await page.waitForSelector("[data-testid=demo-button]");
    // The lobby socket's catch-up has filled the ticker: from here on, only a new drop would change it.
    await page.waitForSelector("[data-drop-id]");
    const before = { balance: await balanceOf(page), drops: await page.locator("[data-drop-id]").count() };
    const sent: Request[] = [];
    const onRequest = (request: Request) => void sent.push(request);
    page.on("request", onRequest);
    await page.click("[data-testid=demo-button]");
    await page.waitForSelector(".roulettes[data-demo] >> text=Demo spin");
    await screenshot(page, "demo-spin", false);
    await page.waitForSelector("[data-testid=demo-result]", { timeout: LIVE_TIMEOUT });
    expect(await page.textContent("[data-testid=demo-result]")).toMatch(/Demo/);
    expect(await page.locator("[data-testid=open-result]").count()).toBe(0);
    page.off("request", onRequest);
    expect(sent.filter((r) => r.url().includes("/api/")).map((r) => `${r.method()} ${r.url()}`)).toEqual([]);
    expect(await balanceOf(page)).toBe(before.balance);
    expect(await page.locator("[data-drop-id]").count()).toBe(before.drops);

    // Nothing recorded either: the inventory and the ledger are as they were.
    const records = await page.evaluate(async () => {
      const [inventory, ledger] = await Promise.all([fetch("/api/inventory?status=all&limit=100"), fetch("/api/ledger?limit=100")]);
      return { items: ((await inventory.json()) as { items: unknown[] }).items.length, entries: ((await ledger.json()) as { entries: unknown[] }).entries.length };
    });
    // One free opening, its settlement, one redemption, one opening ×2: three items, four entries.
    expect(records).toEqual({ items: 3, entries: 4 });
  });

  it("an admin makes a new case free in the editor (a cooldown instead of a price); visitors see it live", async () => {
    const admin = await launchProfile();
    try {
      const page = admin.page;
      await logIn(page, server.url, DEMO.admin.email, DEMO.admin.password);
      await visit(page, `${server.url}/admin/cases/new`);
      await page.fill("#name", "Weekend Free");
      await page.check("#free");
      expect(await page.isDisabled("#price")).toBe(true);
      await page.fill("#freeCooldownSeconds", "48");
      await page.fill("[id='items.0.name']", "0.10 € cash");
      await page.selectOption("[id='items.0.kind']", "money");
      await page.fill("[id='items.0.value']", "0.10");
      await page.click("[data-testid=save-case]");
      await page.waitForURL(/\/admin\/cases\/[0-9a-f-]{36}$/);
      const list = await apiCall(server.url, "GET", "/api/cases", server.seeded.admin.token);
      const saved = (list.body as { cases: { slug: string; price: number; free: boolean; freeCooldownSeconds: number | null }[] }).cases.find((c) => c.slug === "weekend-free");
      expect(saved).toMatchObject({ price: 0, free: true, freeCooldownSeconds: 48 * 3600 });
      await watcher.page.waitForSelector("a[data-case-slug=weekend-free] .badge-free", { timeout: LIVE_TIMEOUT });
      expect(admin.cspViolations).toEqual([]);
    } finally {
      await admin.dispose();
    }
  });

  it("the seeded welcome code works for a newcomer too", async () => {
    const page = await newcomer.context.newPage();
    await visit(page, server.url);
    await page.fill("#promo-code", DEMO.promo.code);
    await page.click("[data-testid=redeem-code] button[type=submit]");
    balance += DEMO.promo.amount;
    await waitForBalance(page, balance);
    await page.close();
  });

  it("after insufficient_balance the TopBar shows the real balance, even when this tab missed the change", async () => {
    const page = await newcomer.context.newPage();
    // This tab's private socket reaches a silent stand-in: no balance event will arrive here.
    await page.routeWebSocket(/\/ws\/user/, () => {});
    // The private socket's stand-in counts as open, so the page still reads its account again then:
    // the change below must come after that read, or the page simply reads it.
    await visitCaughtUp(page, `${server.url}/case/starter`);
    await waitForBalance(page, balance);
    const me = await page.evaluate(async () => ((await (await fetch("/api/auth/me")).json()) as { user: { id: string } }).user.id);
    const debit = await apiCall(server.url, "POST", `/api/admin/users/${me}/balance`, server.seeded.admin.token, { amount: -balance, reason: "Browser test: spent elsewhere" });
    expect(debit.status).toBe(201);
    expect(await balanceOf(page)).toBe(formatCents(balance));
    const refused = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/open"));
    await page.click("[data-testid=open-button]");
    expect((await refused).status()).toBe(422);
    await waitForBalance(page, 0);
    await page.close();
  });

  it("names every page in the tab's title, and the CSP held everywhere", async () => {
    const page = await newcomer.context.newPage();
    await visit(page, `${server.url}/no-such-page`);
    await page.waitForSelector("text=Page not found");
    expect(await page.title()).toBe("Page not found · CyberHub");
    await page.click("nav >> text=Inventory");
    await page.waitForFunction(() => document.title === "Inventory · CyberHub");
    await page.close();
    expect(newcomer.cspViolations).toEqual([]);
    expect(watcher.cspViolations).toEqual([]);
  });
});
