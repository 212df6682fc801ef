import { docker } from './docker-cleanup.ts';

/**
 * The host's address on Docker's default bridge network: containers on that network (a dind
 * sidecar and the runner in its network namespace) reach a server on the host there.
 */
export async function dockerBridgeGateway(): Promise<string> {
  const info = (await docker.getNetwork('bridge').inspect()) as {
    IPAM?: { Config?: { Gateway?: string }[] };
  };
  const gateway = info.IPAM?.Config?.find((config) => config.Gateway)?.Gateway;
  if (!gateway) throw new Error('the bridge network has no gateway address');
  return gateway;
}
