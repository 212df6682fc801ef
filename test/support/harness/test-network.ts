import { randomBytes } from 'node:crypto';
import { docker } from './docker-cleanup.ts';

const TEST_LABEL = 'io.runner-autoscaler.test';

export type TestNetwork = {
  name: string;
  /** The host's address on it: a server there (the fake GitHub) is reachable from its containers. */
  gateway: string;
  /** Removes it with whatever test containers are still attached. */
  remove: () => Promise<void>;
};

/**
 * A bridge network of a test's own, for dind runners (which must not share the host's network
 * namespace) and the servers they talk to (a registry, a mirror). Its bridge exists as long as
 * the network does, whatever happens to the engine's default bridge.
 */
export async function createTestNetwork(prefix = 'autoscaler-test'): Promise<TestNetwork> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  const network = await docker.createNetwork({
    Name: name,
    Driver: 'bridge',
    Labels: { [TEST_LABEL]: 'true' },
  });
  const info = (await network.inspect()) as { IPAM?: { Config?: { Gateway?: string }[] } };
  const gateway = info.IPAM?.Config?.find((config) => config.Gateway)?.Gateway;
  if (!gateway) throw new Error(`network ${name} has no gateway`);
  return {
    name,
    gateway,
    remove: async () => {
      const attached = (await network.inspect()) as { Containers?: Record<string, unknown> };
      for (const id of Object.keys(attached.Containers ?? {}))
        await docker
          .getContainer(id)
          .remove({ force: true, v: true })
          .catch(() => undefined);
      await network.remove().catch(() => undefined);
    },
  };
}
