import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { DEMO } from "../../scripts/lib/seed-demo.mjs";
import { spinMsOf } from "../../src/site/battle-view";
import { formatCents, parseCents } from "../../src/site/money";
import type { BattleState } from "../../src/site/types";
import { outageProxy } from "../e2e/harness";
import { apiCall, browserAvailability, launchProfile, logIn, markDocument, screenshot, startSeededServer, stillSameDocument, visit } from "./harness";

const availability = browserAvailability();
if (!availability.run) console.warn(availability.reason);

// A short round so the battle takes seconds; the reels still spin three quarters of it.
const ROUND_MS = 3_000;
const ROUNDS = 3;
// How long a live update may take to show up on a loaded machine; a bound, never a measurement.
const LIVE_TIMEOUT = 30_000;

interface Landing {
  seat: number;
  round: number;
  itemId: string;
  /** Wall clock (the same for every page on this machine) when the page showed the reel at rest. */
  at: number;
}

/**
 * Records in the page, on the wall clock, every time a seat column says its reel stopped on a round
 * (data-landed-round / data-landed-item, set when the round's reels come to rest).
 */
async function recordLandings(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __landings: Landing[] };
    w.__landings = [];
    const look = () => {
      for (const el of document.querySelectorAll<HTMLElement>("[data-landed-round]")) {
        const round = Number(el.dataset.landedRound);
        const seat = Number(el.dataset.seat);
        if (round > 0 && !w.__landings.some((l) => l.seat === seat && l.round === round)) {
          w.__landings.push({ seat, round, itemId: el.dataset.landedItem ?? "", at: Date.now() });
        }
      }
    };
    look();
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-landed-round"] });
  });
}

const landings = (page: Page): Promise<Landing[]> => page.evaluate(() => (window as unknown as { __landings: Landing[] }).__landings);

/** An anonymous call (no bearer header at all), one connection per call like apiCall. */
async function publicCall<T>(baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { "content-type": "application/json", connection: "close" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function waitForBalance(page: Page, cents: number): Promise<void> {
  await page.waitForFunction((text) => document.querySelector("[data-testid=balance]")?.textContent === text, formatCents(cents), { timeout: LIVE_TIMEOUT });
}

async function balanceOf(page: Page): Promise<number> {
  const cents = parseCents((await page.textContent("[data-testid=balance]")) ?? "");
  if (cents === null) throw new Error("no balance shown");
  return cents;
}

/** Fills the create form with these case slugs, one round each, and submits it; returns the server's answer. */
async function createBattle(page: Page, slugs: string[], options: { private?: boolean } = {}) {
  await page.click("nav >> text=Battles");
  await page.click("[data-testid=create-battle]");
  await page.waitForSelector("[data-testid=case-picker] [data-case-slug=starter]");
  for (const slug of slugs) await page.click(`[data-testid=case-picker] [data-case-slug="${slug}"]`);
  if (options.private) await page.check("#battle-private");
  const answered = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/battles"));
  await page.click("[data-testid=create-submit]");
  return answered;
}

/** Creates a battle through the form (201) and waits until its room is the page; returns its id. */
async function openNewBattle(page: Page, slugs: string[], options: { private?: boolean } = {}): Promise<string> {
  const res = await createBattle(page, slugs, options);
  expect(res.status()).toBe(201);
  const battleId = ((await res.json()) as { battle: BattleState }).battle.id;
  await page.waitForURL(`**/battles/${battleId}`);
  return battleId;
}

describe.skipIf(!availability.run)("case battles in real browsers", () => {
  let server: Awaited<ReturnType<typeof startSeededServer>>;
  let ann: Awaited<ReturnType<typeof launchProfile>>;
  let bob: Awaited<ReturnType<typeof launchProfile>>;
  const tag = `e2e-battle-${Date.now().toString(36)}`;
  const bobAccount = { email: `${tag}@cyberhub.local`, password: "bob-battle-password", displayName: "Bob Battler" };

  beforeAll(async () => {
    server = await startSeededServer({ vars: { BATTLE_ROUND_MS: String(ROUND_MS) } });
    const reg = await publicCall<{ user: { id: string } }>(server.url, "POST", "/api/auth/register", bobAccount);
    expect(reg.status).toBe(201);
    const bobId = reg.body.user.id;
    const credit = await apiCall(server.url, "POST", `/api/admin/users/${bobId}/balance`, server.seeded.admin.token, { amount: 50_00, reason: "E2E battle stake" });
    expect(credit.status).toBe(201);
    [ann, bob] = await Promise.all([launchProfile(), launchProfile()]);
    await logIn(ann.page, server.url, DEMO.player.email, DEMO.player.password);
    await logIn(bob.page, server.url, bobAccount.email, bobAccount.password);
  });

  afterAll(async () => {
    await Promise.allSettled([ann?.dispose(), bob?.dispose()]);
    await server?.dispose();
  });

  it("two players battle 1v1 over 3 rounds: the lobby lists it live, both rooms stop on the same items together, a late tab catches up, the winner's inventory grows live, the verifier confirms every roll", async () => {
    // Each player keeps an inventory tab open: the winner's must grow without a reload.
    const [annInventory, bobInventory] = await Promise.all([ann.context.newPage(), bob.context.newPage()]);
    await Promise.all([visit(annInventory, `${server.url}/inventory`), visit(bobInventory, `${server.url}/inventory`)]);
    // Loaded and live (Bob's is empty, so the list is there but not visible).
    for (const tab of [annInventory, bobInventory]) {
      await tab.waitForSelector("[data-testid=inventory][aria-busy=false]", { state: "attached" });
      await tab.waitForSelector("[data-testid=connection][data-state=open]");
    }
    await Promise.all([markDocument(annInventory), markDocument(bobInventory)]);

    // Bob waits in the lobby; the battle must appear there live.
    await bob.page.click("nav >> text=Battles");
    await bob.page.waitForSelector("h1:has-text('Case battles')");
    await markDocument(bob.page);

    // Ann creates it through the form: Starter, Starter, Cash Rush (2.50 + 2.50 + 5.00 €).
    const page = ann.page;
    await page.click("nav >> text=Battles");
    await page.click("[data-testid=create-battle]");
    await page.waitForSelector("[data-testid=case-picker] [data-case-slug=starter]");
    await page.click("[data-testid=case-picker] [data-case-slug=starter]");
    await page.click("[data-testid=case-picker] [data-case-slug=cash-rush]");
    await page.click("[data-testid=case-picker] [data-case-slug=starter]");
    // Reorder: the Cash Rush round goes last.
    await page.click("button[aria-label='Move round 2 down']");
    expect(await page.$$eval("[data-testid=round-list] .round-name", (els) => els.map((e) => e.textContent))).toEqual(["Starter Case", "Starter Case", "Cash Rush"]);
    expect(await page.textContent("[data-testid=battle-entry]")).toContain(formatCents(10_00));
    await page.check("input[name=format][value='1v1']");
    await page.check("input[name=mode][value=classic]");
    const created = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/battles"));
    await page.click("[data-testid=create-submit]");
    const createRes = await created;
    expect(createRes.status()).toBe(201);
    expect(createRes.request().headers()["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
    const battleId = ((await createRes.json()) as { battle: BattleState }).battle.id;
    await page.waitForURL(`**/battles/${battleId}`);
    await page.waitForSelector("[data-testid=seat-1] .seat-name:has-text('Demo Player')");
    await waitForBalance(page, DEMO.playerStartingBalance - 10_00);
    await recordLandings(page);

    // Live in Bob's lobby, without a reload; he opens the room from there.
    const row = `[data-testid=waiting-battles] [data-battle-id="${battleId}"]`;
    await bob.page.waitForSelector(row, { timeout: LIVE_TIMEOUT });
    expect(await stillSameDocument(bob.page)).toBe(true);
    expect(await bob.page.textContent(row)).toContain(formatCents(10_00));
    await bob.page.click(`${row} a`);
    await bob.page.waitForSelector("[data-testid=join-seat-2]");
    await recordLandings(bob.page);
    await screenshot(bob.page, "battle-waiting");

    const joined = bob.page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith(`/api/battles/${battleId}/join`));
    await bob.page.click("[data-testid=join-seat-2]");
    const joinRes = await joined;
    expect(joinRes.status()).toBe(200);
    expect(joinRes.request().headers()["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
    await waitForBalance(bob.page, 50_00 - 10_00);

    // The battle runs. Ann's page learns of the join and the start over the socket only.
    await page.waitForSelector("[data-testid=seat-2] .seat-name:has-text('Bob Battler')", { timeout: LIVE_TIMEOUT });
    // Once round 1 is at rest on Ann's page, a fresh tab opens the room mid-battle.
    await page.waitForSelector("[data-testid=seat-1][data-landed-round='1']", { timeout: LIVE_TIMEOUT });
    const late = await ann.context.newPage();
    await visit(late, `${server.url}/battles/${battleId}`);
    await late.waitForSelector("[data-testid=seat-2][data-landed-round]:not([data-landed-round='0'])");
    await recordLandings(late);
    const lateStart = { status: await late.getAttribute(".battle-room", "data-status"), landed: Number(await late.getAttribute("[data-testid=seat-1]", "data-landed-round")) };
    console.log("the late tab first showed:", lateStart);
    await screenshot(page, "battle-running", false);

    for (const p of [page, bob.page, late]) await p.waitForSelector("[data-testid=winner-banner]", { timeout: LIVE_TIMEOUT });
    await screenshot(page, "battle-finished");

    // What the server says, now that everything is revealed.
    const { battle } = (await publicCall<{ battle: BattleState }>(server.url, "GET", `/api/battles/${battleId}`)).body;
    expect(battle.status).toBe("finished");
    expect(battle.revealed).toHaveLength(ROUNDS);

    // Both rooms stopped every reel on the server's item, within one round of each other, and
    // none before the round's reveal time plus its spin (no spoiler: a reel never rests early).
    const [a, b] = [await landings(page), await landings(bob.page)];
    const spin = spinMsOf(battle.roundMs);
    expect(battle.roundMs).toBe(ROUND_MS);
    for (const round of battle.revealed) {
      for (const result of round.results) {
        const onA = a.find((l) => l.round === round.round && l.seat === result.seat);
        const onB = b.find((l) => l.round === round.round && l.seat === result.seat);
        expect(onA?.itemId, `Ann's reel, round ${round.round} seat ${result.seat}`).toBe(result.item.id);
        expect(onB?.itemId, `Bob's reel, round ${round.round} seat ${result.seat}`).toBe(result.item.id);
        expect(Math.abs((onA?.at ?? Infinity) - (onB?.at ?? -Infinity)), `round ${round.round} stopped together`).toBeLessThan(battle.roundMs);
        expect(onA?.at ?? 0).toBeGreaterThanOrEqual(round.revealedAt + spin - 50);
        expect(onB?.at ?? 0).toBeGreaterThanOrEqual(round.revealedAt + spin - 50);
      }
    }
    console.log("reel stop skew between the two rooms (ms):", battle.revealed.map((r) => Math.abs((a.find((l) => l.round === r.round)?.at ?? 0) - (b.find((l) => l.round === r.round)?.at ?? 0))));
    // The late tab ends with every round too, on the same items; when it arrived mid-battle (the
    // usual case: how fast it loads depends on the machine's load) the rest reached it live.
    for (const seat of [1, 2]) {
      const items = await late.$$eval(`[data-testid=seat-${seat}] .seat-items > li`, (els) => els.map((e) => e.getAttribute("data-item-id")));
      expect(items).toEqual(battle.revealed.map((r) => r.results.find((x) => x.seat === seat)?.item.id));
    }
    if (lateStart.status === "running" && lateStart.landed < ROUNDS) {
      const live = (await landings(late)).filter((x) => x.round > lateStart.landed);
      expect(live.map((x) => x.round).sort(), "the rounds after the late tab arrived came live").toEqual(
        Array.from({ length: ROUNDS - lateStart.landed }, (_, i) => [lateStart.landed + i + 1, lateStart.landed + i + 1]).flat(),
      );
    }

    // The totals and the banner agree with the server.
    for (const t of battle.totals) expect(await bob.page.textContent(`[data-testid=seat-${t.seat}-total]`)).toBe(formatCents(t.total));
    const winner = battle.winner;
    expect(winner).not.toBeNull();
    const winnerSeats = winner?.seats ?? [];
    expect(await page.getAttribute("[data-testid=winner-banner]", "data-winner-seats")).toBe(winnerSeats.join(","));
    expect(battle.awards).toHaveLength(ROUNDS * 2);

    // Every item lands in the winner's open inventory tab, live; none in the loser's.
    const [winnerTab, loserTab] = winnerSeats.includes(1) ? [annInventory, bobInventory] : [bobInventory, annInventory];
    for (const award of battle.awards) {
      expect(award.inventoryId).not.toBeNull();
      await winnerTab.waitForSelector(`[data-testid=inventory] [data-inventory-id="${award.inventoryId}"]`, { timeout: LIVE_TIMEOUT });
      expect(await loserTab.$(`[data-inventory-id="${award.inventoryId}"]`)).toBeNull();
    }
    expect(await stillSameDocument(winnerTab)).toBe(true);
    expect(await page.$$eval("[data-testid=battle-awards] > li", (els) => els.length)).toBe(ROUNDS * 2);

    // The verifier recomputes every roll in the browser from the revealed seed.
    expect(await page.textContent("[data-testid=battle-server-seed]")).toBe(battle.fairness.serverSeed);
    for (const p of [page, bob.page]) {
      await p.click("[data-testid=verify-battle]");
      await p.waitForSelector("[data-testid=battle-verdict]");
      expect(await p.getAttribute("[data-testid=battle-verdict]", "data-fair")).toBe("true");
      expect(await p.textContent("[data-testid=battle-verdict]")).toContain(`Rolls recomputed: ${ROUNDS * 2}, every one as shown`);
    }
    await screenshot(bob.page, "battle-verified");

    // One h1 per page, and no CSP violation anywhere.
    for (const p of [page, bob.page, late]) expect(await p.$$eval("h1", (els) => els.length)).toBe(1);
    expect([...ann.cspViolations, ...bob.cspViolations]).toEqual([]);
  });

  it("the create form shows the API's refusal and charges nothing; a private battle is link-only, cancelled with a live refund; bots fill a battle", async () => {
    // Bob asks for more than he has: the server's refusal shows on the form, nothing changes.
    const bobBefore = await balanceOf(bob.page);
    const refused = await createBattle(bob.page, ["knife-dream", "knife-dream", "knife-dream", "knife-dream"]);
    expect(refused.status()).toBe(422);
    const error = await bob.page.waitForSelector("[data-testid=create-error]");
    expect(await error.textContent()).toMatch(/balance/i);
    expect(new URL(bob.page.url()).pathname).toBe("/battles/new");
    expect(await balanceOf(bob.page)).toBe(bobBefore);
    await bob.page.click("nav >> text=Battles");
    await bob.page.waitForSelector("h1:has-text('Case battles')");

    // Ann's private battle: a link to share, never in the lobby; she cancels it and is refunded live.
    const page = ann.page;
    const annBefore = await balanceOf(page);
    const privateId = await openNewBattle(page, ["starter"], { private: true });
    expect(await page.inputValue("[data-testid=share-link]")).toBe(`${server.url}/battles/${privateId}`);
    await waitForBalance(page, annBefore - 2_50);
    await page.click("[data-testid=cancel-battle]");
    await page.waitForSelector(".battle-room[data-status=cancelled]", { timeout: LIVE_TIMEOUT });
    await waitForBalance(page, annBefore);

    // A public one filled with bots starts at once and is played out to its winner.
    const botId = await openNewBattle(page, ["starter"]);
    await bob.page.waitForSelector(`[data-battle-id="${botId}"]`, { timeout: LIVE_TIMEOUT });
    await page.click("[data-testid=fill-bots]");
    await page.waitForSelector("[data-testid=seat-2] .badge:has-text('Bot')", { timeout: LIVE_TIMEOUT });
    await page.waitForSelector("[data-testid=winner-banner]", { timeout: LIVE_TIMEOUT });
    expect(await page.$$eval("[data-testid=battle-awards] > li", (els) => els.length)).toBe(2);
    await page.click("[data-testid=verify-battle]");
    expect(await (await page.waitForSelector("[data-testid=battle-verdict]")).getAttribute("data-fair")).toBe("true");
    // The private battle never reached the lobby; the finished one left it live.
    await bob.page.waitForSelector(`[data-battle-id="${botId}"]`, { state: "detached", timeout: LIVE_TIMEOUT });
    expect(await bob.page.$(`[data-battle-id="${privateId}"]`)).toBeNull();
    expect(await stillSameDocument(bob.page)).toBe(true);
  });

  it("a player's network drops mid-battle: his room resumes by itself, without a reload, and shows what it missed and the rest", async () => {
    // Bob reaches the server through a pass-through that can cut him off; Ann does not.
    const proxy = await outageProxy(Number(new URL(server.url).port));
    try {
      const page = ann.page;
      const battleId = await openNewBattle(page, ["starter", "cash-rush", "starter"]);
      await visit(bob.page, `${proxy.url}/battles/${battleId}`);
      await bob.page.waitForSelector("[data-testid=connection][data-state=open]");
      await markDocument(bob.page);
      await bob.page.click("[data-testid=join-seat-2]");

      await bob.page.waitForSelector("[data-testid=seat-2][data-landed-round='1']", { timeout: LIVE_TIMEOUT });
      proxy.down();
      await bob.page.waitForSelector("[data-testid=connection]:not([data-state=open])", { timeout: LIVE_TIMEOUT });
      // The battle goes on without him: round 2 stops on Ann's page while Bob is cut off.
      await page.waitForSelector("[data-testid=seat-2][data-landed-round='2']", { timeout: LIVE_TIMEOUT });
      expect(await bob.page.getAttribute("[data-testid=seat-2]", "data-landed-round")).toBe("1");
      proxy.up();

      await bob.page.waitForSelector("[data-testid=winner-banner]", { timeout: 90_000 });
      await page.waitForSelector("[data-testid=winner-banner]", { timeout: LIVE_TIMEOUT });
      const { battle } = (await publicCall<{ battle: BattleState }>(server.url, "GET", `/api/battles/${battleId}`)).body;
      expect(await stillSameDocument(bob.page)).toBe(true);
      for (const seat of [1, 2]) {
        const items = await bob.page.$$eval(`[data-testid=seat-${seat}] .seat-items > li`, (els) => els.map((e) => e.getAttribute("data-item-id")));
        expect(items).toEqual(battle.revealed.map((r) => r.results.find((x) => x.seat === seat)?.item.id));
      }
      for (const t of battle.totals) expect(await bob.page.textContent(`[data-testid=seat-${t.seat}-total]`)).toBe(formatCents(t.total));
      expect(await bob.page.getAttribute("[data-testid=winner-banner]", "data-winner-seats")).toBe(battle.winner?.seats.join(","));
    } finally {
      await proxy.close();
    }
  }, 240_000);

  // The restart the "done when" names: a room woken by its alarm after a restart has no
  // name (ctx.id.name), and the battle used to stop there for good; it keeps its battle's id now.
  it("a server restart mid-battle: both rooms come back by themselves, without a reload, and end on the server's rounds and winner", async () => {
    const page = ann.page;
    const battleId = await openNewBattle(page, ["starter", "starter", "starter"]);
    await visit(bob.page, `${server.url}/battles/${battleId}`);
    await bob.page.click("[data-testid=join-seat-2]");
    for (const p of [page, bob.page]) await markDocument(p);

    // The runtime goes away once round 1 is at rest, and comes back on the same port and state.
    await page.waitForSelector("[data-testid=seat-1][data-landed-round='1']", { timeout: LIVE_TIMEOUT });
    await server.stop();
    for (const p of [page, bob.page]) await p.waitForSelector("[data-testid=connection]:not([data-state=open])", { timeout: LIVE_TIMEOUT });
    await server.restart();
    console.log("restarted at", new Date().toISOString());

    try {
      for (const p of [page, bob.page]) await p.waitForSelector("[data-testid=winner-banner]", { timeout: 150_000 });
    } finally {
      await screenshot(page, "battle-after-restart-ann");
      await screenshot(bob.page, "battle-after-restart-bob");
      console.log("ann's room:", await page.getAttribute(".battle-room", "data-status"), await page.getAttribute("[data-testid=connection]", "title"));
      console.log("server says:", JSON.stringify((await publicCall<{ battle: BattleState }>(server.url, "GET", `/api/battles/${battleId}`)).body.battle.status));
    }
    const { battle } = (await publicCall<{ battle: BattleState }>(server.url, "GET", `/api/battles/${battleId}`)).body;
    expect(battle.status).toBe("finished");
    for (const p of [page, bob.page]) {
      expect(await stillSameDocument(p)).toBe(true);
      for (const seat of [1, 2]) {
        const items = await p.$$eval(`[data-testid=seat-${seat}] .seat-items > li`, (els) => els.map((e) => e.getAttribute("data-item-id")));
        expect(items).toEqual(battle.revealed.map((r) => r.results.find((x) => x.seat === seat)?.item.id));
      }
      expect(await p.getAttribute("[data-testid=winner-banner]", "data-winner-seats")).toBe(battle.winner?.seats.join(","));
      await p.click("[data-testid=verify-battle]");
      expect(await (await p.waitForSelector("[data-testid=battle-verdict]")).getAttribute("data-fair")).toBe("true");
    }
  }, 300_000);
});
