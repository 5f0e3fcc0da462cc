// What an authenticator app does: the current 6-digit code for a base32 secret.
import * as OTPAuth from "otpauth";

export function totpCode(secret: string, at = Date.now()): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
    timestamp: at,
  });
}

/** Waits into a fresh 30 s window so a code is not refused as a replay of the previous sign-in. */
export async function nextWindowCode(secret: string, lastUsed: string | null): Promise<string> {
  for (;;) {
    const code = totpCode(secret);
    if (code !== lastUsed) return code;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
