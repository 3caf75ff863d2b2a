import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import * as devServer from "../../scripts/lib/dev-server.mjs";
import { computeRoll, hashServerSeed, UPGRADE_ROLL_RANGE } from "../../src/fairness/verify";
import { apiCall, browserAvailability, launchProfile, logIn, markDocument, screenshot, startSeededServer, stillSameDocument, visit } from "./harness";
import { DEMO } from "../../scripts/lib/seed-demo.mjs";

const availability = browserAvailability();
if (!availability.run) console.warn(availability.reason);

const executeLocal = devServer.executeLocal as (stateDir: string, command: string) => Promise<void>;

// How long a live update may take to show up on a loaded machine; a bound, never a measurement.
const LIVE_TIMEOUT = 30_000;

interface UpgradeBody {
  id: string;
  won: boolean;
  chance: number;
  roll: number;
  staked: { items: { id: string }[] };
  item?: { id: string; name: string };
}

/** Where the dial's pointer came to rest, in degrees clockwise from twelve o'clock, read from the layout. */
async function pointerAngle(page: Page): Promise<number> {
  return page.$eval("[data-testid=dial-pointer]", (el) => {
    const m = new DOMMatrixReadOnly(getComputedStyle(el).transform);
    return ((Math.atan2(m.b, m.a) * 180) / Math.PI + 360) % 360;
  });
}

/** Stakes the given skins for the target named `search` and returns the server's answer once the dial has stopped. */
async function upgradeInBrowser(page: Page, skinIds: string[], search: string, targetId: string): Promise<UpgradeBody> {
  for (const id of skinIds) await page.click(`[data-testid=stake-skins] [data-inventory-id="${id}"]`);
  await page.fill("[data-testid=target-search]", search);
  await page.click(`[data-target-id="${targetId}"]`);
  const answered = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/upgrader"));
  await page.click("[data-testid=upgrade-button]");
  const res = await answered;
  expect(res.status()).toBe(201);
  return (await res.json()) as UpgradeBody;
}

describe.skipIf(!availability.run)("the upgrader in a real browser", () => {
  let server: Awaited<ReturnType<typeof startSeededServer>>;
  let player: Awaited<ReturnType<typeof launchProfile>>;
  let visitor: Awaited<ReturnType<typeof launchProfile>>;
  let inventoryTab: Page;
  let skins: string[];
  let targets: { easy: string; longShot: string };
  const tag = `e2e-upg-${Date.now().toString(36)}`;

  beforeAll(async () => {
    server = await startSeededServer();
    const adminToken = server.seeded.admin.token;
    const playerToken = server.seeded.player.token;
    const playerId = server.seeded.player.user.id;
    // Two 10 € skins to stake, from a one-skin case; two targets: 12.50 € (76 %) and 900 € (1.05 %).
    const stakeBox = await apiCall(server.url, "POST", "/api/admin/cases", adminToken, {
      name: "E2E Stake Box", slug: `${tag}-stake`, imageUrl: null, price: 1, active: true,
      items: [{ name: `${tag} Stake Skin`, imageUrl: null, rarity: "restricted", value: 10_00, kind: "skin", weight: 1 }],
    });
    const targetBox = await apiCall(server.url, "POST", "/api/admin/cases", adminToken, {
      name: "E2E Targets", slug: `${tag}-targets`, imageUrl: null, price: 100, active: true,
      items: [
        { name: `${tag} Easy Target`, imageUrl: null, rarity: "classified", value: 12_50, kind: "skin", weight: 1 },
        { name: `${tag} Long Shot`, imageUrl: null, rarity: "extraordinary", value: 900_00, kind: "skin", weight: 1 },
      ],
    });
    const items = (targetBox.body as { case: { items: { id: string; name: string }[] } }).case.items;
    targets = { easy: items.find((i) => i.name.endsWith("Easy Target"))!.id, longShot: items.find((i) => i.name.endsWith("Long Shot"))!.id };
    await apiCall(server.url, "POST", `/api/admin/users/${playerId}/balance`, adminToken, { amount: 2, reason: "E2E stake skins" });
    const opened = await apiCall(server.url, "POST", `/api/cases/${(stakeBox.body as { case: { id: string } }).case.id}/open`, playerToken, { count: 2 });
    skins = (opened.body as { items: { id: string }[] }).items.map((i) => i.id);

    // A server seed the test knows (committed by its hash as usual) and a client seed under which
    // the next roll wins at 76 % and the one after loses at 1.05 %: one of each, every run.
    const fairness = (await apiCall(server.url, "GET", "/api/fairness", playerToken)).body as { active: { nextNonce: number } };
    const nonce = fairness.active.nextNonce;
    const serverSeed = `browser-test-seed-${tag}`;
    let clientSeed = "";
    for (let i = 0; !clientSeed; i++) {
      const [first, second] = [await computeRoll(serverSeed, `pick-${i}`, nonce, UPGRADE_ROLL_RANGE), await computeRoll(serverSeed, `pick-${i}`, nonce + 1, UPGRADE_ROLL_RANGE)];
      if (first < 7600 * 100 && second >= 105 * 100) clientSeed = `pick-${i}`;
    }
    await executeLocal(
      server.stateDir,
      `UPDATE server_seeds SET seed = '${serverSeed}', seed_hash = '${await hashServerSeed(serverSeed)}', client_seed = '${clientSeed}' WHERE user_id = '${playerId}' AND revealed_at IS NULL`,
    );

    [player, visitor] = await Promise.all([launchProfile(), launchProfile()]);
    await logIn(player.page, server.url, DEMO.player.email, DEMO.player.password);
    await visit(visitor.page, server.url);
  });

  afterAll(async () => {
    await Promise.allSettled([player?.dispose(), visitor?.dispose()]);
    await server?.dispose();
  });

  it("a won upgrade: the dial stops inside the chance on the server's roll, the skin moves in the other tab live, the feed hears of it after the reveal", async () => {
    inventoryTab = await player.context.newPage();
    await visit(inventoryTab, `${server.url}/inventory`);
    await inventoryTab.waitForSelector(`[data-inventory-id="${skins[0]}"]`);
    await markDocument(inventoryTab);

    const page = player.page;
    await page.click("nav >> text=Upgrader");
    await page.waitForSelector(`[data-testid=stake-skins] [data-inventory-id="${skins[0]}"]`);
    await markDocument(page);
    const won = await upgradeInBrowser(page, [skins[0]!], `${tag} Easy`, targets.easy);
    expect(won).toMatchObject({ won: true, chance: 7600 });
    // Decided, then revealed: the public feed has nothing while the dial still spins.
    await page.waitForTimeout(1_500);
    expect(await visitor.page.textContent("[data-testid=drops]")).not.toContain("Easy Target");

    await page.waitForSelector("[data-testid=upgrade-result][data-won=true]", { timeout: LIVE_TIMEOUT });
    const angle = await pointerAngle(page);
    expect(Math.abs(angle - (won.roll * 360) / UPGRADE_ROLL_RANGE)).toBeLessThan(0.01);
    expect(angle).toBeLessThan((won.chance / 10_000) * 360);
    await screenshot(page, "upgrader-won");

    await inventoryTab.waitForSelector(`[data-inventory-id="${skins[0]}"]`, { state: "detached", timeout: LIVE_TIMEOUT });
    await inventoryTab.waitForSelector(`[data-inventory-id="${won.item!.id}"]`, { timeout: LIVE_TIMEOUT });
    await page.waitForSelector(`[data-testid=stake-skins] [data-inventory-id="${won.item!.id}"]`);
    await visitor.page.waitForFunction((name) => (document.querySelector("[data-testid=drops]")?.textContent ?? "").includes(name), `${tag} Easy Target`, { timeout: LIVE_TIMEOUT });
    expect(await stillSameDocument(page)).toBe(true);
    expect(await stillSameDocument(inventoryTab)).toBe(true);
  });

  it("a lost upgrade, keyboard only: the dial stops outside the chance, the skin leaves the other tab and nothing arrives", async () => {
    const page = player.page;
    const countBefore = await inventoryTab.locator("[data-testid=inventory] > li").count();
    const stake = page.locator(`[data-testid=stake-skins] [data-inventory-id="${skins[1]}"]`);
    await stake.focus();
    await page.keyboard.press("Space");
    expect(await stake.getAttribute("aria-pressed")).toBe("true");
    await page.fill("[data-testid=target-search]", `${tag} Long`);
    const target = page.locator(`[data-target-id="${targets.longShot}"]`);
    await target.focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector("[data-testid=upgrade-button]")?.textContent?.includes("1.05 %"));
    const answered = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/upgrader"));
    await page.focus("[data-testid=upgrade-button]");
    await page.keyboard.press("Enter");
    const lost = (await (await answered).json()) as UpgradeBody;
    expect(lost).toMatchObject({ won: false, chance: 105 });
    await page.waitForSelector("[data-testid=upgrade-result][data-won=false]", { timeout: LIVE_TIMEOUT });
    const angle = await pointerAngle(page);
    expect(Math.abs(angle - (lost.roll * 360) / UPGRADE_ROLL_RANGE)).toBeLessThan(0.01);
    expect(angle).toBeGreaterThanOrEqual((lost.chance / 10_000) * 360);
    await screenshot(page, "upgrader-lost");
    await inventoryTab.waitForSelector(`[data-inventory-id="${skins[1]}"]`, { state: "detached", timeout: LIVE_TIMEOUT });
    expect(await inventoryTab.locator("[data-testid=inventory] > li").count()).toBe(countBefore - 1);
  });

  it("verifies both upgrades in the browser once the seed is revealed, and refuses a tampered hash", async () => {
    const page = player.page;
    await page.click("nav >> text=Fairness");
    await page.waitForSelector("[data-testid=server-seed-hash]");
    await page.click("text=Rotate server seed");
    await page.waitForSelector("text=Revealed seeds");
    // Reload the list of upgrades now that the seed is out.
    await visit(page, `${server.url}/fairness`);
    await page.waitForFunction(() => document.querySelectorAll("#verify-upgrade option").length === 3);
    for (const index of [1, 2]) {
      const value = await page.locator("#verify-upgrade option").nth(index).getAttribute("value");
      await page.selectOption("#verify-upgrade", value ?? "");
      await page.waitForFunction(() => (document.querySelector<HTMLInputElement>("#u-serverSeed")?.value ?? "") !== "");
      await page.click("text=Verify the upgrade in my browser");
      await page.waitForFunction(() => document.querySelector("[data-testid=upgrade-verdict]")?.textContent?.includes("Verified"));
    }
    await screenshot(page, "upgrader-verified");
    await page.fill("#u-serverSeedHash", "0".repeat(64));
    await page.click("text=Verify the upgrade in my browser");
    await page.waitForFunction(() => document.querySelector("[data-testid=upgrade-verdict]")?.textContent?.includes("Does not match"));
  });

  it("is usable on a phone", async () => {
    const page = await player.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await visit(page, `${server.url}/upgrader`);
    await page.waitForSelector("[data-testid=targets] [data-target-id]");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, "upgrader-phone");
    await page.close();
  });
});
