/**
 * The broker's storage port: one interface per family (a file each), `Store` their intersection. Two
 * adapters implement it (SQLite, PostgreSQL) and one contract suite (test/contract/store-contract.ts)
 * runs against both. Every method is atomic on its own; methods taking arrays handle the whole batch in
 * one transaction (the hot path batches per event-loop turn).
 *
 * Times are epoch milliseconds. Ids are opaque strings made by the caller (the broker), so adapters
 * never invent identity.
 */
import type { ClaimStore } from "./claims.js";
import type { DeliveryStore } from "./deliveries.js";
import type { InviteStore } from "./invites.js";
import type { LifecycleStore } from "./lifecycle.js";
import type { LimitStore } from "./limits.js";
import type { MemberStore } from "./members.js";
import type { MeshInfoStore } from "./mesh-info.js";
import type { MessageStore } from "./messages.js";
import type { PresenceStore } from "./presences.js";
import type { SweepStore } from "./sweep.js";
import type { StateStore } from "./state.js";
import type { MemoryStore } from "./memory.js";
import type { SkillStore } from "./skills.js";
import type { TaskStore } from "./tasks.js";
import type { LeaseStore } from "./leases.js";
import type { AuditStore } from "./audit.js";
import type { TopicStore } from "./topics.js";
import type { FileStore } from "./files.js";
import type { ScheduleStore } from "./schedules.js";
import type { OwnedRowStore } from "./owned-rows.js";

export type * from "./claims.js";
export type * from "./deliveries.js";
export type * from "./invites.js";
export type * from "./lifecycle.js";
export type * from "./limits.js";
export type * from "./members.js";
export type * from "./mesh-info.js";
export type * from "./messages.js";
export type * from "./presences.js";
export type * from "./sweep.js";
export type * from "./state.js";
export type * from "./memory.js";
export type * from "./skills.js";
export type * from "./tasks.js";
export type * from "./leases.js";
export type * from "./audit.js";
export type * from "./topics.js";
export type * from "./files.js";
export type * from "./schedules.js";
export type * from "./owned-rows.js";

export type Store = LifecycleStore &
  MemberStore &
  InviteStore &
  LimitStore &
  PresenceStore &
  MessageStore &
  ClaimStore &
  DeliveryStore &
  SweepStore &
  MeshInfoStore &
  StateStore &
  MemoryStore &
  SkillStore &
  TaskStore &
  LeaseStore &
  AuditStore &
  TopicStore &
  FileStore &
  ScheduleStore &
  OwnedRowStore;
