/**
 * How `tsk simulate` gets its credentials from a join token: the agent's bootstrap (CA checked
 * against the token's hash, then a client certificate over verified TLS) for the simulator's
 * one identity.
 */
import { fetchServerCa, JoinError, requestCertificate } from '../agent/bootstrap.ts';
import { parseJoinToken } from '../auth/token.ts';
import type { ClientCredentials } from '../client/client.ts';

/** Credentials for `identity` (a supervisor certificate name such as "simulator"). */
export async function joinCredentials(server: string, token: string, identity: string): Promise<ClientCredentials> {
  const parsed = parseJoinToken(token);
  if (!parsed) throw new JoinError('--token: must be the join token K10<ca hash>::server:<secret> from the server\'s DATA_DIR/server/node-token');
  const ca = await fetchServerCa(server, parsed);
  const pair = await requestCertificate(server, ca, parsed, `/v1-tsk/client-${identity}.crt`);
  return { server, ca, ...pair };
}
