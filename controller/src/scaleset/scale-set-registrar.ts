import type { Registrar } from '../domain/registrar.ts';
import type { ActionsClient } from './actions-client.ts';
import type { ScaleSetSource } from './scale-set-source.ts';

/**
 * A scale-set pool's runners registered in its scale set (a JIT config from the Actions service)
 * and removed there; the service keeps a runner that runs a job (`busy`).
 */
export function scaleSetRegistrar(
  source: Pick<ScaleSetSource, 'jitConfig'>,
  actions: Pick<ActionsClient, 'runnerByName' | 'removeRunner'>,
): Registrar {
  /** Ids of the runners registered here, for a removal without a lookup. */
  const runnerIds = new Map<string, number>();
  return {
    async register(name) {
      const config = await source.jitConfig(name);
      runnerIds.set(name, config.runnerId);
      return { runnerId: config.runnerId, encodedJitConfig: config.encodedJitConfig };
    },
    async deregister(name, knownId) {
      const id = knownId ?? runnerIds.get(name) ?? (await actions.runnerByName(name))?.id;
      if (id === undefined) return 'removed';
      const result = await actions.removeRunner(id);
      if (result === 'removed') runnerIds.delete(name);
      return result;
    },
  };
}
