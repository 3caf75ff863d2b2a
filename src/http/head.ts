/**
 * HEAD is GET without the body (RFC 9110 §9.3.2). itty-router matches methods exactly, so rather
 * than declaring every route twice, a HEAD request is routed as a GET and its body is dropped;
 * status and headers (CORS and security headers included) stay those of the GET.
 */
export async function answerHead(request: Request, handle: (request: Request) => Promise<Response>): Promise<Response> {
  if (request.method !== "HEAD") return handle(request);
  const headers = new Headers(request.headers);
  // A HEAD never opens a socket: without the upgrade header the socket routes answer 426, as a plain GET does.
  headers.delete("upgrade");
  const response = await handle(new Request(request.url, { method: "GET", headers }));
  const bodiless = new Response(null, response);
  // Our bodies are small JSON, so measuring one costs little, and Content-Length is the one header
  // a monitor may compare (a HEAD may only send it with the GET's exact value).
  if (response.body && !response.headers.has("content-length")) {
    bodiless.headers.set("content-length", String((await response.arrayBuffer()).byteLength));
  }
  return bodiless;
}
