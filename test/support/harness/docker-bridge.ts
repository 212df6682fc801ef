import { execFileSync } from 'node:child_process';
import { docker } from './docker-cleanup.ts';

type BridgeInfo = {
  Options?: Record<string, string>;
  IPAM?: { Config?: { Gateway?: string }[] };
};

/**
 * The host's address on Docker's default bridge network: containers on that network (a dind
 * sidecar and the runner in its network namespace) reach a server on the host there.
 *
 * Read from the bridge interface itself (docker0): on the first start of a fresh dockerd the
 * network's IPAM config has a Subnet and no Gateway, which appears only after a daemon restart.
 * Node's os.networkInterfaces() leaves out an interface with no carrier (docker0 before its
 * first container), so iproute2 is asked; the IPAM Gateway is the last resort.
 */
export async function dockerBridgeGateway(): Promise<string> {
  const info = (await docker.getNetwork('bridge').inspect()) as BridgeInfo;
  const device = info.Options?.['com.docker.network.bridge.name'] ?? 'docker0';
  const address = interfaceAddress(device);
  if (address) return address;
  const gateway = info.IPAM?.Config?.find((config) => config.Gateway)?.Gateway;
  if (gateway) return gateway;
  throw new Error(`no IPv4 address found on the bridge interface ${device}`);
}

function interfaceAddress(device: string): string | undefined {
  try {
    const out = execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', device], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(out)?.[1];
  } catch {
    return undefined;
  }
}
