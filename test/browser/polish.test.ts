import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { DEMO } from "../../scripts/lib/seed-demo.mjs";
import { browserAvailability, launchProfile, logIn, startSeededServer, visit } from "./harness";

const availability = browserAvailability();
if (!availability.run) console.warn(availability.reason);

const AXE_SOURCE: string = (createRequire(import.meta.url)("axe-core") as { source: string }).source;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/**
 * Runs axe-core in the page. Evaluated over the DevTools protocol, which the page's CSP (no inline
 * script) does not govern, so the policy stays on for the test. Serious and critical only.
 */
async function seriousViolations(page: Page): Promise<string[]> {
  // A drop fading into the ticker is mid-animation, not a colour: the page is judged as a user who
  // asked for reduced motion sees it (the site honours that), so a drop landing while axe runs shows
  // in its own colours at once; and once the animations already running have finished.
  await page.emulateMedia({ reducedMotion: "reduce" });
  let violations: AxeViolation[];
  try {
    await page.evaluate(() => Promise.all(document.getAnimations().filter((a) => a.effect?.getTiming().iterations !== Infinity).map((a) => a.finished.catch(() => undefined))));
    await page.evaluate(AXE_SOURCE);
    violations = await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
      return (await axe.run(document, { resultTypes: ["violations"] })).violations;
    });
  } finally {
    await page.emulateMedia({ reducedMotion: null });
  }
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => `${n.target.join(" ")}${n.failureSummary ? ` [${n.failureSummary.replace(/\s+/g, " ")}]` : ""}`).join("; ")}`);
}

/** A page has loaded what it shows: its h1, nothing busy, no "Loading…" left in it. */
async function settled(page: Page, ready?: string): Promise<void> {
  await page.waitForSelector("main h1");
  if (ready) await page.waitForSelector(ready);
  await page.waitForFunction(() => !document.querySelector("main [aria-busy=true]") && !/Loading…/.test(document.querySelector("main")?.textContent ?? ""));
}

async function headingsOne(page: Page): Promise<number> {
  return page.locator("h1").count();
}

describe.skipIf(!availability.run)("the site for everyone: statuses, words and accessibility", () => {
  let server: Awaited<ReturnType<typeof startSeededServer>>;
  let visitor: Awaited<ReturnType<typeof launchProfile>>;
  let player: Awaited<ReturnType<typeof launchProfile>>;
  let admin: Awaited<ReturnType<typeof launchProfile>>;

  beforeAll(async () => {
    server = await startSeededServer();
    [visitor, player, admin] = await Promise.all([launchProfile(), launchProfile(), launchProfile()]);
  });

  afterAll(async () => {
    await Promise.allSettled([visitor?.dispose(), player?.dispose(), admin?.dispose()]);
    await server?.dispose();
  });

  it("an unknown path is a 404 that says 'Page not found' (logged out too), a page of the site is a 200", async () => {
    const page = visitor.page;
    const missing = await page.goto(`${server.url}/no-such-page`, { waitUntil: "domcontentloaded" });
    expect(missing?.status()).toBe(404);
    await page.waitForSelector("[data-testid=not-found]");
    expect(await page.textContent("main h1")).toBe("Page not found");
    expect(await page.locator("text=Log in to see this page").count()).toBe(0);
    expect(await page.title()).toBe("Page not found · CyberHub");
    await page.click("text=Back to the cases");
    await page.waitForSelector("[data-testid=case-grid]");

    for (const path of ["/", "/login", "/inventory", "/case/starter", "/admin/cases/new"]) {
      const res = await page.goto(`${server.url}${path}`, { waitUntil: "domcontentloaded" });
      expect([path, res?.status()]).toEqual([path, 200]);
    }
    const deep = await page.goto(`${server.url}/case/starter/extra`, { waitUntil: "domcontentloaded" });
    expect(deep?.status()).toBe(404);
    await page.waitForSelector("[data-testid=not-found]");
  });

  it("sign-up errors name what is missing, at the top and under each field", async () => {
    const page = visitor.page;
    await visit(page, `${server.url}/register`);
    await page.click("form button[type=submit]");
    const summary = page.locator(".form-error");
    await summary.waitFor();
    expect(await summary.textContent()).toBe("Email is required. Password is required. Display name is required.");
    expect(await page.textContent("[data-error-for=displayName]")).toBe("Display name is required");
    expect(await page.textContent("[data-error-for=email]")).toBe("Email is required");

    await page.fill("#email", "someone@example.test");
    await page.fill("#displayName", "Someone");
    await page.fill("#password", "short");
    await page.click("form button[type=submit]");
    await page.waitForFunction(() => document.querySelector(".form-error")?.textContent === "Password must be at least 8 characters.");
    expect(await page.locator("[data-error-for=displayName]").count()).toBe(0);
    expect(await page.textContent("[data-error-for=password]")).toBe("Password must be at least 8 characters");
  });

  describe("the case page and the inventory, as a player", () => {
    let adminToken = "";
    const useCase = async (path = "/case/starter") => {
      const page = player.page;
      if (!(await page.locator("[data-testid=balance]").count())) await logIn(page, server.url, DEMO.player.email, DEMO.player.password);
      await visit(page, `${server.url}${path}`);
      await page.waitForSelector("[data-testid=case-items] li");
      await page.waitForSelector("[data-testid=connection][data-state=open]");
      return page;
    };
    const openCount = async (page: Page, count: number) => {
      await page.click(`.count-picker button:nth-child(${count})`);
      const answer = page.waitForResponse((r) => r.request().method() === "POST" && /\/api\/cases\/[^/]+\/open$/.test(r.url()));
      await page.click("[data-testid=open-button]");
      const res = await answer;
      expect(res.status()).toBe(201);
      return (await res.json()) as { items: { id: string; itemId: string }[] };
    };
    const setToggle = async (page: Page, testid: string, on: boolean) => {
      if ((await page.isChecked(`[data-testid=${testid}]`)) !== on) await page.click(`[data-testid=${testid}]`);
    };
    const inViewport = (page: Page, selector: string) =>
      page.$eval(selector, (el) => {
        const r = el.getBoundingClientRect();
        return r.top >= 0 && r.top < window.innerHeight;
      });

    beforeAll(async () => {
      const res = await fetch(`${server.url}/api/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json", connection: "close" },
        body: JSON.stringify({ email: DEMO.admin.email, password: DEMO.admin.password }),
      });
      adminToken = ((await res.json()) as { token: string }).token;
    });

    it("×5 keeps the reels compact and brings the result into view, on a desktop and on a phone", async () => {
      for (const viewport of [{ width: 1920, height: 1080 }, { width: 390, height: 844 }]) {
        const page = await useCase();
        await page.setViewportSize(viewport);
        await setToggle(page, "fast-open-toggle", false);
        await openCount(page, 5);
        await page.waitForSelector(".roulettes.multi");
        expect(await inViewport(page, ".roulettes"), `${viewport.width}: reels on screen`).toBe(true);
        const reels = await page.locator(".roulettes").boundingBox();
        expect(reels?.height ?? 9999).toBeLessThan(400);
        await page.waitForSelector("[data-testid=open-result]", { timeout: 30_000 });
        await page.waitForFunction(() => {
          const r = document.querySelector("[data-testid=open-result] h2")?.getBoundingClientRect();
          return !!r && r.top >= 0 && r.bottom <= window.innerHeight;
        });
        expect(await page.evaluate(() => document.activeElement?.closest("[data-testid=open-result]") !== null)).toBe(true);
      }
      await player.page.setViewportSize({ width: 1280, height: 860 });
    });

    it("fast open is remembered, shortens the reel, and the drop still waits for the reveal before the feed shows it", async () => {
      let page = await useCase();
      await setToggle(page, "fast-open-toggle", true);
      page = await useCase();
      expect(await page.isChecked("[data-testid=fast-open-toggle]")).toBe(true);
      const opened = await openCount(page, 1);
      const dropId = opened.items[0]!.id;
      await page.waitForSelector(".roulette-track");
      expect(await page.$eval(".roulette-track", (el) => (el as HTMLElement).style.transition)).toMatch(/600ms/);
      await page.waitForSelector("[data-testid=open-result]", { timeout: 30_000 });
      // The reel stopped early for this player, but the lobby is told only at the reveal (REVEAL_MS).
      expect(await page.locator(`[data-drop-id="${dropId}"]`).count()).toBe(0);
      await page.waitForSelector(`[data-drop-id="${dropId}"]`, { state: "attached", timeout: 30_000 });
      await setToggle(page, "fast-open-toggle", false);
    });

    it("sound is off by default, remembered when on, and ticks and chimes through WebAudio (no audio file fetched)", async () => {
      await player.context.addInitScript(() => {
        const counted = globalThis as unknown as { __tones: number; AudioContext: typeof AudioContext };
        counted.__tones = 0;
        const Original = counted.AudioContext;
        counted.AudioContext = class extends Original {
          override createOscillator(): OscillatorNode {
            counted.__tones++;
            return super.createOscillator();
          }
        };
      });
      const audioFiles: string[] = [];
      player.page.on("request", (r) => void (r.resourceType() === "media" || /\.(mp3|ogg|wav|m4a)$/.test(r.url()) ? audioFiles.push(r.url()) : undefined));
      let page = await useCase();
      expect(await page.isChecked("[data-testid=sound-toggle]")).toBe(false);
      const tones = () => page.evaluate(() => (globalThis as unknown as { __tones: number }).__tones);
      await openCount(page, 1);
      await page.waitForSelector("[data-testid=open-result]", { timeout: 30_000 });
      expect(await tones()).toBe(0);

      await setToggle(page, "sound-toggle", true);
      page = await useCase();
      expect(await page.isChecked("[data-testid=sound-toggle]")).toBe(true);
      await openCount(page, 1);
      await page.waitForSelector("[data-testid=open-result]", { timeout: 30_000 });
      expect(await tones()).toBeGreaterThan(3);
      await setToggle(page, "sound-toggle", false);
      expect(audioFiles).toEqual([]);
    });

    it("an admin hiding the case mid-spin does not redraw or replace the reel: it stops and shows what was won", async () => {
      const page = await useCase();
      const caseId = await page.getAttribute("[data-case-id]", "data-case-id");
      const opened = await openCount(page, 1);
      await page.waitForSelector(".roulette-tile");
      const tiles = () => page.$$eval(".roulette-tile", (els) => els.map((el) => (el as HTMLElement).dataset.itemId));
      const before = await tiles();
      try {
        const hidden = await fetch(`${server.url}/api/admin/cases/${caseId}`, {
          method: "PATCH",
          headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json", connection: "close" },
          body: JSON.stringify({ active: false }),
        });
        expect(hidden.status).toBe(200);
        await page.waitForSelector("text=This case is not available any more.");
        expect(await tiles()).toEqual(before);
        await page.waitForSelector("[data-testid=open-result]", { timeout: 30_000 });
        expect(await page.locator(`[data-testid=open-result] [data-item-id="${opened.items[0]!.itemId}"], [data-testid=open-result]`).count()).toBeGreaterThan(0);
        expect(await page.locator(".roulette-tile.landed").getAttribute("data-item-id")).toBe(opened.items[0]!.itemId);
        expect(await page.locator("[data-testid=open-button]").count()).toBe(0);
      } finally {
        await fetch(`${server.url}/api/admin/cases/${caseId}`, {
          method: "PATCH",
          headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json", connection: "close" },
          body: JSON.stringify({ active: true }),
        });
      }
    });

    it("'Sell all' asks first above the remembered threshold, and selling nothing when declined", async () => {
      const page = player.page;
      await visit(page, `${server.url}/inventory`);
      await page.waitForSelector("[data-testid=inventory][aria-busy=false]");
      expect(await page.inputValue("[data-testid=sell-all-threshold]")).toBe("10.00");
      await page.fill("[data-testid=sell-all-threshold]", "0.00");
      await visit(page, `${server.url}/inventory`);
      await page.waitForSelector("[data-testid=inventory][aria-busy=false]");
      expect(await page.inputValue("[data-testid=sell-all-threshold]")).toBe("0.00");
      await page.waitForSelector("[data-testid=sell-all]:not([disabled])");
      const sells: string[] = [];
      page.on("request", (r) => void (r.url().endsWith("/api/inventory/sell") ? sells.push(r.url()) : undefined));
      const asked = new Promise<string>((resolve) => page.once("dialog", (dialog) => void dialog.dismiss().then(() => resolve(dialog.message()))));
      await page.click("[data-testid=sell-all]");
      expect(await asked).toMatch(/^Sell all \d+ skins? for .+\? Sold skins are gone for good\.$/);
      expect(sells).toEqual([]);
      expect(await page.isEnabled("[data-testid=sell-all]")).toBe(true);

      await page.fill("[data-testid=sell-all-threshold]", "1000000.00");
      const sold = page.waitForResponse((r) => r.url().endsWith("/api/inventory/sell"));
      await page.click("[data-testid=sell-all]");
      expect((await sold).status()).toBe(200);
      await page.fill("[data-testid=sell-all-threshold]", "10.00");
    });
  });

  it("history rows say which case was opened and which items were won, claimed or sold", async () => {
    const page = player.page;
    await visit(page, `${server.url}/history`);
    await page.waitForSelector("[data-testid=ledger] tbody tr");
    const rows = await page.$$eval("[data-testid=ledger-what]", (cells) => cells.map((c) => c.textContent ?? ""));
    expect(rows.some((text) => /^Opened a case · Starter Case/.test(text))).toBe(true);
    expect(rows.some((text) => /^Sold skins.+\|/.test(text))).toBe(true);
    await visit(page, `${server.url}/inventory`);
    await page.click("text=All items");
    await page.waitForSelector("[data-testid=item-source]");
    const sources = await page.$$eval("[data-testid=item-source]", (els) => els.map((e) => e.textContent ?? ""));
    expect(sources).toContain("From Starter Case");
  });

  describe("axe-core: no serious or critical violation, one h1", () => {
    const visitorPages: [string, string?][] = [["/", "[data-testid=case-grid] li"], ["/login"], ["/register"], ["/case/starter", "[data-testid=case-items] li"], ["/docs/api", "h2"], ["/no-such-page"], ["/inventory"], ["/battles", "h1"]];
    const playerPages: [string, string?][] = [
      ["/", "[data-testid=case-grid] li"],
      ["/case/starter", "[data-testid=case-items] li"],
      ["/inventory"],
      ["/upgrader", "[data-testid=targets] li"],
      ["/fairness"],
      ["/history", "[data-testid=ledger]"],
      ["/battles", "[data-testid=create-battle]"],
      ["/battles/new", "[data-testid=case-picker] li"],
    ];
    const adminPages: [string, string?][] = [["/admin", "[data-testid=admin-cases]"], ["/admin/users"], ["/admin/cases/new", "[data-testid=case-editor]"]];

    it.each(visitorPages)("a visitor on %s", async (path, ready) => {
      await visit(visitor.page, `${server.url}${path}`);
      await settled(visitor.page, ready);
      expect(await headingsOne(visitor.page)).toBe(1);
      expect(await seriousViolations(visitor.page)).toEqual([]);
    });

    /** Logs the profile in once, then judges the page as that person sees it. */
    const asMember = async (who: typeof player, creds: { email: string; password: string }, path: string, ready?: string) => {
      if (!(await who.page.locator("[data-testid=balance]").count())) await logIn(who.page, server.url, creds.email, creds.password);
      await visit(who.page, `${server.url}${path}`);
      await who.page.waitForSelector("[data-testid=balance]");
      await settled(who.page, ready);
      expect(await headingsOne(who.page)).toBe(1);
      expect(await seriousViolations(who.page)).toEqual([]);
    };

    it.each(playerPages)("a player on %s", (path, ready) => asMember(player, DEMO.player, path, ready));

    it.each(adminPages)("an admin on %s", (path, ready) => asMember(admin, DEMO.admin, path, ready));

    it("a case page after an opening ×5, the reels and the result on screen", async () => {
      const page = player.page;
      await visit(page, `${server.url}/case/starter`);
      await settled(page, "[data-testid=case-items] li");
      await page.click(".count-picker button:nth-child(5)");
      await page.click("[data-testid=open-button]");
      await page.waitForSelector(".roulettes");
      expect(await seriousViolations(page)).toEqual([]);
      await page.waitForSelector("[data-testid=open-result]", { timeout: 30_000 });
      expect(await headingsOne(page)).toBe(1);
      expect(await seriousViolations(page)).toEqual([]);
    });
  });
});
