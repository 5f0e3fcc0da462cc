// GET /install/agent.tgz: the agent bundle the install script unpacks and `npm install`s (see
// ~/server/agent-bundle). Public like the script: it holds only the agent's own code, no secrets.
import { buildAgentBundle } from "~/server/agent-bundle";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const tgz = await buildAgentBundle();
  return new Response(new Uint8Array(tgz), {
    headers: {
      "Content-Type": "application/gzip",
      "Content-Length": String(tgz.length),
      "Content-Disposition": 'attachment; filename="mailwarden-agent.tgz"',
      "Cache-Control": "no-cache",
    },
  });
}
