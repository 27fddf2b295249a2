import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  InviteLinkError,
  formatInviteLink,
  formatPublicInviteLink,
  inviteCodeOf,
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
      brokerUrls: ["wss://broker.example.net:7900/ws"],
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
      brokerUrls: ["wss://mesh.example.com/ws"],
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

describe("inviteCodeOf", () => {
  it("takes a bare code in any case, or the code of either link form, with or without its secret", () => {
    const head = LINK.slice(0, LINK.indexOf("#"));
    for (const text of [
      CODE,
      ` ${CODE.toLowerCase()} `,
      LINK,
      head,
      `${head}#`,
      `claudemesh://join/127.0.0.1:7900/mesh/${CODE}?tls=0&broker=b:7900#${SECRET_TEXT}`,
      `https://mesh.example.com/join/${CODE}#${SECRET_TEXT}`,
      `https://mesh.example.com/p/join/${CODE}`,
    ]) {
      expect(inviteCodeOf(text)).toBe(CODE);
    }
  });

  it("refuses what is neither a code nor a link, saying why", () => {
    expect(() => inviteCodeOf("K7QX2MZ0")).toThrow(/not an invite code/);
    expect(() => inviteCodeOf("K7QX")).toThrow(InviteLinkError);
    expect(() => inviteCodeOf(`claudemesh://join/${CODE}`)).toThrow(/claudemesh:\/\/join/);
    expect(() => inviteCodeOf(`https://mesh.example.com/other/${CODE}`)).toThrow(/join/);
  });
});

describe("invite links for several broker nodes [ours]", () => {
  const vectors = JSON.parse(
    readFileSync(new URL("../fixtures/vectors.json", import.meta.url), "utf8"),
  ) as Array<{ name: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }>;
  const vector = vectors.find((v) => v.name.startsWith("invite: link"));
  const NODES = ["wss://a.example:7900/ws", "wss://b.example:7901/ws", "wss://c.example/mesh/ws"];

  it("writes a one-broker link byte for byte as before (the spec vector)", () => {
    expect(vector).toBeDefined();
    const host = String(vector?.inputs.brokerHost);
    const expected = String(vector?.outputs.link);
    const secret = String(vector?.inputs.secret);
    const code = String(vector?.inputs.code);
    expect(inviteLinkForBroker({ brokerUrl: `wss://${host}/ws`, code, secret })).toBe(expected);
    expect(inviteLinkForBroker({ brokerUrl: [`wss://${host}/ws`], code, secret })).toBe(expected);
    expect(formatInviteLink({ host, code, secret, extraBrokers: [] })).toBe(expected);
    expect(parseInviteLink(expected).brokerUrls).toEqual([`wss://${host}/ws`]);
  });

  it("carries further nodes as broker= parameters after the code and round-trips them", () => {
    const link = inviteLinkForBroker({ brokerUrl: NODES, code: CODE, secret: SECRET });
    expect(link).toBe(
      `claudemesh://join/a.example:7900/${CODE}?broker=b.example:7901&broker=c.example/mesh#${SECRET_TEXT}`,
    );
    const parsed = parseInviteLink(link);
    expect(parsed.brokerUrl).toBe(NODES[0]);
    expect(parsed.brokerUrls).toEqual(NODES);
    expect(parsed.secret).toEqual(SECRET);
  });

  it("puts tls=0 first and applies it to every node", () => {
    const plain = ["ws://127.0.0.1:7900/ws", "ws://127.0.0.1:7901/ws", "ws://[::1]:7902/ws"];
    const link = inviteLinkForBroker({ brokerUrl: plain, code: CODE, secret: SECRET });
    expect(link).toBe(
      `claudemesh://join/127.0.0.1:7900/${CODE}?tls=0&broker=127.0.0.1:7901&broker=[::1]:7902#${SECRET_TEXT}`,
    );
    expect(parseInviteLink(link).brokerUrls).toEqual(plain);
  });

  it("reads broker= on the web form too", () => {
    const parsed = parseInviteLink(`https://mesh.example.com/join/${CODE}?broker=b.example#${SECRET_TEXT}`);
    expect(parsed.brokerUrls).toEqual(["wss://mesh.example.com/ws", "wss://b.example/ws"]);
  });

  it("refuses a malformed, repeated or excessive further node with a clear error", () => {
    const head = `claudemesh://join/a.example/${CODE}`;
    const bad = (query: string) => () => parseInviteLink(`${head}?${query}#${SECRET_TEXT}`);
    expect(bad("broker=")).toThrow(InviteLinkError);
    expect(bad("broker=")).toThrow(/bad further broker "".*host\[:port\]/);
    expect(bad("broker=a%20b")).toThrow(/bad further broker "a b"/);
    expect(bad("broker=b.example:port")).toThrow(/bad further broker "b\.example:port"/);
    expect(bad("broker=b.example/a%23b")).toThrow(/bad further broker/);
    expect(bad("broker=b.example/a%25b")).toThrow(/bad further broker "b\.example\/a%b"/);
    expect(() =>
      inviteLinkForBroker({ brokerUrl: ["wss://a/ws", "wss://b/a%20b/ws"], code: CODE, secret: SECRET }),
    ).toThrow(/bad further broker "b\/a%20b"/);
    expect(bad("broker=a.example")).toThrow(/lists "wss:\/\/a\.example\/ws" twice/);
    expect(bad("broker=b.example&broker=b.example")).toThrow(/twice/);
    const many = Array.from({ length: 16 }, (_, i) => `broker=n${i}.example`).join("&");
    expect(bad(many)).toThrow(/more than 16 brokers/);
    expect(() =>
      inviteLinkForBroker({ brokerUrl: ["wss://a/ws", "ws://b/ws"], code: CODE, secret: SECRET }),
    ).toThrow(/mix ws:\/\/ and wss:\/\//);
    expect(() =>
      formatInviteLink({ host: "a.example", code: CODE, secret: SECRET, extraBrokers: ["x&y"] }),
    ).toThrow(/bad further broker "x&y"/);
  });
});
