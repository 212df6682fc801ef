/** A runner's single-use registration: its id and the JIT config the runner is started with. */
export type JitConfig = { runnerId: number; encodedJitConfig: string };

/** `busy`: the runner runs a job, and its registration stays. */
export type DeregisterResult = 'removed' | 'busy';

/**
 * How the runners of one pool register and go away: with GitHub's REST API (a JIT config), or
 * in the pool's scale set. Each pool gets one when the controller is wired; the reconciler calls
 * it without knowing which it is.
 */
export type Registrar = {
  register(name: string): Promise<JitConfig>;
  /** Removes a registration; without its id (made by an earlier process) it is found by name. */
  deregister(name: string, runnerId: number | undefined): Promise<DeregisterResult>;
};

/** A runner registration as GitHub lists it. */
export type RegisteredRunner = { id: number; name: string; status: string; busy: boolean };
