/**
 * The Worker hands the authenticated identity to a user's hub in these headers, on a request it
 * builds itself (so no client header can reach the hub); the hub accepts a socket only with them.
 */
export const HUB_USER_HEADER = "x-realtime-user";
export const HUB_SESSION_HEADER = "x-realtime-session";
