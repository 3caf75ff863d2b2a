import { useEffect, useState } from "preact/hooks";
import { verifyOpening, type VerifyResult } from "../../fairness/verify";
import { api, ApiError, describeError } from "../api";
import { Field } from "../components/field";
import { toast, toastError } from "../state";
import type { FairnessView, InventoryItem, OpeningProof } from "../types";

function SeedPanel({ view, onChange }: { view: FairnessView; onChange: (v: FairnessView) => void }) {
  const [clientSeed, setClientSeed] = useState(view.active.clientSeed);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => setClientSeed(view.active.clientSeed), [view.active.clientSeed]);

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const { active } = await api.setClientSeed(clientSeed);
      onChange({ ...view, active });
      toast("Client seed saved. It applies from your next roll.", "success");
    } catch (err) {
      setError(err instanceof ApiError ? (err.issues.find((i) => i.path === "clientSeed")?.message ?? err.message) : describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const rotate = async () => {
    setBusy(true);
    try {
      await api.rotateSeed();
      onChange(await api.fairness());
      toast("Server seed revealed and a new one committed.", "success");
    } catch (err) {
      toastError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="panel">
      <h2>Your seeds</h2>
      <dl class="kv">
        <dt>Server seed hash (committed)</dt>
        <dd class="mono break" data-testid="server-seed-hash">{view.active.serverSeedHash}</dd>
        <dt>Next nonce</dt>
        <dd class="mono" data-testid="next-nonce">{view.active.nextNonce}</dd>
      </dl>
      <form class="inline-form" onSubmit={save}>
        <Field id="clientSeed" label="Client seed" error={error} hint="Printable characters, no spaces, up to 64.">
          <input id="clientSeed" class="mono" value={clientSeed} onInput={(e) => setClientSeed(e.currentTarget.value)} />
        </Field>
        <button type="submit" class="btn" disabled={busy || clientSeed === view.active.clientSeed}>
          Save client seed
        </button>
      </form>
      <p class="muted small">
        Rotating reveals the current server seed, so you can verify every opening made with it, and commits to a new one.
      </p>
      <button type="button" class="btn btn-primary" disabled={busy} onClick={rotate}>
        Rotate server seed
      </button>
    </div>
  );
}

interface VerifyForm {
  serverSeed: string;
  serverSeedHash: string;
  clientSeed: string;
  nonce: string;
  weights: string;
}

const EMPTY_FORM: VerifyForm = { serverSeed: "", serverSeedHash: "", clientSeed: "", nonce: "", weights: "" };

function Verifier() {
  const [openings, setOpenings] = useState<InventoryItem[]>([]);
  const [openingId, setOpeningId] = useState("");
  const [proof, setProof] = useState<OpeningProof | null>(null);
  const [form, setForm] = useState<VerifyForm>(EMPTY_FORM);
  const [outcome, setOutcome] = useState<{ result: VerifyResult; proof: OpeningProof | null } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    api.inventory("all").then((page) => setOpenings(page.items), toastError);
  }, []);

  const loadProof = async (id: string) => {
    setOpeningId(id);
    setOutcome(null);
    setProblem(null);
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

  const set = (key: keyof VerifyForm) => (e: Event) => setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement).value });
  const expected = outcome?.proof;
  const pickedName = expected ? expected.revision.items[outcome.result.itemIndex]?.name : undefined;
  const rollMatches = expected ? outcome.result.roll === expected.opening.roll : undefined;
  const itemMatches = expected ? expected.revision.items[outcome.result.itemIndex]?.id === expected.opening.itemId : undefined;
  const fair = outcome && outcome.result.seedMatchesHash && rollMatches !== false && itemMatches !== false;

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
      {outcome && (
        <div class={`verdict ${fair ? "ok" : "bad"}`} role="status" data-testid="verdict">
          <strong>{fair ? "✔ Verified: this roll is fair." : "✘ Does not match."}</strong>
          <ul>
            <li>Seed matches its committed hash: {outcome.result.seedMatchesHash ? "yes" : "no"}</li>
            <li>
              Roll: <span class="mono">{outcome.result.roll}</span>
              {expected && ` (server said ${expected.opening.roll}${rollMatches ? ", same" : ", different"})`}
            </li>
            <li>
              Item #{outcome.result.itemIndex + 1}
              {pickedName && `: ${pickedName}`}
              {expected && (itemMatches ? ", the item you got" : `, but you got ${expected.opening.name}`)}
            </li>
          </ul>
        </div>
      )}
    </div>
  );
}

export function FairnessPage() {
  const [view, setView] = useState<FairnessView | null>(null);
  useEffect(() => {
    api.fairness().then(setView, toastError);
  }, []);
  return (
    <section class="page">
      <h1>Provably fair</h1>
      <div class="two-col">
        {view ? <SeedPanel view={view} onChange={setView} /> : <p class="muted">Loading seeds…</p>}
        <Verifier />
      </div>
      {view && view.revealed.length > 0 && (
        <div class="panel">
          <h2>Revealed seeds</h2>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Revealed</th>
                  <th>Server seed</th>
                  <th>Client seed</th>
                  <th>Rolls</th>
                </tr>
              </thead>
              <tbody>
                {view.revealed.map((r) => (
                  <tr key={r.seedId}>
                    <td>{new Date(r.revealedAt).toLocaleString()}</td>
                    <td class="mono break">{r.serverSeed}</td>
                    <td class="mono">{r.clientSeed}</td>
                    <td>{r.noncesUsed}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}
