import { RedeemCode } from "../components/redeem-code";
import { formatCents } from "../money";
import { catalog, session } from "../state";

export function Lobby() {
  const { cases, loaded } = catalog.value;
  const { user } = session.value;
  return (
    <section class="page">
      <div class="hero">
        <h1>Open cases. Win skins. Verify every roll.</h1>
        <p>
          Odds are public, every roll is provably fair, and your balance and inventory update live.
          {!user && (
            <>
              {" "}
              <a href="/register">Create an account</a> or <a href="/login">log in</a> to play.
            </>
          )}
        </p>
      </div>
      {user && <RedeemCode />}
      <h2 class="section-title">Cases</h2>
      {!loaded && <p class="muted">Loading cases…</p>}
      {loaded && cases.length === 0 && <p class="muted">No cases are open right now. Check back soon.</p>}
      <ul class="case-grid" data-testid="case-grid">
        {cases.map((c) => (
          <li key={c.id}>
            <a class={`case-tile${c.free ? " case-free" : ""}`} href={`/case/${c.slug}`} data-case-slug={c.slug}>
              {c.free && <span class="badge badge-free">Daily free</span>}
              <img src={c.imageUrl ?? "/img/case-starter.svg"} alt="" width={160} height={120} />
              <span class="case-name">{c.name}</span>
              <span class="case-price">{c.free ? "Free" : formatCents(c.price)}</span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
