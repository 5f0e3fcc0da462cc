// What other packages (integration and e2e tests, a future installer) may use from the agent.
export { startAgent, type RunningAgent, type StartAgentOptions } from "./agent";
export { enroll, EnrollmentError, type EnrollOptions } from "./hub/enroll";
export { HubClient, type ApplyResult, type HubClientState } from "./hub/hub-client";
export { hubSocketUrl } from "./hub/hub-url";
export {
  agentSettingsSchema,
  loadAgentSettings,
  parseAgentSettings,
  SettingsError,
  type AgentSettings,
  type AgentSettingsInput,
} from "./settings/agent-settings";
export { maildirPath } from "./maildir/maildir";
export { queueDir, queueSize, type QueueEntry } from "./queue/queue";
export {
  DeliveryWorker,
  type QueueListing,
  type QueueListingEntry,
  type QueueListingRecipient,
} from "./delivery/delivery-worker";
export { credentialPath, readCredential, type Credential } from "./state/credential";
export { appliedConfigPath } from "./state/applied-config";
export type { ListenerName } from "./smtp/rules";
export { AGENT_VERSION } from "./version";
