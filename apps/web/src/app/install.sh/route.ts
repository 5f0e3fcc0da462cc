// GET /install.sh: the agent's install script with this console's address as its default --url, for
// `curl -fsSL <console>/install.sh | sh -s -- --token mwe_…` on a bare host — so no sign-in, and it
// serves agent/install.sh and nothing else.
import { installScript } from "~/server/agent-bundle";
import { getRuntime } from "~/server/runtime";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const script = await installScript(getRuntime().publicUrl);
  return new Response(script, {
    headers: {
      "Content-Type": "text/x-shellscript; charset=utf-8",
      "Cache-Control": "no-store",
    },
  });
}
