/**
 * The house: an ordinary account (migrations/0007 creates it with a float and the entry explaining
 * it) that pays the entries of bots and keeps what they win, so Σ ledger = balance holds for it too.
 * Nobody can log in as it. Top it up like any account (POST /api/admin/users/:id/balance).
 */
export const HOUSE_USER_ID = "00000000-0000-4000-8000-000000000001";
