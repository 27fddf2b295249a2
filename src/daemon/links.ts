/**
 * The daemon's view of a broker connection: the parts of `MeshClient` it uses. Production links are real
 * `MeshClient`s; in-process tests pass a factory that builds something with the same surface.
 */
import { MeshClient, type MeshClientOptions } from "../client/index.js";

export type BrokerLink = Pick<
  MeshClient,
  | "connect"
  | "bye"
  | "close"
  | "connected"
  | "helloAck"
  | "on"
  | "onPush"
  | "onSystemEvent"
  | "send"
  | "listPeers"
  | "listMembers"
  | "messageStatus"
  | "meshInfo"
  | "setStatus"
  | "setSummary"
  | "joinGroup"
  | "leaveGroup"
  | "kick"
  | "ban"
  | "unban"
  | "leaveMesh"
  | "onFrame"
  | "setState"
  | "getState"
  | "listState"
  | "shareContext"
  | "getContext"
  | "listContexts"
  | "remember"
  | "recall"
  | "forget"
  | "shareSkill"
  | "getSkill"
  | "listSkills"
  | "removeSkill"
  | "createTask"
  | "claimTask"
  | "completeTask"
  | "listTasks"
  | "acquireLease"
  | "renewLease"
  | "releaseLease"
  | "listLeases"
  | "queryAudit"
  | "verifyAudit"
  | "schedule"
  | "listScheduled"
  | "cancelScheduled"
>;

export type LinkFactory = (options: MeshClientOptions) => BrokerLink;

export const meshClientFactory: LinkFactory = (options) => new MeshClient(options);
