import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** What the controller remembers of its hook between restarts: no secret, only a fingerprint. */
export const HookState = z.object({
  hookId: z.number().int().optional(),
  secretFingerprint: z.string().optional(),
  deliveryCursor: z.number().int().default(0),
});
export type HookState = z.infer<typeof HookState>;

export function fingerprint(secret: string): string {
  return createHash('sha256').update(`runner-autoscaler:${secret}`).digest('hex').slice(0, 16);
}

export function createHookStateStore(dataDir: string) {
  const dir = join(dataDir, 'hooks');
  const file = (poolId: string) => join(dir, `${poolId}.json`);
  return {
    async load(poolId: string): Promise<HookState> {
      try {
        const parsed = HookState.safeParse(JSON.parse(await readFile(file(poolId), 'utf8')));
        return parsed.success ? parsed.data : { deliveryCursor: 0 };
      } catch {
        return { deliveryCursor: 0 };
      }
    },
    async save(poolId: string, state: HookState): Promise<void> {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const temporary = `${file(poolId)}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(state), { mode: 0o600 });
      await rename(temporary, file(poolId));
    },
  };
}

export type HookStateStore = ReturnType<typeof createHookStateStore>;
