import { describe, expect, it } from "vitest";

import {
  InviteLinkError,
  formatInviteLink,
  formatPublicInviteLink,
  inviteLinkForBroker,
  parseInviteLink,
} from "../../src/protocol/invite-link.js";

const SECRET_TEXT = "oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vr8";
const SECRET = new Uint8Array(Buffer.from(SECRET_TEXT, "base64url"));
const CODE = "K7QX2MZP";
const LINK = `claudemesh://join/broker.example.net:7900/${CODE}#${SECRET_TEXT}`;

describe("formatInviteLink", () => {
  it("writes the spec's link form", () => {
    expect(formatInviteLink({ host: "broker.example.net:7900", code: CODE, secret: SECRET })).toBe(LINK);
    expect(formatInviteLink({ host: "broker.example.net:7900", code: CODE, secret: SECRET_TEXT })).toBe(LINK);
  });

  it("adds tls=0 before the secret and normalizes the base path", () => {
    expect(
      formatInviteLink({ host: "127.0.0.1:7900", code: CODE, secret: SECRET, tls: false, basePath: "mesh/" }),
    ).toBe(`claudemesh://join/127.0.0.1:7900/mesh/${CODE}?tls=0#${SECRET_TEXT}`);
  });

  it("refuses bad parts", () => {
    expect(() => formatInviteLink({ host: "a b", code: CODE, secret: SECRET })).toThrow(InviteLinkError);
    expect(() => formatInviteLink({ host: "h", code: "SHORT", secret: SECRET })).toThrow(/invite code/);
    expect(() => formatInviteLink({ host: "h", code: "K7QX2MZ0", secret: SECRET })).toThrow(/invite code/);
    expect(() => formatInviteLink({ host: "h", code: CODE, secret: new Uint8Array(16) })).toThrow(/32 bytes/);
  });

  it("builds the link for a broker URL", () => {
    expect(inviteLinkForBroker({ brokerUrl: "ws://127.0.0.1:7900/ws", code: CODE, secret: SECRET })).toBe(
      `claudemesh://join/127.0.0.1:7900/${CODE}?tls=0#${SECRET_TEXT}`,
    );
    expect(
      inviteLinkForBroker({ brokerUrl: "wss://mesh.example.com/p/ws", code: CODE, secret: SECRET }),
    ).toBe(`claudemesh://join/mesh.example.com/p/${CODE}#${SECRET_TEXT}`);
    expect(() => inviteLinkForBroker({ brokerUrl: "http://x/ws", code: CODE, secret: SECRET })).toThrow(/ws/);
  });

  it("writes the public web form", () => {
    expect(
      formatPublicInviteLink({ publicUrl: "https://mesh.example.com", code: CODE, secret: SECRET }),
    ).toBe(`https://mesh.example.com/join/${CODE}#${SECRET_TEXT}`);
    expect(
      formatPublicInviteLink({ publicUrl: "https://example.com/mesh/", code: CODE, secret: SECRET }),
    ).toBe(`https://example.com/mesh/join/${CODE}#${SECRET_TEXT}`);
    expect(() => formatPublicInviteLink({ publicUrl: "ftp://x", code: CODE, secret: SECRET })).toThrow(
      /http/,
    );
  });
});

describe("parseInviteLink", () => {
  it("parses the claudemesh:// form to a wss broker URL", () => {
    const parsed = parseInviteLink(LINK);
    expect(parsed).toEqual({
      brokerUrl: "wss://broker.example.net:7900/ws",
      host: "broker.example.net:7900",
      basePath: "",
      tls: true,
      code: CODE,
      secret: SECRET,
    });
  });

  it("honours tls=0, base paths, IPv6 hosts, surrounding spaces and a lower-case code", () => {
    expect(parseInviteLink(`claudemesh://join/127.0.0.1:7900/${CODE}?tls=0#${SECRET_TEXT}`).brokerUrl).toBe(
      "ws://127.0.0.1:7900/ws",
    );
    const withBase = parseInviteLink(
      `  claudemesh://join/example.com/a/b/${CODE.toLowerCase()}#${SECRET_TEXT}\n`,
    );
    expect(withBase).toMatchObject({ brokerUrl: "wss://example.com/a/b/ws", basePath: "/a/b", code: CODE });
    expect(parseInviteLink(`claudemesh://join/[::1]:7900/${CODE}?tls=0#${SECRET_TEXT}`).brokerUrl).toBe(
      "ws://[::1]:7900/ws",
    );
  });

  it("parses the https:// and http:// web forms", () => {
    expect(parseInviteLink(`https://mesh.example.com/join/${CODE}#${SECRET_TEXT}`)).toEqual({
      brokerUrl: "wss://mesh.example.com/ws",
      host: "mesh.example.com",
      basePath: "",
      tls: true,
      code: CODE,
      secret: SECRET,
    });
    expect(parseInviteLink(`http://localhost:8080/mesh/join/${CODE}#${SECRET_TEXT}`)).toMatchObject({
      brokerUrl: "ws://localhost:8080/mesh/ws",
      basePath: "/mesh",
      tls: false,
    });
  });

  it("round-trips what the formatters write", () => {
    const link = formatInviteLink({
      host: "h.example:1",
      code: CODE,
      secret: SECRET,
      tls: false,
      basePath: "/x",
    });
    expect(parseInviteLink(link)).toMatchObject({
      brokerUrl: "ws://h.example:1/x/ws",
      code: CODE,
      secret: SECRET,
    });
    const web = formatPublicInviteLink({ publicUrl: "https://m.example/p", code: CODE, secret: SECRET });
    expect(parseInviteLink(web)).toMatchObject({
      brokerUrl: "wss://m.example/p/ws",
      code: CODE,
      secret: SECRET,
    });
  });

  it("refuses a link without its secret part and says why", () => {
    for (const link of [LINK.slice(0, LINK.indexOf("#")), `${LINK.slice(0, LINK.indexOf("#"))}#`]) {
      expect(() => parseInviteLink(link)).toThrow(InviteLinkError);
      expect(() => parseInviteLink(link)).toThrow(/incomplete.*after '#'/);
    }
    expect(() => parseInviteLink(`https://mesh.example.com/join/${CODE}`)).toThrow(/incomplete/);
  });

  it("refuses damaged links", () => {
    expect(() => parseInviteLink(`${LINK.slice(0, -2)}`)).toThrow(/secret/);
    expect(() => parseInviteLink(`${LINK}!`)).toThrow(/secret/);
    expect(() => parseInviteLink(`claudemesh://join/${CODE}#${SECRET_TEXT}`)).toThrow(/claudemesh:\/\/join/);
    expect(() => parseInviteLink(`claudemesh://join/host/NOTACODE1#${SECRET_TEXT}`)).toThrow(/invite code/);
    expect(() => parseInviteLink(`claudemesh://join/host/${CODE}?tls=maybe#${SECRET_TEXT}`)).toThrow(/tls/);
    expect(() => parseInviteLink(`https://mesh.example.com/other/${CODE}#${SECRET_TEXT}`)).toThrow(/join/);
    expect(() => parseInviteLink(`ws://host/${CODE}#${SECRET_TEXT}`)).toThrow(/not an invite link/);
    expect(() => parseInviteLink("")).toThrow(/not an invite link/);
  });
});
