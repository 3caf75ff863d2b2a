import { describe, expect, it } from "vitest";
import { MAX_CLIENT_FRAME_BYTES, parseClientMessage, readClientFrame, refusal } from "../../../src/realtime/protocol";

describe("parseClientMessage", () => {
  it("accepts the two client messages with valid fields", () => {
    expect(parseClientMessage('{"type":"resume","epoch":"abc_DEF-1","since":0}')).toEqual({ type: "resume", epoch: "abc_DEF-1", since: 0 });
    expect(parseClientMessage('{"type":"resume-lobby","catalogVersion":12}')).toEqual({ type: "resume-lobby", catalogVersion: 12 });
  });

  it("drops fields it does not know", () => {
    expect(parseClientMessage('{"type":"resume","epoch":"e","since":3,"userId":"someone-else"}')).toEqual({ type: "resume", epoch: "e", since: 3 });
  });

  it.each([
    ["not JSON", "hello"],
    ["an array", "[1]"],
    ["null", "null"],
    ["no type", '{"epoch":"e","since":1}'],
    ["the old identify message", '{"type":"user:identify","userId":"u1"}'],
    ["a negative since", '{"type":"resume","epoch":"e","since":-1}'],
    ["a fractional since", '{"type":"resume","epoch":"e","since":1.5}'],
    ["a string since", '{"type":"resume","epoch":"e","since":"1"}'],
    ["an epoch with odd characters", '{"type":"resume","epoch":"e/../x","since":1}'],
    ["a missing catalogue version", '{"type":"resume-lobby"}'],
  ])("refuses %s", (_label, raw) => {
    expect(parseClientMessage(raw)).toBeNull();
  });

  it("refuses binary and oversized frames before parsing", () => {
    expect(parseClientMessage(new ArrayBuffer(4))).toBeNull();
    expect(parseClientMessage(`{"type":"resume","epoch":"e","since":1,"pad":"${"x".repeat(MAX_CLIENT_FRAME_BYTES)}"}`)).toBeNull();
  });
});

describe("refusal", () => {
  it("names the reason", () => {
    expect(refusal("nope").code).toBe("bad_frame");
    expect(refusal('{"type":"user:identify"}')).toMatchObject({ type: "error", code: "unknown_message" });
    expect(refusal(new ArrayBuffer(1)).code).toBe("bad_frame");
    expect(refusal("x".repeat(MAX_CLIENT_FRAME_BYTES + 1)).code).toBe("too_large");
  });
});

describe("readClientFrame", () => {
  it("types a message for the socket it belongs on", () => {
    expect(readClientFrame('{"type":"resume","epoch":"e","since":2}', "user")).toEqual({ message: { type: "resume", epoch: "e", since: 2 } });
    expect(readClientFrame('{"type":"resume-lobby","catalogVersion":4}', "lobby")).toEqual({ message: { type: "resume-lobby", catalogVersion: 4 } });
  });

  it("refuses the other socket's messages with wrong_channel, and anything else as refusal does", () => {
    expect(readClientFrame('{"type":"resume-lobby","catalogVersion":4}', "user")).toEqual({
      refused: { type: "error", code: "wrong_channel", message: '"resume-lobby" belongs on the lobby socket.' },
    });
    expect(readClientFrame('{"type":"resume","epoch":"e","since":2}', "lobby")).toMatchObject({ refused: { code: "wrong_channel" } });
    expect(readClientFrame('{"type":"user:identify"}', "user")).toEqual({ refused: refusal('{"type":"user:identify"}') });
  });
});
