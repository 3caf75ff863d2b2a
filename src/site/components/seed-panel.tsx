import { useEffect, useState } from "preact/hooks";
import { api, ApiError, describeError } from "../api";
import { useAction } from "../hooks";
import { toast } from "../state";
import type { FairnessView } from "../types";
import { Field } from "./field";

/** The committed hash, the editable client seed, the next nonce and rotation. */
export function SeedPanel({ view, onChange }: { view: FairnessView; onChange: (v: FairnessView) => void }) {
  const [clientSeed, setClientSeed] = useState(view.active.clientSeed);
  const [error, setError] = useState<string | undefined>();
  const { busy, run } = useAction();
  useEffect(() => setClientSeed(view.active.clientSeed), [view.active.clientSeed]);

  const save = (event: Event) => {
    event.preventDefault();
    setError(undefined);
    return run(
      true,
      async () => {
        const { active } = await api.setClientSeed(clientSeed);
        onChange({ ...view, active });
        toast("Client seed saved. It applies from your next roll.", "success");
      },
      (err) => setError(err instanceof ApiError ? (err.issues.find((i) => i.path === "clientSeed")?.message ?? err.message) : describeError(err)),
    );
  };

  const rotate = () =>
    run(true, async () => {
      await api.rotateSeed();
      onChange(await api.fairness());
      toast("Server seed revealed and a new one committed.", "success");
    });

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
