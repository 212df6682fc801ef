import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { TlsFiles } from './tls-certs.ts';

/**
 * A Docker context, made by the docker CLI in `dockerConfig` (what DOCKER_CONFIG names; the
 * user's ~/.docker is not touched) as a user names an engine: `docker context create NAME
 * --docker host=…,ca=…,cert=…,key=…`. The CLI copies the TLS files into the context store.
 */
export function createDockerContext(options: {
  dockerConfig: string;
  name: string;
  endpoint: string;
  tls?: TlsFiles | undefined;
}): void {
  mkdirSync(options.dockerConfig, { recursive: true, mode: 0o700 });
  const tls = options.tls;
  const docker = [
    `host=${options.endpoint}`,
    ...(tls ? [`ca=${tls.ca}`, `cert=${tls.cert}`, `key=${tls.key}`] : []),
  ].join(',');
  execFileSync(
    'docker',
    ['--config', options.dockerConfig, 'context', 'create', options.name, '--docker', docker],
    { stdio: 'pipe' },
  );
}
