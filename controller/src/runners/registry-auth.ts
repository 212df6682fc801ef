/** Credentials for one registry, as Docker's API takes them (X-Registry-Auth). */
export type RegistryAuth = { username: string; password: string; serveraddress: string };

type DockerConfigFile = {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
};

const DOCKER_HUB = [
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'https://index.docker.io/v1/',
];

/** Docker's client config (`config.json`, with its registry logins) in a folder, if there is one. */
export function readDockerConfig(
  dir: string,
  readFile: (path: string) => string,
): string | undefined {
  try {
    return readFile(`${dir.replace(/\/+$/, '')}/config.json`);
  } catch {
    return undefined;
  }
}

/** The registry host of an image reference: `ghcr.io/o/i:t` → ghcr.io; `ubuntu` → docker.io. */
export function registryOf(image: string): string {
  const first = image.split('/')[0] ?? '';
  const isHost =
    image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return isHost ? first : 'docker.io';
}

/**
 * Credentials from a Docker client config (`config.json`, as `docker login` writes it) for the
 * registry an image is on. Only inline `auths` entries are read: credential helpers
 * (`credsStore`) run programs the controller's image does not have.
 */
export function registryAuthFrom(configText: string | undefined) {
  const auths = parseConfig(configText).auths ?? {};
  return (image: string): RegistryAuth | undefined => {
    const registry = registryOf(image);
    const keys =
      registry === 'docker.io'
        ? DOCKER_HUB
        : [registry, `https://${registry}`, `http://${registry}`];
    for (const key of keys) {
      const entry = auths[key];
      if (!entry) continue;
      if (entry.username && entry.password)
        return { username: entry.username, password: entry.password, serveraddress: registry };
      if (!entry.auth) continue;
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const at = decoded.indexOf(':');
      if (at < 0) continue;
      return {
        username: decoded.slice(0, at),
        password: decoded.slice(at + 1),
        serveraddress: registry,
      };
    }
    return undefined;
  };
}

function parseConfig(text: string | undefined): DockerConfigFile {
  try {
    return text ? (JSON.parse(text) as DockerConfigFile) : {};
  } catch {
    return {};
  }
}
