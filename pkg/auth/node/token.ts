/**
 * The tokens `tsk agent join --token` accepts, as k3s's agent does:
 *
 *   K10<sha256 of the CA PEM>::server:<secret>   the full token from DATA_DIR/server/node-token:
 *                                                the CA is trusted only if its hash matches
 *   K10::server:<secret>, or the bare <secret>   no hash: the agent trusts the first CA the
 *                                                server shows (trust on first use), as k3s does
 *                                                with a short token, and says so in its log
 */
import { parseJoinToken, type JoinToken } from '../token.ts';

export interface AgentJoinToken extends Omit<JoinToken, 'caHash'> {
  /** Undefined for a token without a CA hash. */
  caHash: string | undefined;
}

export function parseAgentJoinToken(token: string): AgentJoinToken | undefined {
  const text = token.trim();
  if (text === '' || /\s/.test(text)) return undefined;
  const full = parseJoinToken(text);
  if (full) return full;
  const short = /^K10::([^:]+):(.+)$/.exec(text);
  if (short) return { caHash: undefined, username: short[1]!, password: short[2]! };
  // Anything else shaped like a K10 token is a mistyped one, not a bare secret.
  if (text.startsWith('K10') && text.includes('::')) return undefined;
  return { caHash: undefined, username: 'node', password: text };
}
