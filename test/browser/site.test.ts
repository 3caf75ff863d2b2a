import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Dialog, Page, Response, Route } from "playwright-core";
import { DEMO, DEMO_CASES } from "../../scripts/lib/seed-demo.mjs";
import { SITE_CSP } from "../../src/http/security-headers";
import { formatCents } from "../../src/site/money";
import {
  apiCall,
  browserAvailability,
  launchProfile,
  logIn,
  markDocument,
  screenshot,
  startSeededServer,
  stillSameDocument,
  visit,
} from "./harness";

const availability = browserAvailability();
if (!availability.run) console.warn(availability.reason);

interface WonItem {
  id: string;
  itemId: string;
  name: string;
  kind: "skin" | "money";
  value: number;
}
interface OpenBody {
  balance: number;
  version: number;
  items: WonItem[];
}

// How long a live update may take to show up on a loaded machine; a bound, never a measurement.
const LIVE_TIMEOUT = 30_000;
const CASE_SLUG = "e2e-cash-box";

async function balanceText(page: Page): Promise<string> {
  return (await page.textContent("[data-testid=balance]")) ?? "";
}

async function waitForBalance(page: Page, cents: number): Promise<void> {
  await page.waitForFunction((text) => document.querySelector("[data-testid=balance]")?.textContent === text, formatCents(cents), { timeout: LIVE_TIMEOUT });
}

async function waitForConnection(page: Page, colour: "green" | "amber" | "red", timeout = LIVE_TIMEOUT): Promise<void> {
  await page.waitForSelector(`[data-testid=connection].conn-${colour}`, { timeout });
}

/** Opens the case on `page` and returns the server's answer, as the browser received it. */
async function openCase(page: Page, count: number): Promise<OpenBody> {
  await page.click(`.count-picker button:nth-child(${count})`);
  const response: Promise<Response> = page.waitForResponse((r) => r.request().method() === "POST" && /\/api\/cases\/[^/]+\/open$/.test(r.url()));
  await page.click("[data-testid=open-button]");
  const res = await response;
  expect(res.status()).toBe(201);
  return (await res.json()) as OpenBody;
}

/** Which item each roulette strip shows under its marker, measured from the rendered layout. */
async function itemsUnderMarkers(page: Page): Promise<string[]> {
  // Where the reels come to rest: on a loaded machine the result can show (its timer) while a
  // track's transform transition is still finishing on screen, and a track mid-way has the marker
  // over a gap or the wrong tile (a flake CI-like runs saw once).
  await page.evaluate(() => Promise.all(document.getAnimations().filter((a) => a.effect?.getTiming().iterations !== Infinity).map((a) => a.finished.catch(() => undefined))));
  return page.$$eval(".roulette", (strips) =>
    strips.map((strip) => {
      const marker = strip.querySelector(".roulette-marker")?.getBoundingClientRect();
      if (!marker) return "no marker";
      const x = marker.left + marker.width / 2;
      const hit = [...strip.querySelectorAll<HTMLElement>(".roulette-tile")].filter((tile) => {
        const r = tile.getBoundingClientRect();
        return r.left <= x && x <= r.right;
      });
      return hit.length === 1 ? (hit[0]?.dataset.itemId ?? "no id") : `${hit.length} tiles under the marker`;
    }),
  );
}

describe.skipIf(!availability.run)("the site in a real browser", () => {
  let server: Awaited<ReturnType<typeof startSeededServer>>;
  let admin: Awaited<ReturnType<typeof launchProfile>>;
  let player: Awaited<ReturnType<typeof launchProfile>>;
  let playerInventory: Page;
  let adminToken: string;
  let playerId: string;

  beforeAll(async () => {
    server = await startSeededServer();
    adminToken = server.seeded.admin.token;
    playerId = server.seeded.player.user.id;
    [admin, player] = await Promise.all([launchProfile(), launchProfile()]);
  });

  afterAll(async () => {
    await Promise.allSettled([admin?.dispose(), player?.dispose()]);
    await server?.dispose();
  });

  it("shows the lobby to visitors and the TopBar after logging in, live on both sockets", async () => {
    await visit(player.page, server.url);
    await player.page.waitForSelector("a[data-case-slug=starter]");
    await screenshot(player.page, "lobby-visitor");

    await logIn(player.page, server.url, DEMO.player.email, DEMO.player.password);
    await logIn(admin.page, server.url, DEMO.admin.email, DEMO.admin.password);
    expect(await player.page.textContent("[data-testid=display-name]")).toBe(DEMO.player.displayName);
    expect(await balanceText(player.page)).toBe(formatCents(DEMO.playerStartingBalance));
    await waitForConnection(player.page, "green");
    await waitForConnection(admin.page, "green");
    expect(await player.page.getAttribute("[data-testid=connection]", "title")).toMatch(/Live/);
  });

  it("admin sees server validation errors next to the field, then creates a case that appears in the player's grid without a reload", async () => {
    await visit(player.page, server.url);
    await player.page.waitForSelector("a[data-case-slug=starter]");
    // Live means subscribed: the page opens its sockets after its first reads.
    await waitForConnection(player.page, "green");
    await markDocument(player.page);
    expect(await player.page.locator(`a[data-case-slug=${CASE_SLUG}]`).count()).toBe(0);

    const page = admin.page;
    await page.click("nav >> text=Admin");
    await page.click("[data-testid=new-case]");
    await page.fill("#name", "E2E Cash Box");
    await page.fill("#slug", CASE_SLUG);
    await page.fill("#price", "1.00");
    await page.fill("[id='items.0.name']", "4.00 € cash");
    await page.selectOption("[id='items.0.kind']", "money");
    await page.selectOption("[id='items.0.rarity']", "restricted");
    await page.fill("[id='items.0.value']", "4.00");
    await page.fill("[id='items.0.weight']", "0");
    // The preview follows the form as the admin types (same formulas as the server).
    await page.fill("[id='items.0.weight']", "1.5");
    await page.click("[data-testid=save-case]");
    const weightError = page.locator("[data-error-for='items.0.weight']");
    await weightError.waitFor();
    expect(await weightError.textContent()).toMatch(/whole number/);
    await screenshot(page, "admin-editor-validation");

    await page.fill("[id='items.0.weight']", "7");
    expect(await page.textContent("[data-testid=chance-0]")).toBe("100 %");
    expect(await page.textContent("[data-testid=expected-value]")).toBe(formatCents(400));
    expect(await page.textContent("[data-testid=rtp]")).toBe("400.00 %");
    await page.click("[data-testid=save-case]");
    await page.waitForURL(/\/admin\/cases\/[0-9a-f-]{36}$/);
    expect(await weightError.count()).toBe(0);

    await player.page.waitForSelector(`a[data-case-slug=${CASE_SLUG}]`, { timeout: LIVE_TIMEOUT });
    expect(await stillSameDocument(player.page)).toBe(true);
    await screenshot(player.page, "lobby-player");
  });

  it("player opens cases: the strip stops on the items the server returned; inventory and balance update live in another tab", async () => {
    playerInventory = await player.context.newPage();
    await visit(playerInventory, `${server.url}/inventory`);
    await playerInventory.waitForSelector("[data-testid=inventory][aria-busy=false]", { state: "attached" });
    await waitForConnection(playerInventory, "green");
    await markDocument(playerInventory);
    const inventoryBefore = await playerInventory.locator("[data-testid=inventory] > li").count();

    const page = player.page;
    await page.click("a[data-case-slug=starter]");
    await page.waitForSelector("[data-testid=open-button]");
    await markDocument(page);
    const opened = await openCase(page, 5);
    expect(opened.items).toHaveLength(5);
    await page.waitForSelector(".roulette");
    await page.waitForSelector("[data-testid=open-result]", { timeout: 30_000 });

    expect(await itemsUnderMarkers(page)).toEqual(opened.items.map((i) => i.itemId));
    const shown = await page.$$eval("[data-won-item-id]", (els) => els.map((el) => (el as HTMLElement).dataset.wonItemId));
    expect(shown).toEqual(opened.items.map((i) => i.itemId));
    expect(opened.balance).toBe(DEMO.playerStartingBalance - 5 * 250);
    await waitForBalance(page, opened.balance);
    await screenshot(page, "case-opened");

    await waitForBalance(playerInventory, opened.balance);
    for (const item of opened.items) await playerInventory.waitForSelector(`[data-inventory-id="${item.id}"]`, { timeout: LIVE_TIMEOUT });
    expect(await playerInventory.locator("[data-testid=inventory] > li").count()).toBe(inventoryBefore + 5);
    expect(await stillSameDocument(playerInventory)).toBe(true);
    expect(await stillSameDocument(page)).toBe(true);

    // Everyone's ticker hears about the wins.
    await admin.page.waitForFunction(() => (document.querySelector("[data-testid=drops]")?.textContent ?? "").includes("Demo Player"), null, {
      timeout: LIVE_TIMEOUT,
    });
  });

  it("player claims a cash prize and sells all skins in one tab; the TopBar balance changes in the other", async () => {
    const page = player.page;
    await page.click("a >> text=All cases");
    await page.click(`a[data-case-slug=${CASE_SLUG}]`);
    await page.waitForSelector("[data-testid=open-button]");
    const opened = await openCase(page, 1);
    const [cash] = opened.items;
    expect(cash?.kind).toBe("money");
    await page.waitForSelector("[data-testid=open-result]", { timeout: 30_000 });
    await waitForBalance(page, opened.balance);

    const row = playerInventory.locator(`[data-inventory-id="${cash?.id}"]`);
    await row.waitFor({ timeout: LIVE_TIMEOUT });
    await screenshot(playerInventory, "inventory");
    await row.locator("button").click();
    await row.waitFor({ state: "detached", timeout: LIVE_TIMEOUT });
    await waitForBalance(page, opened.balance + 400);
    await waitForBalance(playerInventory, opened.balance + 400);
    expect(await stillSameDocument(page)).toBe(true);

    // "Sell all skins" settles every skin in one request; the other tab follows. Above the browser's
    // threshold (10.00 by default) it asks first: the player says yes.
    const sold = playerInventory.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/inventory/sell"));
    const confirmSale = (dialog: Dialog) => void dialog.accept();
    playerInventory.once("dialog", confirmSale);
    await playerInventory.click("[data-testid=sell-all]");
    const sale = (await (await sold).json()) as { itemIds: string[]; balance: number };
    playerInventory.off("dialog", confirmSale);
    expect(sale.itemIds.length).toBeGreaterThan(0);
    await waitForBalance(page, sale.balance);
    await playerInventory.waitForFunction(() => document.querySelectorAll("[data-testid=inventory] .item-rarity").length === [...document.querySelectorAll("[data-testid=inventory] .item-rarity")].filter((el) => el.textContent?.includes("cash")).length);
  });

  it("shows the ledger page by page and verifies a past opening in the browser after the seed is rotated", async () => {
    const page = player.page;
    // More entries than one page (25): the history has to be walked with "Load older entries".
    for (let i = 0; i < 26; i++) await apiCall(server.url, "POST", `/api/admin/users/${playerId}/balance`, adminToken, { amount: 1, reason: `Paging ${i}` });
    // The player's entries as the admin API counts them (fewer than 100 in this suite).
    const all = await apiCall(server.url, "GET", `/api/admin/users/${playerId}/ledger?limit=100`, adminToken);
    const total = (all.body as { entries: unknown[] }).entries.length;
    expect(total).toBeGreaterThan(25);
    await page.click("nav >> text=History");
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=ledger] tbody tr").length === 25);
    const older = page.locator("text=Load older entries");
    while (await older.isVisible()) {
      const shown = await page.locator("[data-testid=ledger] tbody tr").count();
      await older.click();
      await page.waitForFunction((n) => document.querySelectorAll("[data-testid=ledger] tbody tr").length > n, shown, { timeout: LIVE_TIMEOUT });
    }
    expect(await page.locator("[data-testid=ledger] tbody tr").count()).toBe(total);
    const reasons = await page.$$eval("[data-testid=ledger] tbody tr td:nth-child(2)", (tds) => tds.map((td) => td.textContent ?? ""));
    expect(reasons.some((r) => r.includes("Claimed cash"))).toBe(true);
    expect(reasons.some((r) => r.includes("Opened a case"))).toBe(true);
    await screenshot(page, "history");

    await page.click("nav >> text=Fairness");
    await page.waitForSelector("[data-testid=server-seed-hash]");
    await page.click("text=Rotate server seed");
    await page.waitForSelector("text=Revealed seeds");
    const option = await page.locator("#verify-opening option").nth(1).getAttribute("value");
    expect(option).toBeTruthy();
    await page.selectOption("#verify-opening", option ?? "");
    await page.waitForFunction(() => (document.querySelector<HTMLInputElement>("#v-serverSeed")?.value ?? "") !== "");
    await page.click("text=Verify in my browser");
    const verdict = page.locator("[data-testid=verdict]");
    await verdict.waitFor();
    expect(await verdict.textContent()).toContain("Verified");
    await screenshot(page, "fairness");

    // Tampering with the public data must not verify. (Not the nonce: an opening of a one-item
    // case rolls 0 for every nonce, so a changed nonce can still match. A wrong hash never can.)
    await page.fill("#v-hash", "0".repeat(64));
    await page.click("text=Verify in my browser");
    await page.waitForFunction(() => document.querySelector("[data-testid=verdict]")?.textContent?.includes("Does not match"));
  });

  it("admin pages: case list with EV and RTP, deactivate and activate live, users with credit and debit", async () => {
    const page = admin.page;
    await visit(page, `${server.url}/admin`);
    await page.waitForSelector(`[data-testid=admin-cases] tr[data-case-slug=${CASE_SLUG}]`);
    await screenshot(page, "admin-cases");

    // Hiding a case takes it off the player's grid at once; showing it brings it back.
    await visit(player.page, server.url);
    await player.page.waitForSelector(`a[data-case-slug=${CASE_SLUG}]`);
    await waitForConnection(player.page, "green");
    await markDocument(player.page);
    const caseRow = page.locator(`tr[data-case-slug=${CASE_SLUG}]`);
    await caseRow.locator('button:text-is("Deactivate")').click();
    await caseRow.locator("text=Hidden").waitFor();
    await player.page.waitForSelector(`a[data-case-slug=${CASE_SLUG}]`, { state: "detached", timeout: LIVE_TIMEOUT });
    await caseRow.locator('button:text-is("Activate")').click();
    await caseRow.locator("text=Live").waitFor();
    await player.page.waitForSelector(`a[data-case-slug=${CASE_SLUG}]`, { timeout: LIVE_TIMEOUT });
    expect(await stillSameDocument(player.page)).toBe(true);

    await visit(page, `${server.url}/admin/users`);
    const row = page.locator(`[data-user-email="${DEMO.player.email}"]`);
    await row.waitFor();
    const before = await balanceText(player.page);
    await row.locator("input.amount").fill("2.50");
    await row.locator("input.reason").fill("Browser test credit");
    await row.locator("button >> text=Credit").click();
    await screenshot(page, "admin-users");
    await player.page.waitForFunction(
      (old) => document.querySelector("[data-testid=balance]")?.textContent !== old,
      before,
      { timeout: LIVE_TIMEOUT },
    );
    const me = await apiCall(server.url, "GET", "/api/admin/users?query=player", adminToken);
    const listed = (me.body as { users: { id: string; balance: number }[] }).users.find((u) => u.id === playerId);
    expect(await balanceText(player.page)).toBe(formatCents(listed?.balance ?? -1));
  });

  it("a change made after the page read it but before its sockets opened still reaches the page", async () => {
    const page = player.page;
    const template = DEMO_CASES[0];
    const created = await apiCall(server.url, "POST", "/api/admin/cases", adminToken, { ...template, name: "Gap Case", slug: "gap-case" });
    expect(created.status).toBe(201);
    await visit(page, server.url);
    await page.waitForSelector("a[data-case-slug=gap-case]");
    await waitForConnection(page, "green");

    // The reads of the next load are answered as they were, then the admin changes both, all
    // before the page opens its sockets (it opens them after these reads): no event can carry
    // the change to this page; only a read after the sockets opened can.
    // (A flag rather than `times: 1`: playwright 1.65 continued the second paused request by
    // itself once the first one-shot route was used up, and the page then read the new state.)
    let credited = 0;
    const changeAfterRead = (change: () => Promise<void>) => {
      let used = false;
      return async (route: Route) => {
        if (used) return route.continue();
        used = true;
        const response = await route.fetch();
        await change();
        await route.fulfill({ response });
      };
    };
    await page.route("**/api/cases", changeAfterRead(async () => {
      expect((await apiCall(server.url, "PATCH", "/api/admin/cases/gap-case", adminToken, { active: false })).status).toBe(200);
    }));
    await page.route("**/api/auth/me", changeAfterRead(async () => {
      const credit = await apiCall(server.url, "POST", `/api/admin/users/${playerId}/balance`, adminToken, { amount: 7, reason: "While the page was connecting" });
      expect(credit.status).toBe(201);
      credited = (credit.body as { balance: number }).balance;
    }));
    try {
      await page.reload({ waitUntil: "domcontentloaded" });
      await markDocument(page);
      await waitForConnection(page, "green");
      await page.waitForSelector("a[data-case-slug=gap-case]", { state: "detached", timeout: LIVE_TIMEOUT });
      await waitForBalance(page, credited);
      expect(await stillSameDocument(page)).toBe(true);
    } finally {
      await page.unrouteAll();
    }
  });

  it("goes red when the server stops, and green and current again when it restarts on the same port and state", async () => {
    const page = player.page;
    await visit(page, server.url);
    await page.waitForSelector("a[data-case-slug=starter]");
    await waitForConnection(page, "green");
    await markDocument(page);

    await server.stop();
    await waitForConnection(page, "red", 60_000);
    expect(await page.getAttribute("[data-testid=connection]", "title")).toMatch(/Offline/);
    await screenshot(page, "offline", false);

    await server.restart();
    // Changes made while the page was still disconnected must reach it once it reconnects.
    const credit = await apiCall(server.url, "POST", `/api/admin/users/${playerId}/balance`, adminToken, { amount: 1_23, reason: "While you were away" });
    expect(credit.status).toBe(201);
    const removed = await apiCall(server.url, "PATCH", `/api/admin/cases/${CASE_SLUG}`, adminToken, { active: false });
    expect(removed.status).toBe(200);

    await waitForConnection(page, "green", 60_000);
    await waitForBalance(page, (credit.body as { balance: number }).balance);
    await page.waitForSelector(`a[data-case-slug=${CASE_SLUG}]`, { state: "detached", timeout: LIVE_TIMEOUT });
    expect(await stillSameDocument(page)).toBe(true);
    await screenshot(page, "back-online", false);
  }, 240_000);

  it("is usable on a phone", async () => {
    const page = await player.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await visit(page, `${server.url}/case/knife-dream`);
    await page.waitForSelector("[data-testid=open-button]");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, "phone-case");
    await page.close();
  });

  it("shows the API reference from the OpenAPI document, linked from every page", async () => {
    const page = await player.context.newPage();
    await visit(page, server.url);
    await page.click(".site-footer a >> text=API reference");
    await page.waitForSelector("#getApiCases");
    expect(await page.textContent("h1")).toBe("API reference");
    await page.click("#postApiCasesIdOpen > summary");
    const open = (await page.textContent("#postApiCasesIdOpen")) ?? "";
    expect(open).toContain("/api/cases/{id}/open");
    expect(open).toContain("Idempotency-Key");
    expect(open).toMatch(/balance: integer;/);
    await screenshot(page, "api-reference");
    await page.close();
  });

  it("logs out to the public lobby and registers a new account", async () => {
    const page = player.page;
    // The first load's inventory read is held until the player has logged out: a logout while the
    // page is still loading must end signed out, not with the first load's signed-in connection
    // made after the signed-out one (a race CI hit once).
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const inventory = "**/api/inventory*";
    await page.route(inventory, async (route) => {
      await held;
      await route.continue();
    });
    const inventoryAnswered = page.waitForResponse((r) => r.url().includes("/api/inventory"));
    await visit(page, server.url);
    await page.click("button >> text=Log out");
    await page.waitForSelector("a >> text=Sign up");
    release();
    await inventoryAnswered;
    await page.unroute(inventory);
    await waitForConnection(page, "green");
    // The stale connect would follow the held answer at once; a second of watching sees it.
    for (let i = 0; i < 10; i++) {
      expect(await page.getAttribute("[data-testid=connection]", "title")).toMatch(/Account socket: not used/);
      await page.waitForTimeout(100);
    }

    await page.click("a >> text=Sign up");
    await page.fill("#email", "new-player@cyberhub.local");
    await page.fill("#displayName", "x");
    await page.fill("#password", "new-player-password");
    await page.click("form button[type=submit]");
    // The server's words, next to the field they are about.
    await page.waitForSelector("[data-error-for=displayName]");
    await page.fill("#displayName", "New Player");
    await page.click("form button[type=submit]");
    await page.waitForSelector("[data-testid=balance]");
    expect(await page.textContent("[data-testid=display-name]")).toBe("New Player");
    expect(await balanceText(page)).toBe(formatCents(0));
    await waitForConnection(page, "green");
    await page.waitForFunction(() => /Account socket: open/.test(document.querySelector("[data-testid=connection]")?.getAttribute("title") ?? ""));
  });

  it("works under the site's Content-Security-Policy: no violation on any page the two profiles used", async () => {
    // Every test above ran with the policy enforced (sockets green, roulette, editor, verifier).
    expect(player.cspViolations).toEqual([]);
    expect(admin.cspViolations).toEqual([]);

    // The policy is really in force, and the recorder hears it: an injected inline script is refused.
    const visitor = await launchProfile();
    try {
      const response = await visitor.page.goto(`${server.url}/fairness`, { waitUntil: "domcontentloaded" });
      expect(response?.headers()["content-security-policy"]).toBe(SITE_CSP);
      expect(response?.headers()["x-content-type-options"]).toBe("nosniff");
      await visitor.page.evaluate(() => {
        const script = document.createElement("script");
        script.textContent = "document.documentElement.dataset.inlineRan = '1'";
        document.body.append(script);
      });
      await expect.poll(() => visitor.cspViolations.some((v) => v.directive.startsWith("script-src"))).toBe(true);
      expect(await visitor.page.evaluate(() => document.documentElement.dataset.inlineRan)).toBeUndefined();

      // Click-jacking: another page cannot frame the site; Chromium shows its error page in the frame instead.
      await visitor.page.goto("about:blank");
      await visitor.page.setContent(`<iframe src="${server.url}/" width="400" height="300"></iframe>`);
      await expect.poll(() => visitor.page.frames().find((f) => f !== visitor.page.mainFrame())?.url()).toMatch(/^chrome-error:/);
    } finally {
      await visitor.dispose();
    }
  });
});
