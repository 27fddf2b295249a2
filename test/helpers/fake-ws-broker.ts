/**
 * A small scripted WebSocket server standing in for the broker in client unit tests: each test scripts
 * what it answers to the client's hellos and frames (the real broker is covered by the integration suite).
 */
import { WebSocketServer, type WebSocket } from "ws";
import { waitUntil } from "./deadline.js";

export type Frame = { type: string; [field: string]: unknown };

/** One client socket as the fake broker sees it. */
export class FakeConnection {
  readonly frames: Frame[] = [];
  #waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The `index`-th frame of `type` this client sent, waiting for it. */
  async next(type: string, index = 0): Promise<Frame> {
    return waitUntil(() => this.frames.filter((f) => f.type === type)[index], {
      message: `${type} #${index}`,
    });
  }

  framesOf(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }
}

export type HelloScript = (hello: Frame, conn: FakeConnection, attempt: number) => void;

export const acceptHello: HelloScript = (_hello, conn) => conn.send(helloAck());

export function helloAck(extra: Record<string, unknown> = {}): Frame {
  return {
    type: "hello_ack",
    presenceId: "p1",
    memberDisplayName: "alice",
    protocolVersion: 2,
    features: ["client_ack", "ok_replies", "body_version", "bye"],
    serverTime: Date.now(),
    ...extra,
  };
}

export class FakeBroker {
  readonly connections: FakeConnection[] = [];
  readonly hellos: Frame[] = [];
  onHello: HelloScript = acceptHello;
  readonly #wss: WebSocketServer;

  private constructor(wss: WebSocketServer) {
    this.#wss = wss;
    wss.on("connection", (ws) => {
      const conn = new FakeConnection(ws);
      this.connections.push(conn);
      ws.on("message", (data) => {
        const frame = JSON.parse(data.toString()) as Frame;
        if (frame.type === "hello" || frame.type === "session_hello") {
          this.hellos.push(frame);
          this.onHello(frame, conn, this.hellos.length);
        }
      });
    });
  }

  static async start(options: { autoPong?: boolean } = {}): Promise<FakeBroker> {
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", autoPong: options.autoPong ?? true });
    await new Promise<void>((resolve) => wss.once("listening", resolve));
    return new FakeBroker(wss);
  }

  get url(): string {
    const address = this.#wss.address();
    if (address === null || typeof address === "string") throw new Error("server is not listening on TCP");
    return `ws://127.0.0.1:${address.port}/ws`;
  }

  /** The latest connection, once it exists. */
  async connection(index = 0): Promise<FakeConnection> {
    return waitUntil(() => this.connections[index], { message: `connection #${index}` });
  }

  async stop(): Promise<void> {
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}
