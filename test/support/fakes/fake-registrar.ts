import type { JitConfig, Registrar } from '../../../controller/src/domain/registrar.ts';

/** A runner registration as the fake registrar keeps it. */
export type FakeRegistration = {
  id: number;
  name: string;
  /** Running a job: GitHub refuses to remove it. */
  busy: boolean;
  status: 'online' | 'offline';
};

export type RegistrarCall =
  | { op: 'register'; name: string }
  | { op: 'deregister'; name: string; runnerId: number | undefined; result: string };

/**
 * A pool's registrar without GitHub: it registers single-use runners (a JIT config naming the
 * runner), refuses when told to, and removes registrations unless their runner is busy, as
 * GitHub does (a 422 for a busy runner; removing one that is gone succeeds).
 */
export class FakeRegistrar implements Registrar {
  readonly registrations = new Map<string, FakeRegistration>();
  readonly calls: RegistrarCall[] = [];
  readonly #refusals: Error[] = [];
  #nextId = 1;

  constructor(readonly name = 'rest') {}

  register(name: string): Promise<JitConfig> {
    this.calls.push({ op: 'register', name });
    const refusal = this.#refusals.shift();
    if (refusal) return Promise.reject(refusal);
    if (this.registrations.has(name))
      return Promise.reject(new Error(`a runner named ${name} is registered already`));
    const id = this.#nextId++;
    this.registrations.set(name, { id, name, busy: false, status: 'online' });
    return Promise.resolve({ runnerId: id, encodedJitConfig: `jit:${this.name}:${name}` });
  }

  deregister(name: string, runnerId: number | undefined): Promise<'removed' | 'busy'> {
    const known = this.registrations.get(name);
    const result =
      known && (runnerId === undefined || known.id === runnerId) && known.busy ? 'busy' : 'removed';
    if (result === 'removed' && known && (runnerId === undefined || known.id === runnerId))
      this.registrations.delete(name);
    this.calls.push({ op: 'deregister', name, runnerId, result });
    return Promise.resolve(result);
  }

  // ---- what a test makes happen ----

  /** The next registration is refused with this error (one refusal per call). */
  refuseNext(error: Error): void {
    this.#refusals.push(error);
  }

  /** A registration made elsewhere (by an earlier controller, or by hand). */
  add(name: string, fields: Partial<Omit<FakeRegistration, 'name'>> = {}): FakeRegistration {
    const registration: FakeRegistration = {
      id: this.#nextId++,
      name,
      busy: false,
      status: 'online',
      ...fields,
    };
    this.registrations.set(name, registration);
    return registration;
  }

  registered(name: string): boolean {
    return this.registrations.has(name);
  }

  callsOf(op: RegistrarCall['op']): RegistrarCall[] {
    return this.calls.filter((call) => call.op === op);
  }
}
