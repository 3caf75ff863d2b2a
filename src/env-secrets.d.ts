// Secrets are not in wrangler.toml, so `wrangler types` cannot see them: they are declared here.
declare global {
  namespace Cloudflare {
    interface Env {
      /**
       * The HMAC key of the private socket's resume credentials (src/realtime/resume.ts), at least
       * 32 characters: `wrangler secret put RESUME_SECRET` in production. Unset (local dev, tests),
       * the Worker generates a random key once and keeps it in the broadcaster's storage.
       */
      RESUME_SECRET?: string;
    }
  }
}

export {};
