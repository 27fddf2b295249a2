/**
 * The cross-node wake-up (protocol.md §4.14). When a node learns that recipients have deliveries to offer
 * (a commit, a released claim, an expired lease), it offers them to the presences it holds itself and
 * publishes them, after the commit, to the other nodes, which offer them to theirs. The notice is only a
 * hint: the store is the truth, and every node also re-offers on its own timer, so a lost notice delays
 * a push, never loses it.
 */
import type { DueRecipient } from "../store/port/index.js";

export type WakeHandler = (recipients: readonly DueRecipient[]) => void;

export interface Wake {
  /** Announces recipients with committed deliveries to offer, to every other node. */
  publish(recipients: readonly DueRecipient[]): void;
  /** What this node does with recipients another node announced; one handler per node. */
  onWake(handler: WakeHandler): void;
  /** Stops delivering notices; safe to call twice. */
  close(): Promise<void>;
}
