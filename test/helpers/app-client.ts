/**
 * An "application" on top of the real client SDK (`MeshClient`): it records every push its handler saw,
 * decrypted, so a test can count what reached the application (the SDK acks after the handler returns).
 */
import type { Identity } from "../../src/crypto/index.js";
import { MeshClient, type MeshClientOptions } from "../../src/client/index.js";
import type { PushFrame } from "../../src/protocol/frames.js";
import { waitUntil } from "./deadline.js";
import type { TestMember } from "./mesh-fixture.js";

export interface Received {
  push: PushFrame;
  /** Decrypted body, or null when it did not open. */
  text: string | null;
}

const openClients = new Set<MeshClient>();

export class AppClient {
  readonly received: Received[] = [];

  private constructor(
    readonly client: MeshClient,
    private readonly rootKey: Uint8Array | undefined,
  ) {
    client.onPush((push) => {
      const opened = client.decryptPush(push, { rootKey: this.rootKey });
      this.received.push({ push, text: opened.ok ? opened.text : null });
    });
  }

  /** Connects a member (or, with `session`, a session) client and waits for `hello_ack`. */
  static async connect(
    url: string,
    meshId: string,
    member: TestMember,
    options: {
      rootKey?: Uint8Array;
      session?: Identity;
      sessionId?: string;
      displayName?: string;
      extra?: Partial<MeshClientOptions>;
    } = {},
  ): Promise<AppClient> {
    const client = new MeshClient({
      url,
      meshId,
      identity: { memberId: member.memberId, publicKey: member.pubkey, secretKey: member.secretKey },
      session: options.session ? { sessionKey: options.session } : undefined,
      sessionId: options.sessionId,
      displayName: options.displayName,
      reconnect: false,
      ...options.extra,
    });
    openClients.add(client);
    const app = new AppClient(client, options.rootKey);
    await client.connect();
    return app;
  }

  /** How many times the application saw `messageId`. */
  count(messageId: string): number {
    return this.received.filter((r) => r.push.messageId === messageId).length;
  }

  /** Waits until the application has seen `messageId`; returns the first copy. */
  async waitFor(messageId: string, timeoutMs = 5_000): Promise<Received> {
    return waitUntil(() => this.received.find((r) => r.push.messageId === messageId), {
      timeoutMs,
      message: `application did not receive ${messageId}`,
    });
  }

  async close(): Promise<void> {
    openClients.delete(this.client);
    await this.client.close();
  }
}

/** Closes every SDK client opened through {@link AppClient} (afterAll). */
export async function closeAllClients(): Promise<void> {
  const clients = [...openClients];
  openClients.clear();
  await Promise.all(clients.map((c) => c.close()));
}
