import { useEffect, useRef, useState } from "preact/hooks";
import { verifyOpening, type VerifyResult } from "../../fairness/verify";
import { api, describeError } from "../api";
import { toastError } from "../state";
import type { InventoryItem, OpeningProof } from "../types";
import { Field } from "./field";
import { SeedLine, VerdictBox } from "./verdict";

interface VerifyForm {
  serverSeed: string;
  serverSeedHash: string;
  clientSeed: string;
  nonce: string;
  weights: string;
}

const EMPTY_FORM: VerifyForm = { serverSeed: "", serverSeedHash: "", clientSeed: "", nonce: "", weights: "" };

/** What the browser computed, next to what the server said for the selected opening (if any). */
function Verdict({ result, proof }: { result: VerifyResult; proof: OpeningProof | null }) {
  const picked = proof?.revision.items[result.itemIndex];
  const rollMatches = proof ? result.roll === proof.opening.roll : true;
  const itemMatches = proof ? picked?.id === proof.opening.itemId : true;
  const fair = result.seedMatchesHash && rollMatches && itemMatches;
  return (
    <VerdictBox fair={fair} what="this roll" testId="verdict">
      <SeedLine matches={result.seedMatchesHash} />
      <li>
        Roll: <span class="mono">{result.roll}</span>
        {proof && ` (server said ${proof.opening.roll}${rollMatches ? ", same" : ", different"})`}
      </li>
      <li>
        Item #{result.itemIndex + 1}
        {picked && `: ${picked.name}`}
        {proof && (itemMatches ? ", the item you got" : `, but you got ${proof.opening.name}`)}
      </li>
    </VerdictBox>
  );
}

/** Recomputes one opening in the browser with the shared verifier (never a copy of it). */
export function Verifier() {
  const [openings, setOpenings] = useState<InventoryItem[]>([]);
  const [openingId, setOpeningId] = useState("");
  const [proof, setProof] = useState<OpeningProof | null>(null);
  const [form, setFormState] = useState<VerifyForm>(EMPTY_FORM);
  // Preact renders state changes asynchronously; a submit right after typing must still see
  // what was typed, so the handlers read the form from this ref, updated synchronously.
  const latest = useRef<VerifyForm>(EMPTY_FORM);
  const setForm = (next: VerifyForm) => {
    latest.current = next;
    setFormState(next);
  };
  const [outcome, setOutcome] = useState<{ result: VerifyResult; proof: OpeningProof | null } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    // Items won in the upgrader were rolled by their upgrade: the upgrade verifier checks those.
    api.inventory("all").then((page) => setOpenings(page.items.filter((i) => i.source === "case")), toastError);
  }, []);

  const loadProof = async (id: string) => {
    setOpeningId(id);
    setOutcome(null);
    setProblem(null);
    setProof(null);
    if (!id) return;
    try {
      const p = await api.opening(id);
      setProof(p);
      setForm({
        serverSeed: p.seed.serverSeed ?? "",
        serverSeedHash: p.seed.hash,
        clientSeed: p.opening.clientSeed,
        nonce: String(p.opening.nonce),
        weights: p.revision.items.map((i) => i.weight).join(", "),
      });
      if (!p.seed.revealed) setProblem("This opening used your active server seed. Rotate the seed above to reveal it, then verify.");
    } catch (err) {
      setProblem(describeError(err));
    }
  };

  const verify = async (event: Event) => {
    event.preventDefault();
    setOutcome(null);
    setProblem(null);
    const form = latest.current;
    const weights = form.weights.split(/[\s,]+/).filter(Boolean).map(Number);
    const nonce = Number(form.nonce);
    if (!form.serverSeed) return setProblem("Enter the revealed server seed.");
    if (weights.length === 0 || weights.some((w) => !Number.isSafeInteger(w) || w <= 0)) return setProblem("Weights must be positive whole numbers, separated by commas.");
    if (!Number.isSafeInteger(nonce) || nonce < 0) return setProblem("The nonce must be a whole number, 0 or more.");
    try {
      const result = await verifyOpening({ serverSeed: form.serverSeed, serverSeedHash: form.serverSeedHash, clientSeed: form.clientSeed, nonce, weights });
      setOutcome({ result, proof });
    } catch (err) {
      setProblem(describeError(err));
    }
  };

  const set = (key: keyof VerifyForm) => (e: Event) => setForm({ ...latest.current, [key]: (e.currentTarget as HTMLInputElement).value });

  return (
    <div class="panel">
      <h2>Verify an opening</h2>
      <p class="muted small">
        Recomputed here in your browser with the same code the server uses: SHA-256 of the server seed, then HMAC-SHA256(serverSeed, "clientSeed:nonce") mapped onto the item weights.
      </p>
      <Field id="verify-opening" label="Opening">
        <select id="verify-opening" value={openingId} onChange={(e) => loadProof(e.currentTarget.value)}>
          <option value="">Choose one of your openings…</option>
          {openings.map((o) => (
            <option key={o.id} value={o.id}>
              {new Date(o.createdAt).toLocaleString()} — {o.name}
            </option>
          ))}
        </select>
      </Field>
      <form onSubmit={verify} class="verify-form">
        <Field id="v-serverSeed" label="Server seed (revealed)">
          <input id="v-serverSeed" class="mono" value={form.serverSeed} onInput={set("serverSeed")} />
        </Field>
        <Field id="v-hash" label="Server seed hash">
          <input id="v-hash" class="mono" value={form.serverSeedHash} onInput={set("serverSeedHash")} />
        </Field>
        <div class="row">
          <Field id="v-clientSeed" label="Client seed">
            <input id="v-clientSeed" class="mono" value={form.clientSeed} onInput={set("clientSeed")} />
          </Field>
          <Field id="v-nonce" label="Nonce">
            <input id="v-nonce" class="mono" inputMode="numeric" value={form.nonce} onInput={set("nonce")} />
          </Field>
        </div>
        <Field id="v-weights" label="Item weights, in case order">
          <input id="v-weights" class="mono" value={form.weights} onInput={set("weights")} />
        </Field>
        <button type="submit" class="btn btn-primary">Verify in my browser</button>
      </form>
      {problem && <p class="form-error" role="alert">{problem}</p>}
      {outcome && <Verdict result={outcome.result} proof={outcome.proof} />}
    </div>
  );
}
