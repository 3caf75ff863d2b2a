/**
 * The Worker hands the authenticated identity to a user's hub in these headers, on a request it
 * builds itself (so no client header can reach the hub); the hub accepts a socket only with them.
 */
export const HUB_USER_HEADER = "x-realtime-user";
export const HUB_SESSION_HEADER = "x-realtime-session";
/**
 * The account version (users.version) the Worker read while authenticating the socket: the hub
 * puts it in the welcome, so a client that applied less knows it missed a change (see protocol.ts).
 */
export const HUB_VERSION_HEADER = "x-realtime-account-version";
/**
 * A resume credential's nonce, expiry and epoch (src/realtime/resume.ts), from a credential the
 * Worker found well signed and unexpired; the identity headers above carry its user and session.
 * The hub spends the nonce (single use: ./resume-spends.ts) before it accepts the socket.
 */
export const HUB_RESUME_NONCE_HEADER = "x-realtime-resume-nonce";
export const HUB_RESUME_EXPIRES_HEADER = "x-realtime-resume-expires";
export const HUB_RESUME_EPOCH_HEADER = "x-realtime-resume-epoch";
