// Public surface of the hub: mount it on an http server, or compute a server's config for display.
export { createHub, isAgentPath, type Hub, type HubHealth, type HubOptions } from "./hub";
export { agentListenerOf, agentListeners, buildAgentConfig, buildAgentConfigs } from "./agent-config";
