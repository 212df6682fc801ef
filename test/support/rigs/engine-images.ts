import type Docker from 'dockerode';
import { docker as sharedEngine } from '../harness/docker-cleanup.ts';

/**
 * Copies images into another engine's image store (`docker save | docker load`): an extra
 * engine has its own store, and nothing can be pulled here. An image whose id the target
 * already has under that name is skipped, so calling this again costs one inspect per image.
 */
export async function loadImages(
  target: Docker,
  refs: string[],
  from: Docker = sharedEngine,
): Promise<{ loaded: string[]; skipped: string[] }> {
  const loaded: string[] = [];
  const skipped: string[] = [];
  for (const ref of refs) {
    const source = await from
      .getImage(ref)
      .inspect()
      .catch((error: unknown) => {
        throw new Error(`image ${ref} is not on the source engine (built yet?)`, { cause: error });
      });
    const present = await target
      .getImage(ref)
      .inspect()
      .catch(() => undefined);
    if (present?.Id === source.Id) {
      skipped.push(ref);
      continue;
    }
    const archive = await from.getImage(ref).get();
    const progress = await target.loadImage(archive);
    await new Promise<void>((resolve, reject) => {
      target.modem.followProgress(progress, (error: Error | null, output: { error?: string }[]) => {
        const failed = error ?? output.find((line) => line.error);
        if (failed) reject(new Error(`loading ${ref} failed`, { cause: failed }));
        else resolve();
      });
    });
    loaded.push(ref);
  }
  return { loaded, skipped };
}
