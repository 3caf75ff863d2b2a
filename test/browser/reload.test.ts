// Issue #11: on a direct load or reload of a case page, the TopBar must show the logged-in player
// (name and balance), never "Log in / Sign up", once the page under it shows the open controls.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { DEMO } from "../../scripts/lib/seed-demo.mjs";
import { formatCents } from "../../src/site/money";
import { browserAvailability, launchProfile, logIn, startSeededServer, visit } from "./harness";

const availability = browserAvailability();
const RELOADS = 20;
const HOUR = 3_600_000;

/** What the TopBar says once the case page has its open controls, read in one go. */
async function chromeWithOpenControls(page: Page) {
  await page.waitForSelector("[data-testid=open-button]");
  return page.evaluate(() => {
    const right = document.querySelector(".topbar-right");
    return {
      name: right?.querySelector("[data-testid=display-name]")?.textContent ?? null,
      balance: right?.querySelector("[data-testid=balance]")?.textContent ?? null,
      links: [...(right?.querySelectorAll("a") ?? [])].map((a) => a.textContent ?? ""),
    };
  });
}

/**
 * A reload whose first frame comes only after the server has answered who is logged in: the
 * page's timers and animation frames (hence preact's effects) are held until the site has
 * asked for the inventory, which it does right after it stored the session. On a fast server
 * or a busy device this order happens by itself; here it happens every time.
 */
async function reloadWithLateFirstFrame(page: Page, load: number): Promise<void> {
  await page.clock.pauseAt(Date.now() + HOUR * (load + 1));
  const sessionStored = page.waitForRequest((r) => new URL(r.url()).pathname === "/api/inventory");
  await page.reload({ waitUntil: "domcontentloaded" });
  await sessionStored;
  // One second of page time: every pending frame and effect runs, then the case loads.
  await page.clock.runFor(1_000);
}

describe.skipIf(!availability.run)("the TopBar after a reload", () => {
  let server: Awaited<ReturnType<typeof startSeededServer>>;
  let player: Awaited<ReturnType<typeof launchProfile>>;

  beforeAll(async () => {
    server = await startSeededServer();
    player = await launchProfile();
    await logIn(player.page, server.url, DEMO.player.email, DEMO.player.password);
  });

  afterAll(async () => {
    await player?.dispose();
    await server?.dispose();
  });

  it(`shows the player, never "Log in", on a direct load and ${RELOADS} reloads of a case page`, async () => {
    const page = player.page;
    const expected = { name: DEMO.player.displayName, balance: formatCents(DEMO.playerStartingBalance), links: [] };
    await page.clock.install();
    await visit(page, `${server.url}/case/starter`);
    const seen = [{ load: 0, how: "direct", ...(await chromeWithOpenControls(page)) }];
    // Every other reload with the late first frame, the rest as the machine happens to run them.
    for (let load = 1; load <= RELOADS; load++) {
      const late = load % 2 === 1;
      if (late) await reloadWithLateFirstFrame(page, load);
      else await page.reload({ waitUntil: "domcontentloaded" });
      seen.push({ load, how: late ? "late first frame" : "reload", ...(await chromeWithOpenControls(page)) });
      if (late) await page.clock.resume();
    }
    const wrong = seen.filter((c) => c.name !== expected.name || c.balance !== expected.balance || c.links.length > 0);
    expect(wrong, `${wrong.length} of ${seen.length} loads showed the wrong TopBar`).toEqual([]);
  });
});
