// The custom server stamps each request with the socket's address under this header (overwriting
// anything a client sent), so rate limits and audit events see the real peer.
export const CLIENT_IP_HEADER = "x-mailwarden-client-ip";
