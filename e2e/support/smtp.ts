// Real SMTP sessions with nodemailer; returns the server's reply code instead of throwing.
import nodemailer from "nodemailer";

export interface SendResult {
  accepted: boolean;
  responseCode: number | null;
  response: string;
}

export async function sendMail(options: {
  port: number;
  secure?: boolean;
  auth?: { user: string; pass: string };
  from: string;
  to: string;
  subject: string;
}): Promise<SendResult> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: options.port,
    secure: options.secure ?? false,
    requireTLS: Boolean(options.auth) && !options.secure,
    ignoreTLS: !options.auth && !options.secure,
    auth: options.auth,
    tls: { rejectUnauthorized: false },
    connectionTimeout: 10_000,
  });
  try {
    const info = await transport.sendMail({
      from: options.from,
      to: options.to,
      subject: options.subject,
      text: `Body of ${options.subject}`,
    });
    return { accepted: info.accepted.length > 0, responseCode: 250, response: info.response };
  } catch (error) {
    const e = error as { responseCode?: number; response?: string; message: string };
    return { accepted: false, responseCode: e.responseCode ?? null, response: e.response ?? e.message };
  } finally {
    transport.close();
  }
}
