import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths of one side's TLS files, as dockerd's --tlscacert/--tlscert/--tlskey or a client's. */
export type TlsFiles = { ca: string; cert: string; key: string };

export type TlsCerts = { server: TlsFiles; client: TlsFiles };

/**
 * A CA, a server certificate for 127.0.0.1 (SAN IP) and a client certificate, made by openssl
 * in `dir`: what Docker's "Protect the Docker daemon socket" guide has users make by hand.
 * EC P-256 keys, so that the whole set takes some tens of milliseconds.
 */
export function makeTlsCerts(dir: string, options: { serverIp?: string } = {}): TlsCerts {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Run in `dir` with bare file names, so that a command line splits on its spaces.
  const openssl = (command: string) =>
    execFileSync('openssl', command.split(' '), { cwd: dir, stdio: 'pipe' });
  const key = (name: string) =>
    openssl(`genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ${name}-key.pem`);
  const sign = (name: string, subject: string, extensions: string) => {
    key(name);
    openssl(`req -new -key ${name}-key.pem -subj ${subject} -out ${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(
      `x509 -req -days 2 -in ${name}.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial ` +
        `-extfile ${name}.ext -out ${name}-cert.pem`,
    );
  };
  key('ca');
  openssl('req -new -x509 -days 2 -key ca-key.pem -subj /CN=autoscaler-test-ca -out ca.pem');
  // Go (dockerd) checks the extended key usage of both sides.
  const ip = options.serverIp ?? '127.0.0.1';
  sign('server', `/CN=${ip}`, `subjectAltName = IP:${ip}\nextendedKeyUsage = serverAuth\n`);
  sign('client', '/CN=autoscaler-test-client', 'extendedKeyUsage = clientAuth\n');
  const file = (name: string) => join(dir, name);
  return {
    server: { ca: file('ca.pem'), cert: file('server-cert.pem'), key: file('server-key.pem') },
    client: { ca: file('ca.pem'), cert: file('client-cert.pem'), key: file('client-key.pem') },
  };
}
