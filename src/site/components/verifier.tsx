import { verifyOpening, type VerifyResult } from "../../fairness/verify";
import { api } from "../api";
import type { InventoryItem, OpeningProof } from "../types";
import { ProofVerifier, seedFields, type VerifierGame } from "./proof-verifier";

/** What the browser computed, next to what the server said for the selected opening (if any). */
function Verdict({ result, proof }: { result: VerifyResult; proof: OpeningProof | null }) {
  const picked = proof?.revision.items[result.itemIndex];
  const rollMatches = proof ? result.roll === proof.opening.roll : true;
  const itemMatches = proof ? picked?.id === proof.opening.itemId : true;
  const fair = result.seedMatchesHash && rollMatches && itemMatches;
  return (
    <div class={`verdict ${fair ? "ok" : "bad"}`} role="status" data-testid="verdict">
      <strong>{fair ? "✔ Verified: this roll is fair." : "✘ Does not match."}</strong>
      <ul>
        <li>Seed matches its committed hash: {result.seedMatchesHash ? "yes" : "no"}</li>
        <li>
          Roll: <span class="mono">{result.roll}</span>
          {proof && ` (server said ${proof.opening.roll}${rollMatches ? ", same" : ", different"})`}
        </li>
        <li>
          Item #{result.itemIndex + 1}
          {picked && `: ${picked.name}`}
          {proof && (itemMatches ? ", the item you got" : `, but you got ${proof.opening.name}`)}
        </li>
      </ul>
    </div>
  );
}

type Key = "serverSeed" | "serverSeedHash" | "clientSeed" | "nonce" | "weights";
const EMPTY: Record<Key, string> = { serverSeed: "", serverSeedHash: "", clientSeed: "", nonce: "", weights: "" };

const OPENING: VerifierGame<InventoryItem, OpeningProof, VerifyResult, Key> = {
  title: "Verify an opening",
  explanation:
    'Recomputed here in your browser with the same code the server uses: SHA-256 of the server seed, then HMAC-SHA256(serverSeed, "clientSeed:nonce") mapped onto the item weights.',
  select: { id: "verify-opening", label: "Opening", prompt: "Choose one of your openings…" },
  // Items won in the upgrader were rolled by their upgrade: the upgrade verifier checks those.
  choices: async () => (await api.inventory("all")).items.filter((i) => i.source === "case"),
  choiceId: (o) => o.id,
  choiceText: (o) => `${new Date(o.createdAt).toLocaleString()} — ${o.name}`,
  proof: (id) => api.opening(id),
  fill: (p) => ({
    form: {
      ...seedFields(p.seed),
      clientSeed: p.opening.clientSeed,
      nonce: String(p.opening.nonce),
      weights: p.revision.items.map((i) => i.weight).join(", "),
    },
    revealed: p.seed.revealed,
  }),
  unrevealed: "This opening used your active server seed. Rotate the seed above to reveal it, then verify.",
  rows: [
    [{ key: "serverSeed", id: "v-serverSeed", label: "Server seed (revealed)" }],
    [{ key: "serverSeedHash", id: "v-hash", label: "Server seed hash" }],
    [
      { key: "clientSeed", id: "v-clientSeed", label: "Client seed" },
      { key: "nonce", id: "v-nonce", label: "Nonce" },
    ],
    [{ key: "weights", id: "v-weights", label: "Item weights, in case order" }],
  ],
  submit: "Verify in my browser",
  async check(form) {
    const weights = form.weights.split(/[\s,]+/).filter(Boolean).map(Number);
    const nonce = Number(form.nonce);
    if (!form.serverSeed) return { problem: "Enter the revealed server seed." };
    if (weights.length === 0 || weights.some((w) => !Number.isSafeInteger(w) || w <= 0)) return { problem: "Weights must be positive whole numbers, separated by commas." };
    if (!Number.isSafeInteger(nonce) || nonce < 0) return { problem: "The nonce must be a whole number, 0 or more." };
    return verifyOpening({ serverSeed: form.serverSeed, serverSeedHash: form.serverSeedHash, clientSeed: form.clientSeed, nonce, weights });
  },
  Verdict,
};

/** Recomputes one opening in the browser with the shared verifier (never a copy of it). */
export function Verifier() {
  return <ProofVerifier game={OPENING} empty={EMPTY} />;
}
