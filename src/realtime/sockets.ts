import { ApiError } from "../http/errors";

/** The WebSocket upgrade check, shared by the Worker's socket routes and the socket rooms. */
export const isUpgrade = (request: Request) => request.headers.get("upgrade")?.toLowerCase() === "websocket";

/** The one "not a WebSocket upgrade" error, thrown by the Worker's routes and returned by the rooms. */
export const upgradeRequired = () => new ApiError(426, "upgrade_required", "Expected a WebSocket upgrade.", undefined, { upgrade: "websocket" });
