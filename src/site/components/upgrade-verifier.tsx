import { verifyUpgrade, type UpgradeVerifyResult } from "../../fairness/verify";
import { formatChance } from "../../features/upgrader/rules";
import { api } from "../api";
import { formatCents } from "../money";
import type { UpgradeProof, UpgradeRecord } from "../types";
import { ProofVerifier, seedFields, type VerifierGame } from "./proof-verifier";

const FIELDS = ["serverSeed", "serverSeedHash", "clientSeed", "nonce", "stakedValue", "targetValue", "houseEdge"] as const;
type Form = Record<(typeof FIELDS)[number], string>;
const EMPTY: Form = { serverSeed: "", serverSeedHash: "", clientSeed: "", nonce: "", stakedValue: "", targetValue: "", houseEdge: "" };
const LABELS: Record<keyof Form, string> = {
  serverSeed: "Server seed (revealed)",
  serverSeedHash: "Server seed hash",
  clientSeed: "Client seed",
  nonce: "Nonce",
  stakedValue: "Staked value (cents)",
  targetValue: "Target value (cents)",
  houseEdge: "House edge (basis points)",
};

function Verdict({ result, proof }: { result: UpgradeVerifyResult; proof: UpgradeProof | null }) {
  const said = proof?.upgrade;
  const same = (ok: boolean) => (said ? (ok ? ", same" : ", different") : "");
  const fair = result.seedMatchesHash && (!said || (said.chance === result.chance && said.roll === result.roll && said.won === result.won));
  return (
    <div class={`verdict ${fair ? "ok" : "bad"}`} role="status" data-testid="upgrade-verdict">
      <strong>{fair ? "✔ Verified: this upgrade is fair." : "✘ Does not match."}</strong>
      <ul>
        <li>Seed matches its committed hash: {result.seedMatchesHash ? "yes" : "no"}</li>
        <li>
          Chance: {formatChance(result.chance)}
          {said && ` (server said ${formatChance(said.chance)}${same(said.chance === result.chance)})`}
        </li>
        <li>
          Roll: <span class="mono">{result.roll}</span>
          {said && ` (server said ${said.roll}${same(said.roll === result.roll)})`}
        </li>
        <li>
          {result.won ? "Won" : "Lost"}
          {said && (said.won === result.won ? ", as recorded" : `, but it was recorded as ${said.won ? "won" : "lost"}`)}
        </li>
      </ul>
    </div>
  );
}

const UPGRADE: VerifierGame<UpgradeRecord, UpgradeProof, UpgradeVerifyResult, keyof Form> = {
  title: "Verify an upgrade",
  explanation:
    'chance = floor(staked × (10000 − edge) / target) basis points; roll = HMAC-SHA256(serverSeed, "clientSeed:nonce") mapped onto 0…999,999; won when roll < chance × 100.',
  select: { id: "verify-upgrade", label: "Upgrade", prompt: "Choose one of your upgrades…" },
  choices: async () => (await api.upgrades()).upgrades,
  choiceId: (u) => u.id,
  choiceText: (u) => `${new Date(u.createdAt).toLocaleString()} — ${u.target.name} (${formatCents(u.target.value)}) at ${formatChance(u.chance)}: ${u.won ? "won" : "lost"}`,
  proof: (id) => api.upgradeProof(id),
  fill: (p) => ({
    form: {
      ...seedFields(p.seed),
      clientSeed: p.upgrade.clientSeed,
      nonce: String(p.upgrade.nonce),
      stakedValue: String(p.upgrade.stakedValue),
      targetValue: String(p.upgrade.target.value),
      houseEdge: String(p.upgrade.houseEdge),
    },
    revealed: p.seed.revealed,
  }),
  unrevealed: "This upgrade used your active server seed. Rotate the seed above to reveal it, then verify.",
  rows: FIELDS.map((key) => [{ key, id: `u-${key}`, label: LABELS[key] }]),
  submit: "Verify the upgrade in my browser",
  async check(f) {
    const [nonce, stakedValue, targetValue, houseEdge] = [f.nonce, f.stakedValue, f.targetValue, f.houseEdge].map(Number) as [number, number, number, number];
    if (!f.serverSeed) return { problem: "Enter the revealed server seed." };
    if ([nonce, stakedValue, houseEdge].some((n) => !Number.isSafeInteger(n) || n < 0) || !Number.isSafeInteger(targetValue) || targetValue <= 0) {
      return { problem: "Nonce, values and edge must be whole numbers (the target value above 0)." };
    }
    return verifyUpgrade({ serverSeed: f.serverSeed, serverSeedHash: f.serverSeedHash, clientSeed: f.clientSeed, nonce, stakedValue, targetValue, houseEdgeBasisPoints: houseEdge });
  },
  Verdict,
};

/** Recomputes one upgrade in the browser with the shared verifier. */
export function UpgradeVerifier() {
  return <ProofVerifier game={UPGRADE} empty={EMPTY} />;
}
