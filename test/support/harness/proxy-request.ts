import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';

export type Answer = {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  /** The certificate's common name, over HTTPS. */
  peerCN?: string;
};

export type RequestOptions = {
  method?: string;
  body?: Buffer;
  headers?: Record<string, string>;
  /** Sent as Host and as the TLS server name (SNI); the URL's host otherwise. */
  serverName?: string;
};

/**
 * One request to the nginx proxy, HTTP or HTTPS, without keep-alive. Its certificate is not
 * checked: the e2e tests run it with a self-signed one.
 */
export function proxyRequest(url: string, options: RequestOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const { serverName } = options;
    const req = (secure ? https : http).request(
      url,
      {
        method: options.method ?? 'GET',
        headers: { ...(serverName && { Host: serverName }), ...options.headers },
        timeout: 5000,
        agent: false,
        ...(secure
          ? { rejectUnauthorized: false, ...(serverName && { servername: serverName }) }
          : {}),
      },
      (res) => {
        // Read before the body ends: the socket is detached from the response afterwards.
        const peer = secure ? (res.socket as TLSSocket).getPeerCertificate() : undefined;
        const cn = peer?.subject?.CN;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
            ...(typeof cn === 'string' ? { peerCN: cn } : {}),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
