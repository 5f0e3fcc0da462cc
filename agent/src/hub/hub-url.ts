// The hub URL an admin pastes may be the dashboard's address (https://console.example.com) or the
// socket itself (wss://console.example.com/agent); the agent always connects to the socket.
import { AGENT_PATH } from "@mailwarden/protocol";

export function hubSocketUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new Error(`hub URL "${input}" is not a URL (expected wss://host/agent or https://host)`);
  }
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  else if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new Error(`hub URL "${input}" must start with ws://, wss://, http:// or https://`);
  }
  if (url.pathname === "" || url.pathname === "/") url.pathname = AGENT_PATH;
  url.hash = "";
  return url.toString();
}
