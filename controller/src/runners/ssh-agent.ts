import { Agent, type AgentOptions, type ClientRequestArgs } from 'node:http';
import { PassThrough, type Duplex } from 'node:stream';
import { Client, type ConnectConfig } from 'ssh2';

/** Channels one connection may hold at once: under OpenSSH's default MaxSessions (10). */
const CHANNELS = 8;

/**
 * An HTTP agent that carries the Docker API over one SSH connection, as Docker's own ssh
 * transport does (`docker system dial-stdio` on the far side), one channel per request.
 * docker-modem's ssh support opens a new connection for every request (a handshake each, and
 * sshd drops the surplus of many at once), so requests to a busy engine failed.
 */
export function sshDockerAgent(config: ConnectConfig, options: AgentOptions = {}): Agent {
  let client: Promise<Client> | undefined;
  const connect = (): Promise<Client> => {
    client ??= new Promise<Client>((resolve, reject) => {
      const connection = new Client();
      connection
        .once('ready', () => resolve(connection))
        .once('error', (error) => {
          client = undefined;
          reject(error);
        })
        .once('close', () => {
          client = undefined;
        })
        .connect({ keepaliveInterval: 15_000, ...config });
    });
    return client;
  };

  class SshAgent extends Agent {
    override createConnection(
      _options: ClientRequestArgs,
      callback?: (error: Error | null, stream: Duplex) => void,
    ): undefined {
      const failed = (error: unknown) =>
        callback?.(error instanceof Error ? error : new Error(String(error)), new PassThrough());
      connect().then(
        (connection) =>
          connection.exec('docker system dial-stdio', (error, stream) => {
            if (error) failed(error);
            else callback?.(null, stream);
          }),
        failed,
      );
      return undefined;
    }
  }
  return new SshAgent({ keepAlive: false, maxSockets: CHANNELS, ...options });
}
