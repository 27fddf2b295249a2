/** The broker client core: one implementation used by the daemon, the CLI, the SDK and the bench. */
export { MeshClient, type MessageOptions } from "./mesh-client.js";
export type { ContextInput, SharedOptions } from "./state-contexts.js";
export {
  UNREADABLE_TEXT,
  meshDataKey,
  openStateValue,
  openText,
  readText,
  sealStateValue,
  sealText,
  type Opened,
} from "./value-crypto.js";
export { MeshConnection } from "./connection.js";
export type {
  BrokerFrame,
  DisconnectInfo,
  FrameHandler,
  MeshClientEvents,
  OutboundFrame,
  PushHandler,
  RequestOptions,
  SendInput,
  SharedStateOptions,
  CreateTaskInput,
  SystemEvent,
  SystemEventHandler,
  TerminalInfo,
} from "./types.js";
export { ClientErrorCode, MeshClientError } from "./errors.js";
export {
  DEFAULT_CAPABILITIES,
  silentLogger,
  type Logger,
  type MeshClientOptions,
  type PresenceEventMode,
} from "./options.js";
export { peerEventsOf } from "./peer-events.js";
export { Backoff, type BackoffOptions } from "./backoff.js";
export type { WatchdogOptions } from "./idle-watchdog.js";
export { decideOnClose, type CloseDecision, type ConnectionError } from "./close-policy.js";
export {
  buildMemberHello,
  buildSessionHello,
  mintAttestation,
  nextHelloTimestamp,
  type HelloProfile,
  type MemberIdentity,
  type SessionConfig,
} from "./hello.js";
export {
  decryptPush,
  encryptDirect,
  encryptForTarget,
  encryptedTopicOf,
  type DecryptFailure,
  type DecryptKeys,
  type DecryptResult,
} from "./push-crypto.js";
export type {
  BanAck,
  BanEntry,
  DisconnectAck,
  KickAck,
  LeaveMeshAck,
  MeshInfoResult,
  ModerationTarget,
  ContextEntry,
  StateChangeFrame,
  StateEntry,
  TaskEntry,
  TaskList,
  TaskStatus,
  LeaseEntry,
  LeaseGranted,
  LeaseReleased,
  LeaseListResult,
  AuditEntry,
  AuditResult,
  AuditVerifyResult,
  TopicCreated,
  TopicEntry,
  TopicHistoryEntry,
  TopicHistoryResponse,
  TopicKeyClaimed,
  TopicKeyReply,
  TopicKeySealAck,
  TopicListResponse,
  TopicMemberEntry,
  TopicMembersResponse,
  TopicPendingSealsResult,
  FileUrl,
  FileList,
  FileEntry,
  FileStatusResult,
  FileSharedData,
  CoalescedPeerEvent,
  PeerEventsData,
  UnbanAck,
} from "../protocol/frames.js";
export { memoryQueryTokens, sealMemory, type SealedMemory } from "./memory-skills.js";
export type { MemoryEntry, MemoryStored, SkillAck, SkillDetail, SkillSummary } from "../protocol/frames.js";
export { newTopicKey, openTopicKeyCopy, sealTopicKeyCopy, type SealedCopy } from "./topic-keys.js";
export {
  downloadFile,
  resolveFileUrl,
  uploadFile,
  type DownloadResult,
  type FileIdentity,
  type FileReader,
  type TransferProgress,
  type UploadInput,
  type UploadResult,
} from "./file-transfer.js";
export type { CancelScheduledAck, ScheduledAck, ScheduledEntry, ScheduledList } from "../protocol/frames.js";
export type { ScheduleInput } from "./types.js";
export { fileRecipients, type FileRecipients } from "./file-recipients.js";
export { openTopicHistoryEntry } from "./topic-history.js";
