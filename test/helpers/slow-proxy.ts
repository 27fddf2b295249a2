/**
 * A TCP proxy on 127.0.0.1 port 0 in front of a broker, for the moment a connection has just come up: on
 * each connection it passes the WebSocket upgrade and the broker's frames up to and including the
 * `hello_ack` at once, and delivers every later frame (the pushes of what waited, `backlog_sent`, …)
 * `delayMs` late, in order — a broker whose pushes lag its hello answer, as a slow store or a long backlog
 * makes them. What the client sends goes through at once.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

const HELLO_ACK = Buffer.from('"type":"hello_ack"');
const HEADERS_END = Buffer.from("\r\n\r\n");

/** The length of the first unmasked WebSocket frame in `buf`, or null when it is not complete yet. */
function frameLength(buf: Buffer): number | null {
  if (buf.length < 2) return null;
  const short = buf[1]! & 0x7f;
  let header = 2;
  let payload = short;
  if (short === 126) {
    if (buf.length < 4) return null;
    header = 4;
    payload = buf.readUInt16BE(2);
  } else if (short === 127) {
    if (buf.length < 10) return null;
    header = 10;
    payload = Number(buf.readBigUInt64BE(2));
  }
  return buf.length >= header + payload ? header + payload : null;
}

/** Splits what the broker sends into what goes at once and what is delayed (once the hello is answered). */
class DownstreamGate {
  #pending = Buffer.alloc(0);
  #upgraded = false;
  #acked = false;

  take(chunk: Buffer): { now: Buffer; later: Buffer } {
    if (this.#acked) return { now: Buffer.alloc(0), later: chunk };
    this.#pending = Buffer.concat([this.#pending, chunk]);
    const now: Buffer[] = [];
    if (!this.#upgraded) {
      const end = this.#pending.indexOf(HEADERS_END);
      if (end < 0) return { now: Buffer.alloc(0), later: Buffer.alloc(0) };
      now.push(this.#pending.subarray(0, end + HEADERS_END.length));
      this.#pending = this.#pending.subarray(end + HEADERS_END.length);
      this.#upgraded = true;
    }
    while (!this.#acked) {
      const length = frameLength(this.#pending);
      if (length === null) break;
      const frame = this.#pending.subarray(0, length);
      now.push(frame);
      this.#pending = this.#pending.subarray(length);
      if (frame.includes(HELLO_ACK)) this.#acked = true;
    }
    const later = this.#acked ? this.#pending : Buffer.alloc(0);
    if (this.#acked) this.#pending = Buffer.alloc(0);
    return { now: Buffer.concat(now), later };
  }
}

export class SlowProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  port = 0;

  private constructor(upstreamPort: number, delayMs: number) {
    this.#server = createServer((client) => {
      const upstream = connect(upstreamPort, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on("close", () => this.#sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream);
      const gate = new DownstreamGate();
      upstream.on("data", (chunk: Buffer) => {
        const { now, later } = gate.take(chunk);
        if (now.length > 0) client.write(now);
        // Timers of one delay fire in the order they were set, so the bytes keep their order.
        if (later.length > 0) setTimeout(() => client.write(later), delayMs);
      });
      upstream.on("close", () => setTimeout(() => client.end(), delayMs));
      client.on("close", () => upstream.destroy());
    });
  }

  static async start(upstreamPort: number, delayMs: number): Promise<SlowProxy> {
    const proxy = new SlowProxy(upstreamPort, delayMs);
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    const address = proxy.#server.address();
    proxy.port = typeof address === "object" && address !== null ? address.port : 0;
    return proxy;
  }

  /** `url` (a broker URL) pointed at this proxy instead. */
  urlFor(url: string): string {
    const u = new URL(url);
    u.port = String(this.port);
    return u.toString().replace(/\/$/, "");
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
