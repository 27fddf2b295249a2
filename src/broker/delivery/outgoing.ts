/**
 * What one engine batch sends, held until its transaction commits: the senders' acks and the recipients'
 * pushes. Nothing leaves before the commit, so no client is told of a message that could still roll back;
 * then every socket gets its frames of the batch in one write (corked), not one write per frame.
 */
import type { AckFrame } from "../../protocol/index.js";
import type { PresenceSocket } from "../presence/presence.js";
import type { PendingSend } from "./accept.js";

interface Answer {
  item: PendingSend;
  ack: AckFrame;
}

export class Outgoing {
  private readonly answers: Answer[] = [];
  private readonly pushes = new Map<PresenceSocket, string[]>();
  private readonly committed: (() => void)[] = [];

  /** The ack (or refusal) of a send. */
  answer(item: PendingSend, ack: AckFrame): void {
    this.answers.push({ item, ack });
  }

  /** A serialized push for `socket`. */
  push(socket: PresenceSocket, json: string): void {
    let list = this.pushes.get(socket);
    if (!list) this.pushes.set(socket, (list = []));
    list.push(json);
  }

  /** Runs `effect` once the batch is sent, only if its transaction committed. */
  onCommit(effect: () => void): void {
    this.committed.push(effect);
  }

  /**
   * The transaction failed: every send answered `queued` gets `refusal(item)` instead, and the pushes and
   * commit effects are dropped (their claims rolled back with it). Refusals given earlier stand.
   */
  rollBack(refusal: (item: PendingSend) => AckFrame): void {
    for (const answer of this.answers) {
      if (answer.ack.queued) answer.ack = refusal(answer.item);
    }
    this.pushes.clear();
    this.committed.length = 0;
  }

  /** Writes everything: answers first (in send order), then pushes, one corked write per socket. */
  send(): void {
    const sockets = new Set<PresenceSocket>(this.pushes.keys());
    for (const { item } of this.answers) if (item.sender.socket) sockets.add(item.sender.socket);
    for (const socket of sockets) socket.cork();
    try {
      for (const { item, ack } of this.answers) item.reply(ack);
      for (const [socket, list] of this.pushes) for (const json of list) socket.sendRaw(json);
      for (const effect of this.committed) effect();
    } finally {
      for (const socket of sockets) socket.uncork();
    }
  }
}
